//go:build race

package main

// raceBuild says the test binary runs under the race detector, which
// multiplies a process's memory: memory bounds are measured without it.
const raceBuild = true

package lofty

// RewriteReset exposes the X-RateLimit-Reset rewriting to the black-box
// tests.
var RewriteReset = rewriteReset

package s3test

import "syscall"

// sysProcAttr kills the server if the test process dies without cleaning
// up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

package kubecluster

import "syscall"

// sysProcAttr kills the cluster's processes when the test binary dies before it can stop them.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

package main

import "syscall"

// sysProcAttr puts a server in its own process group and kills it when the driver dies, so that an interrupted
// run leaves no server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

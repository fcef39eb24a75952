//go:build !linux

package kubecluster

import "syscall"

// sysProcAttr has nothing to add outside Linux: the cluster's processes are stopped by the test's cleanup.
func sysProcAttr() *syscall.SysProcAttr { return nil }

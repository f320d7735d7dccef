package testenv

import "syscall"

// sysProcAttr ends a server with the process that started it, even when that one is killed
// (SIGKILL, OOM) before it could stop it: the stack command must not leave servers behind.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

//go:build !linux

package localcluster

import (
	"os/exec"
	"syscall"
)

// sysProcAttr is empty off Linux: there is no Pdeathsig, so a component
// outlives a test binary that dies without running Stop.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func spawn(cmd *exec.Cmd) error { return cmd.Start() }

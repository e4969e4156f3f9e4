package smokecmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// groupPoll is how often a terminated group is checked for survivors; there
// is no watch for a process group becoming empty.
var groupPoll = 20 * time.Millisecond

// group is a process group, named by its leader's pid.
type group int

// stop sends SIGTERM to the group, then SIGKILL when a process is still in it
// once grace has passed.
func (g group) stop(grace time.Duration) {
	if syscall.Kill(-int(g), syscall.SIGTERM) != nil {
		return // nothing left in the group
	}
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(groupPoll)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if len(g.members()) == 0 {
				return
			}
		case <-deadline.C:
			_ = syscall.Kill(-int(g), syscall.SIGKILL)
			return
		}
	}
}

// members returns the pids of the group's running processes. Zombies do not
// count: when this process is PID 1 of a container, orphans of the command
// become its children and nobody reaps them. Without /proc, any process the
// kernel still signals counts, under the leader's pid.
func (g group) members() []int {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		if syscall.Kill(-int(g), 0) == nil {
			return []int{int(g)}
		}
		return nil
	}
	var pids []int
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the process ended while we looked
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 4 || string(f[0]) == "Z" || string(f[0]) == "X" {
			continue
		}
		if pgrp, err := strconv.Atoi(string(f[2])); err == nil && pgrp == int(g) {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// Command pause is the pod sandbox's process in the kind node image that
// .ci/build-kind-node.sh assembles (registry.k8s.io/pause, built here rather
// than pulled): it sleeps until SIGINT or SIGTERM and reaps the children
// left to it as PID 1 of a pod's shared PID namespace.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}

// Package localcluster runs a real Kubernetes control plane on this machine
// for tests: etcd, kube-apiserver, kube-controller-manager and kube-scheduler
// as child processes on free loopback ports, with kwok standing in for the
// kubelets. Pods on kwok's fake nodes go Running and Ready within a second;
// pods labelled with FaultLabel misbehave instead (see the Fault constants),
// and SetNodeReady takes a node down.
//
// The binaries come from .ci/build-k8s.sh (see Options.BinDir). Nothing
// listens on or connects to anything but 127.0.0.1: the apiserver advertises
// 192.0.2.1 (TEST-NET-1), an address no component ever dials.
//
// In a test:
//
//	c := localcluster.StartT(t) // one Ready node "kwok-node-0", stopped on cleanup
//	cs := kubernetes.NewForConfigOrDie(c.Config)
//
// Elsewhere, Start and Stop. The processes are children of the calling
// process and die with it (on Linux), so an aborted test leaks none.
package localcluster

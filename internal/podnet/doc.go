// Package podnet gives the local control plane's fake pods a network of
// their own, so health checks send real HTTP to real endpoints. kwok marks
// pods Running and Ready and gives them IPs from a pod CIDR, but nothing runs;
// podnet makes those IPs answer.
//
// The layout, for a Network named "x" with pod CIDR 10.244.0.0/16:
//
//	host                                   netns "sgx"
//	  sgxh 10.244.255.253/30  <-- veth -->   sgxn 10.244.255.254/30
//	  route 10.244.0.0/16                         + one /32 per pod IP
//	    via 10.244.255.254 dev sgxh               lo up
//
// The top /30 of the CIDR is the link between the two ends and is never a
// pod IP. The namespace has no default route: all it can reach is the /30,
// so servers inside it can only answer the host.
//
// A Server listens on podIP:port inside the namespace; its behaviour comes
// from the container's env (VERSION, FAIL_RATE, LATENCY, CPU,
// ORDERS_RATE), and it exports Prometheus metrics named like a cluster's
// series on /metrics. A Controller
// watches pods and keeps one Server per containerPort of every Running pod
// (containers started, or Ready) whose IP is in the CIDR: a real container
// listens before its readiness probe passes.
//
// Safety: traffic goes only to loopback or into namespaces this package
// made. New refuses a CIDR outside the private and benchmarking ranges or
// overlapping any route the host already has (the default route aside), and
// CheckRoute, which runs before every bind and every dial through
// Network.Client, refuses an IP unless the namespace is still the one New
// made and `ip route get` names our veth. Nothing is skipped when the
// namespace cannot be made: New fails with the reason (needs root and
// iproute2, Debian package iproute2).
package podnet

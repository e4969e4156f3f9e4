// Package provingground wires the local control plane to a pod network of
// its own: kwok gives pods IPs inside a network namespace the harness
// created, and a controller serves HTTP on every Ready pod's ports there, so
// Services, EndpointSlices and the API server's service proxy carry real
// traffic. It is the ground the stages are proven on.
package provingground

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/shipgate/shipgate/internal/localcluster"
	"github.com/shipgate/shipgate/internal/podnet"
)

// Ground is a running control plane with its pod network.
type Ground struct {
	Cluster *localcluster.Cluster
	Net     *podnet.Network
	// Pods serves HTTP on every Ready pod's ports inside Net.
	Pods   *podnet.Controller
	Client kubernetes.Interface
}

// next numbers grounds within a process; with the process id it keeps
// namespace names and CIDRs of parallel test processes apart.
var next atomic.Int32

// StartT starts a ground for a test and tears it down at cleanup: the
// control plane stops before the network goes, so nothing dials pod IPs
// once their route is gone.
func StartT(t testing.TB) *Ground {
	t.Helper()
	ctx := t.Context()
	// 198.18.0.0/15 is reserved for benchmarking and never routed to anyone
	// else; /24 blocks from 128 up are left to this package.
	n := int(next.Add(1))
	block := claimBlock(t, (n*7+pidSalt())%120)
	cidr := fmt.Sprintf("198.18.%d.0/24", block)
	name := fmt.Sprintf("pg%d", block)
	net, err := podnet.New(ctx, podnet.Options{Name: name, CIDR: cidr, Logger: logger{t}})
	if err != nil {
		t.Fatalf("pod network: %v", err)
	}
	t.Cleanup(func() {
		if err := net.Close(); err != nil {
			t.Errorf("close pod network: %v", err)
		}
	})
	// kwok hands out IPs from the low half; the top /30 is the veth link.
	c := localcluster.StartT(t, func(o *localcluster.Options) { o.PodCIDR = fmt.Sprintf("198.18.%d.0/25", block) })
	client, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctrl := podnet.NewController(client, net, podnet.ControllerOptions{Logger: logger{t}})
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && runCtx.Err() == nil {
			t.Errorf("pod network controller: %v", err)
		}
	})
	return &Ground{Cluster: c, Net: net, Pods: ctrl, Client: client}
}

// claimBlock returns a /24 block from 128 up that no other ground on this
// machine holds, trying from the start-th: test processes run in parallel
// (go test ./...), and two grounds on one block would share, and remove,
// each other's network namespace. The block is held by a lock file until
// the test ends.
func claimBlock(t testing.TB, start int) int {
	t.Helper()
	for i := range 120 {
		block := 128 + (start+i)%120
		f, err := os.OpenFile(filepath.Join(os.TempDir(), fmt.Sprintf("shipgate-podnet-%d.lock", block)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatalf("claim a pod network block: %v", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		t.Cleanup(func() { f.Close() }) // closing the file lets the lock go
		return block
	}
	t.Fatal("claim a pod network block: all 120 blocks of 198.18.128.0/17 are held by other tests")
	return 0
}

// pidSalt spreads parallel test processes over different blocks.
func pidSalt() int { return os.Getpid() % 97 }

type logger struct{ t testing.TB }

func (l logger) Printf(format string, args ...any) { l.t.Logf(format, args...) }

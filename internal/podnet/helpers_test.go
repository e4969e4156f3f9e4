package podnet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test networks live in 198.18.0.0/15 (RFC 2544 benchmarking, never routed
// on real networks): each test takes its own /24, 198.18.<octet>.0/24, and
// its own name, both fixed so a crashed run's leftovers are removed by the
// next run of the same test. testNetworks fails a test that uses either
// while another test holds it.
var testNetworks = struct {
	sync.Mutex
	names  map[string]string
	octets map[int]string
}{names: map[string]string{}, octets: map[int]string{}}

func testCIDR(octet int) string { return fmt.Sprintf("198.18.%d.0/24", octet) }

// podIP is host part host of a test network's /24.
func podIP(octet, host int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, byte(octet), byte(host)})
}

// newTestNetwork makes network "t"+name on 198.18.<octet>.0/24 and closes it
// when the test ends. It fails the test, never skips, when the machine
// cannot make namespaces.
func newTestNetwork(t *testing.T, name string, octet int) *Network {
	t.Helper()
	name = "t" + name
	claimTestNetwork(t, name, octet)

	n, err := New(t.Context(), Options{Name: name, CIDR: testCIDR(octet), Logger: testLogger{t}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return n
}

// claimTestNetwork reserves name and octet for the test's duration.
func claimTestNetwork(t *testing.T, name string, octet int) {
	t.Helper()
	testNetworks.Lock()
	defer testNetworks.Unlock()
	if other, ok := testNetworks.names[name]; ok {
		t.Fatalf("network name %s already used by %s", name, other)
	}
	if other, ok := testNetworks.octets[octet]; ok {
		t.Fatalf("network 198.18.%d.0/24 already used by %s", octet, other)
	}
	testNetworks.names[name] = t.Name()
	testNetworks.octets[octet] = t.Name()
	t.Cleanup(func() {
		testNetworks.Lock()
		defer testNetworks.Unlock()
		delete(testNetworks.names, name)
		delete(testNetworks.octets, octet)
	})
}

// serve adds ip to n and serves on ip:port.
func serve(t *testing.T, n *Network, ip netip.Addr, port uint16, pod string, b Behavior) *Server {
	t.Helper()
	if err := n.AddAddress(t.Context(), ip); err != nil {
		t.Fatalf("AddAddress: %v", err)
	}
	s, err := n.Serve(t.Context(), ServerConfig{Addr: netip.AddrPortFrom(ip, port), Pod: pod, Behavior: b})
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	return s
}

type reply struct {
	status  int
	version string // X-Version
	body    Response
}

// get sends GET url through n's client and decodes the answer.
func get(ctx context.Context, n *Network, url string) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return reply{}, err
	}
	resp, err := n.Client(10 * time.Second).Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, version: resp.Header.Get("X-Version")}
	if err := json.Unmarshal(data, &r.body); err != nil {
		return reply{}, fmt.Errorf("decode %q: %w", data, err)
	}
	return r, nil
}

func mustGet(t *testing.T, n *Network, url string) reply {
	t.Helper()
	r, err := get(t.Context(), n, url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return r
}

// ipOut runs ip (or another iproute2 tool) and returns its output.
func ipOut(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// waitFor polls cond until it holds or 10s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type testLogger struct{ t *testing.T }

func (l testLogger) Printf(format string, args ...any) { l.t.Logf(format, args...) }

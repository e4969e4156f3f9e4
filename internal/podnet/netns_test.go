package podnet

import (
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		wantErr string // substring; empty means valid
	}{
		{"default CIDR", Options{Name: "a1"}, ""},
		{"benchmark range", Options{Name: "a1", CIDR: "198.18.3.0/24"}, ""},
		{"no name", Options{}, "Options.Name"},
		{"name too long", Options{Name: "abcdefghijklm"}, "at most 15"},
		{"name with dash", Options{Name: "a-b"}, "a-z and 0-9"},
		{"not a CIDR", Options{Name: "a", CIDR: "10.244.0.0"}, "want an IPv4 CIDR"},
		{"IPv6", Options{Name: "a", CIDR: "fd00::/64"}, "only IPv4"},
		{"not masked", Options{Name: "a", CIDR: "10.244.0.5/16"}, "use 10.244.0.0/16"},
		{"too small", Options{Name: "a", CIDR: "10.244.0.0/30"}, "/8 to /28"},
		{"public", Options{Name: "a", CIDR: "8.8.8.0/24"}, "never routed elsewhere"},
		{"loopback", Options{Name: "a", CIDR: "127.1.0.0/16"}, "never routed elsewhere"},
		{"straddles a private range", Options{Name: "a", CIDR: "172.0.0.0/8"}, "never routed elsewhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := parseOptions(tt.opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("parseOptions: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("parseOptions error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLinkAddresses(t *testing.T) {
	t.Parallel()
	_, cidr, err := parseOptions(Options{Name: "x", CIDR: "10.244.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	n := newNetwork(ipTool{}, Options{Name: "x"}, cidr)
	got := fmt.Sprintf("%s %s %s %s %s %s", n.name, n.hostIf, n.nsIf, n.link, n.host, n.peer)
	want := "sgx sgxh sgxn 10.244.255.252/30 10.244.255.253 10.244.255.254"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names and link (-want +got):\n%s", diff)
	}
	for ip, ok := range map[string]bool{"10.244.0.1": true, "10.244.255.251": true, "10.244.255.253": false, "10.244.255.255": false, "10.245.0.1": false} {
		if got := n.Contains(netip.MustParseAddr(ip)); got != ok {
			t.Errorf("Contains(%s) = %v, want %v", ip, got, ok)
		}
	}
}

// Output of `ip -j -4 route show table all` on a test machine with one
// podnet network on 198.18.0.0/24.
const routesJSON = `[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
{"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]},
{"dst":"198.18.0.0/24","gateway":"198.18.0.254","dev":"sgprobeh","prefsrc":"198.18.0.253","flags":[]},
{"dst":"198.18.0.252/30","dev":"sgprobeh","protocol":"kernel","scope":"link","prefsrc":"198.18.0.253","flags":[]},
{"type":"local","dst":"127.0.0.0/8","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},
{"type":"local","dst":"192.0.2.2","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"192.0.2.2","flags":[]},
{"type":"unreachable","dst":"10.99.0.0/16","table":"7","flags":[]}]`

func TestOverlapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cidr string
		ours string
		want []string
	}{
		{"10.244.0.0/16", "", nil},
		{"198.18.1.0/24", "", nil},
		{"198.18.0.0/16", "", []string{"198.18.0.0/24 dev sgprobeh", "198.18.0.252/30 dev sgprobeh"}},
		{"198.18.0.0/16", "sgprobeh", nil},
		{"192.0.2.0/25", "", []string{"192.0.2.0/24 dev eth0", "local 192.0.2.2 dev eth0 table local"}},
		{"192.0.2.128/25", "", []string{"192.0.2.0/24 dev eth0"}},
		{"10.0.0.0/8", "", []string{"unreachable 10.99.0.0/16 table 7"}},
	}
	for _, tt := range tests {
		t.Run(tt.cidr+"/"+tt.ours, func(t *testing.T) {
			t.Parallel()
			got, err := overlapping([]byte(routesJSON), netip.MustParsePrefix(tt.cidr), tt.ours)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("overlapping(%s) (-want +got):\n%s", tt.cidr, diff)
			}
		})
	}
}

func TestRouteDev(t *testing.T) {
	t.Parallel()
	dev, err := routeDev([]byte(`[{"dst":"198.18.0.7","gateway":"198.18.0.254","dev":"sgprobeh","prefsrc":"198.18.0.253","flags":[],"uid":0,"cache":[]}]`))
	if err != nil || dev != "sgprobeh" {
		t.Errorf("routeDev = %q, %v; want sgprobeh", dev, err)
	}
	for _, bad := range []string{`[]`, `[{"dst":"1.2.3.4"}]`, `not json`} {
		if dev, err := routeDev([]byte(bad)); err == nil {
			t.Errorf("routeDev(%s) = %q, want an error", bad, dev)
		}
	}
}

func TestServeAndGet(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "get", 1)
	ip := podIP(1, 5)
	s := serve(t, n, ip, 8080, "web-0", Behavior{Version: "v1"})

	r := mustGet(t, n, "http://198.18.1.5:8080/hello")
	want := reply{status: 200, version: "v1", body: Response{Version: "v1", Pod: "web-0", Path: "/hello"}}
	if diff := cmp.Diff(want, r, cmp.AllowUnexported(reply{})); diff != "" {
		t.Errorf("GET (-want +got):\n%s", diff)
	}
	if got := s.Stats(); got != (Stats{Requests: 1}) {
		t.Errorf("Stats = %+v, want 1 request", got)
	}

	// The listener lives in the namespace, not on the host.
	inNS, err := ipOut(t, "ss", "-N", n.Namespace(), "-Hltn")
	if err != nil || !strings.Contains(inNS, "198.18.1.5:8080") {
		t.Errorf("ss -N %s -ltn = %q, %v; want a listener on 198.18.1.5:8080", n.Namespace(), inNS, err)
	}
	onHost, err := ipOut(t, "ss", "-Hltn")
	if err != nil || strings.Contains(onHost, "198.18.1.5:8080") {
		t.Errorf("ss -ltn on the host = %q, %v; want no listener on 198.18.1.5:8080", onHost, err)
	}
}

func TestCheckRouteRefuses(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "route", 2)
	ctx := t.Context()
	if err := n.CheckRoute(ctx, podIP(2, 9)); err != nil {
		t.Fatalf("CheckRoute of a pod IP: %v", err)
	}
	for _, ip := range []string{"198.18.3.9", "8.8.8.8", "127.0.0.1", "198.18.2.253", "198.18.2.254"} {
		err := n.CheckRoute(ctx, netip.MustParseAddr(ip))
		if !errors.Is(err, ErrRefused) {
			t.Errorf("CheckRoute(%s) = %v, want ErrRefused", ip, err)
		}
	}
	if _, err := n.DialContext(ctx, "tcp", "example.com:80"); !errors.Is(err, ErrRefused) {
		t.Errorf("DialContext(example.com:80) = %v, want ErrRefused", err)
	}
	if _, err := n.Serve(ctx, ServerConfig{Addr: netip.MustParseAddrPort("198.18.3.9:80")}); !errors.Is(err, ErrRefused) {
		t.Errorf("Serve outside the CIDR = %v, want ErrRefused", err)
	}

	// Without the host veth the host routes pod IPs to its default route.
	if out, err := ipOut(t, "ip", "link", "del", n.HostInterface()); err != nil {
		t.Fatalf("ip link del: %v: %s", err, out)
	}
	err := n.CheckRoute(ctx, podIP(2, 9))
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "not via "+n.HostInterface()) {
		t.Errorf("CheckRoute without the veth = %v, want ErrRefused naming the route", err)
	}

	// Without the namespace.
	if out, err := ipOut(t, "ip", "netns", "del", n.Namespace()); err != nil {
		t.Fatalf("ip netns del: %v: %s", err, out)
	}
	err = n.CheckRoute(ctx, podIP(2, 9))
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "is gone") {
		t.Errorf("CheckRoute without the namespace = %v, want ErrRefused saying it is gone", err)
	}
	if err := n.AddAddress(ctx, podIP(2, 9)); !errors.Is(err, ErrRefused) {
		t.Errorf("AddAddress without the namespace = %v, want ErrRefused", err)
	}
}

func TestNewRefusesOverlap(t *testing.T) {
	t.Parallel()
	newTestNetwork(t, "ovl", 4)
	claimTestNetwork(t, "tovl2", 26)
	for _, cidr := range []string{"198.18.4.0/25", "198.18.0.0/16"} {
		_, err := New(t.Context(), Options{Name: "tovl2", CIDR: cidr})
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "sgtovlh") {
			t.Errorf("New(%s) = %v, want ErrRefused naming sgtovlh's route", cidr, err)
		}
	}
	if out, _ := ipOut(t, "ip", "netns", "list"); strings.Contains(out, "sgtovl2") {
		t.Errorf("refused New left namespace sgtovl2: %s", out)
	}
}

func TestParallelNetworks(t *testing.T) {
	t.Parallel()
	// The same host part and port on two networks, made and served at once.
	names := []string{"para", "parb"}
	for i, name := range names {
		claimTestNetwork(t, "t"+name, 5+i)
	}
	nets := make([]*Network, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		octet := 5 + i
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := New(t.Context(), Options{Name: "t" + name, CIDR: testCIDR(octet)})
			if err != nil {
				t.Errorf("New: %v", err)
				return
			}
			nets[i] = n
			ip := podIP(octet, 5)
			if err := n.AddAddress(t.Context(), ip); err != nil {
				t.Errorf("AddAddress: %v", err)
				return
			}
			if _, err := n.Serve(t.Context(), ServerConfig{Addr: netip.AddrPortFrom(ip, 80), Pod: name}); err != nil {
				t.Errorf("Serve: %v", err)
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, n := range nets {
			if n != nil {
				if err := n.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}
		}
	})
	if t.Failed() {
		return
	}
	for i, name := range names {
		r := mustGet(t, nets[i], fmt.Sprintf("http://198.18.%d.5/", 5+i))
		if r.body.Pod != name {
			t.Errorf("network %s answered for pod %q", name, r.body.Pod)
		}
	}
	// One network's client refuses the other's pod IPs.
	if _, err := get(t.Context(), nets[0], "http://198.18.6.5/"); !errors.Is(err, ErrRefused) {
		t.Errorf("GET another network's pod through nets[0] = %v, want ErrRefused", err)
	}
}

func TestCloseRemovesEverything(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "close", 7)
	s := serve(t, n, podIP(7, 5), 8080, "p", Behavior{})
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Server.Close after Network.Close: %v", err)
	}
	if out, err := ipOut(t, "ip", "netns", "list"); err != nil || strings.Contains(out, n.Namespace()) {
		t.Errorf("ip netns list = %q, %v; want no %s", out, err, n.Namespace())
	}
	if out, err := ipOut(t, "ip", "link"); err != nil || strings.Contains(out, "sgtclose") {
		t.Errorf("ip link = %q, %v; want no sgtclose* device", out, err)
	}
	if out, err := ipOut(t, "ip", "route", "show", "table", "all"); err != nil || strings.Contains(out, "198.18.7.") {
		t.Errorf("ip route = %q, %v; want no route for 198.18.7.0/24", out, err)
	}
	if out, err := ipOut(t, "ss", "-Hltn"); err != nil || strings.Contains(out, "198.18.7.5") {
		t.Errorf("ss -ltn = %q, %v; want no listener on 198.18.7.5", out, err)
	}
	if err := n.AddAddress(t.Context(), podIP(7, 6)); !errors.Is(err, ErrRefused) {
		t.Errorf("AddAddress after Close = %v, want ErrRefused", err)
	}
	if err := n.RemoveAddress(t.Context(), podIP(7, 5)); err != nil {
		t.Errorf("RemoveAddress after Close = %v, want nil", err)
	}
}

func TestNewRemovesLeftovers(t *testing.T) {
	t.Parallel()
	claimTestNetwork(t, "tleft", 8)
	removeLeft := func() {
		exec.Command("ip", "link", "del", "sgtlefth").Run()
		exec.Command("ip", "netns", "del", "sgtleft").Run()
	}
	removeLeft() // a failed run of this test
	// What a run killed before Close leaves behind.
	for _, args := range [][]string{
		{"netns", "add", "sgtleft"},
		{"link", "add", "sgtlefth", "type", "veth", "peer", "name", "sgtleftn", "netns", "sgtleft"},
		{"link", "set", "sgtlefth", "up"},
		{"addr", "add", "198.18.8.253/30", "dev", "sgtlefth"},
		{"route", "add", "198.18.8.0/24", "via", "198.18.8.254", "dev", "sgtlefth", "onlink"},
	} {
		if out, err := ipOut(t, "ip", args...); err != nil {
			removeLeft()
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	var logged []string
	n, err := New(t.Context(), Options{Name: "tleft", CIDR: testCIDR(8), Logger: logFunc(func(s string) { logged = append(logged, s) })})
	if err != nil {
		removeLeft()
		t.Fatalf("New over leftovers: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	want := []string{"podnet: removing leftover veth sgtlefth", "podnet: removing leftover namespace sgtleft"}
	if diff := cmp.Diff(want, logged); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	serve(t, n, podIP(8, 5), 80, "p", Behavior{})
	if r := mustGet(t, n, "http://198.18.8.5/"); r.status != 200 {
		t.Errorf("GET status %d, want 200", r.status)
	}
}

type logFunc func(string)

func (f logFunc) Printf(format string, args ...any) { f(fmt.Sprintf(format, args...)) }

func TestAddRemoveAddress(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "addr", 9)
	ip := podIP(9, 5)
	addrs := func() string {
		out, err := ipOut(t, "ip", "-n", n.Namespace(), "-4", "-o", "addr", "show", "dev", n.nsIf)
		if err != nil {
			t.Fatalf("ip addr show: %v: %s", err, out)
		}
		return out
	}
	for range 2 { // idempotent
		if err := n.AddAddress(t.Context(), ip); err != nil {
			t.Fatalf("AddAddress: %v", err)
		}
	}
	if got := addrs(); !strings.Contains(got, "198.18.9.5/32") {
		t.Errorf("after AddAddress: %s", got)
	}
	for range 2 {
		if err := n.RemoveAddress(t.Context(), ip); err != nil {
			t.Fatalf("RemoveAddress: %v", err)
		}
	}
	if got := addrs(); strings.Contains(got, "198.18.9.5/32") {
		t.Errorf("after RemoveAddress: %s", got)
	}
	if err := n.AddAddress(t.Context(), netip.MustParseAddr("198.18.9.254")); !errors.Is(err, ErrRefused) {
		t.Errorf("AddAddress of the link address = %v, want ErrRefused", err)
	}
}

func TestNewWithoutIPCommand(t *testing.T) {
	t.Parallel()
	_, err := New(t.Context(), Options{Name: "tnoip", CIDR: testCIDR(27), IP: "/nonexistent/ip"})
	if err == nil || !strings.Contains(err.Error(), "Options.IP") {
		t.Errorf("New with a missing ip command = %v, want an error naming Options.IP", err)
	}
}

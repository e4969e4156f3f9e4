package podnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// DefaultCIDR is the pod CIDR when Options.CIDR is empty (kubeadm's and
// kind's default).
const DefaultCIDR = "10.244.0.0/16"

// netnsDir is where iproute2 (as Debian builds it) mounts named namespaces.
const netnsDir = "/run/netns"

// closeTimeout bounds the ip commands Close runs.
const closeTimeout = 30 * time.Second

// Logger receives progress lines; *log.Logger fits.
type Logger interface {
	Printf(format string, args ...any)
}

type discard struct{}

func (discard) Printf(string, ...any) {}

// Options configures New. The zero value of every field but Name is the
// default.
type Options struct {
	// Name names the namespace "sg"+Name and the veth ends "sg"+Name+"h"
	// (host) and "sg"+Name+"n" (namespace). Required: 1 to 12 of a-z and
	// 0-9, unique on the machine. New first removes a namespace and veth
	// left with the same names by a run that crashed.
	Name string
	// CIDR is the IPv4 pod CIDR routed into the namespace, a network
	// address with a prefix of /8 to /28 inside 10.0.0.0/8, 172.16.0.0/12,
	// 192.168.0.0/16, 100.64.0.0/10 or 198.18.0.0/15. DefaultCIDR when
	// empty. Its top /30 links the host to the namespace.
	CIDR string
	// IP is the ip command (iproute2); ip from PATH, /usr/sbin or /sbin
	// when empty.
	IP string
	// Logger receives progress lines (leftovers removed); nil discards.
	Logger Logger
}

// Network is a network namespace with a veth pair to the host and the pod
// CIDR routed into it. Its methods are safe for concurrent use.
type Network struct {
	ip     ipTool
	log    Logger
	name   string // namespace
	hostIf string // host end of the veth
	nsIf   string // namespace end of the veth
	cidr   netip.Prefix
	link   netip.Prefix // top /30 of cidr
	host   netip.Addr   // host end's address
	peer   netip.Addr   // namespace end's address, the route's gateway

	nsID      fileID // identity of /run/netns/<name> as New made it
	hostIndex int    // ifindex of hostIf as New made it

	mu      sync.Mutex
	closed  bool
	servers map[*Server]struct{}
}

var nameRE = regexp.MustCompile(`^[a-z0-9]{1,12}$`)

// Private and benchmarking ranges: never routed on the internet, so a route
// for a pod CIDR inside them takes no traffic meant for anyone else.
var allowedParents = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("198.18.0.0/15"),
}

// parseOptions validates o and fills in defaults; it has no side effects.
func parseOptions(o Options) (Options, netip.Prefix, error) {
	if !nameRE.MatchString(o.Name) {
		return o, netip.Prefix{}, fmt.Errorf("Options.Name %q: want 1 to 12 of a-z and 0-9 (interface names are at most 15 characters: sg<name>h)", o.Name)
	}
	if o.CIDR == "" {
		o.CIDR = DefaultCIDR
	}
	p, err := netip.ParsePrefix(o.CIDR)
	if err != nil {
		return o, p, fmt.Errorf("Options.CIDR %q: want an IPv4 CIDR such as %s: %w", o.CIDR, DefaultCIDR, err)
	}
	if !p.Addr().Is4() {
		return o, p, fmt.Errorf("Options.CIDR %q: only IPv4 is supported", o.CIDR)
	}
	if p.Masked() != p {
		return o, p, fmt.Errorf("Options.CIDR %q is not a network address: use %s", o.CIDR, p.Masked())
	}
	if p.Bits() < 8 || p.Bits() > 28 {
		return o, p, fmt.Errorf("Options.CIDR %q: want a prefix length from /8 to /28", o.CIDR)
	}
	inside := false
	for _, a := range allowedParents {
		if a.Bits() <= p.Bits() && a.Contains(p.Addr()) {
			inside = true
		}
	}
	if !inside {
		return o, p, fmt.Errorf("Options.CIDR %q is not inside a range that is never routed elsewhere: pick one inside %v", o.CIDR, allowedParents)
	}
	if o.Logger == nil {
		o.Logger = discard{}
	}
	return o, p, nil
}

// New makes the namespace, the veth pair and the host route for the pod
// CIDR. It needs root and iproute2. It refuses a CIDR that overlaps a host
// route (the default route aside). On failure it removes what it made.
func New(ctx context.Context, opts Options) (*Network, error) {
	opts, cidr, err := parseOptions(opts)
	if err != nil {
		return nil, err
	}
	ip, err := findIP(opts.IP)
	if err != nil {
		return nil, err
	}
	if uid := os.Geteuid(); uid != 0 {
		return nil, fmt.Errorf("podnet needs root to create network namespaces and veth pairs (CAP_SYS_ADMIN, CAP_NET_ADMIN); running as uid %d", uid)
	}
	n := newNetwork(ip, opts, cidr)

	if err := n.removeLeftovers(ctx); err != nil {
		return nil, err
	}
	if err := n.checkFreeCIDR(ctx); err != nil {
		return nil, err
	}
	if err := n.create(ctx); err != nil {
		return nil, errors.Join(err, n.teardown())
	}
	return n, nil
}

func newNetwork(ip ipTool, opts Options, cidr netip.Prefix) *Network {
	last := lastAddr(cidr)
	link := netip.PrefixFrom(last, 30).Masked()
	host := link.Addr().Next()
	return &Network{
		ip:      ip,
		log:     opts.Logger,
		name:    "sg" + opts.Name,
		hostIf:  "sg" + opts.Name + "h",
		nsIf:    "sg" + opts.Name + "n",
		cidr:    cidr,
		link:    link,
		host:    host,
		peer:    host.Next(),
		servers: map[*Server]struct{}{},
	}
}

// create runs the ip commands that build the network, in order.
func (n *Network) create(ctx context.Context) error {
	ns := n.name
	steps := [][]string{
		// The namespace, mounted at /run/netns/<name>.
		{"netns", "add", ns},
		// The veth pair, its peer made directly inside the namespace.
		{"link", "add", n.hostIf, "type", "veth", "peer", "name", n.nsIf, "netns", ns},
		// Loopback inside the namespace.
		{"-n", ns, "link", "set", "lo", "up"},
		// The namespace end: its half of the /30 (its only route), then up.
		{"-n", ns, "addr", "add", prefixOf(n.peer, 30), "dev", n.nsIf},
		{"-n", ns, "link", "set", n.nsIf, "up"},
		// The host end: the other half of the /30, then up.
		{"addr", "add", prefixOf(n.host, 30), "dev", n.hostIf},
		{"link", "set", n.hostIf, "up"},
		// The pod CIDR into the namespace, from the host end's address.
		{"route", "add", n.cidr.String(), "via", n.peer.String(), "dev", n.hostIf, "src", n.host.String()},
	}
	for _, args := range steps {
		if _, err := n.ip.run(ctx, args...); err != nil {
			if stderrHas(err, "Operation not permitted") {
				err = fmt.Errorf("%w (needs CAP_SYS_ADMIN and CAP_NET_ADMIN: in a container, run it with --privileged or --cap-add SYS_ADMIN --cap-add NET_ADMIN)", err)
			}
			return fmt.Errorf("create network %s: %w", ns, err)
		}
	}
	id, err := statID(n.nsPath())
	if err != nil {
		return fmt.Errorf("create network %s: %w", ns, err)
	}
	ifc, err := net.InterfaceByName(n.hostIf)
	if err != nil {
		return fmt.Errorf("create network %s: find %s: %w", ns, n.hostIf, err)
	}
	n.nsID, n.hostIndex = id, ifc.Index
	return nil
}

// removeLeftovers deletes a namespace and host veth with this Network's
// names, left by an earlier run that did not Close.
func (n *Network) removeLeftovers(ctx context.Context) error {
	if _, err := net.InterfaceByName(n.hostIf); err == nil {
		n.log.Printf("podnet: removing leftover veth %s", n.hostIf)
		if _, err := n.ip.run(ctx, "link", "del", n.hostIf); err != nil {
			return fmt.Errorf("remove leftover veth: %w", err)
		}
	}
	if _, err := os.Lstat(n.nsPath()); err == nil {
		n.log.Printf("podnet: removing leftover namespace %s", n.name)
		if _, err := n.ip.run(ctx, "netns", "del", n.name); err != nil {
			return fmt.Errorf("remove leftover namespace: %w", err)
		}
	}
	return nil
}

// Close stops the servers started on the network, deletes the host veth
// (which takes its peer and the routes with it) and the namespace. It
// touches them only while they are still the ones New made. Calling Close
// again does nothing.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	servers := make([]*Server, 0, len(n.servers))
	for s := range n.servers {
		servers = append(servers, s)
	}
	n.mu.Unlock()

	var errs []error
	for _, s := range servers {
		errs = append(errs, s.Close())
	}
	errs = append(errs, n.teardown())
	return errors.Join(errs...)
}

// teardown deletes the host veth first: a listener still open would keep
// the namespace, and with it the pair, alive after `ip netns del`.
func (n *Network) teardown() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var errs []error
	if ifc, err := net.InterfaceByName(n.hostIf); err == nil && (n.hostIndex == 0 || ifc.Index == n.hostIndex) {
		if _, err := n.ip.run(ctx, "link", "del", n.hostIf); err != nil && !stderrHas(err, "Cannot find device") {
			errs = append(errs, err)
		}
	}
	if id, err := statID(n.nsPath()); err == nil && (n.nsID == fileID{} || id == n.nsID) {
		if _, err := n.ip.run(ctx, "netns", "del", n.name); err != nil && !stderrHas(err, "No such file") {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close network %s: %w", n.name, err)
	}
	return nil
}

// AddAddress puts ip, a pod IP in the CIDR, on the namespace's end of the
// veth as a /32. Adding an address already there is a no-op.
func (n *Network) AddAddress(ctx context.Context, ip netip.Addr) error {
	if err := n.checkUsable(ip); err != nil {
		return err
	}
	if _, err := n.ip.run(ctx, "-n", n.name, "addr", "replace", prefixOf(ip, 32), "dev", n.nsIf); err != nil {
		return fmt.Errorf("add address %s: %w", ip, err)
	}
	return nil
}

// RemoveAddress takes ip off the namespace's end of the veth. Removing an
// address that is not there, or from a closed Network, is a no-op.
func (n *Network) RemoveAddress(ctx context.Context, ip netip.Addr) error {
	if n.isClosed() {
		return nil
	}
	if err := n.checkUsable(ip); err != nil {
		return err
	}
	_, err := n.ip.run(ctx, "-n", n.name, "addr", "del", prefixOf(ip, 32), "dev", n.nsIf)
	if err != nil && !stderrHas(err, "Address not found", "Cannot assign requested address") {
		return fmt.Errorf("remove address %s: %w", ip, err)
	}
	return nil
}

// checkUsable checks ip is a pod IP of this open Network whose namespace is
// still the one New made.
func (n *Network) checkUsable(ip netip.Addr) error {
	if err := n.checkPodIP(ip); err != nil {
		return err
	}
	if n.isClosed() {
		return fmt.Errorf("%w: network %s is closed", ErrRefused, n.name)
	}
	return n.checkNamespace()
}

func (n *Network) isClosed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed
}

// Namespace is the network namespace's name, as `ip netns list` shows it.
func (n *Network) Namespace() string { return n.name }

// HostInterface is the host end of the veth: the device `ip route get`
// must name for a pod IP.
func (n *Network) HostInterface() string { return n.hostIf }

// Contains reports whether ip can be a pod IP: IPv4, in the CIDR and not
// in the /30 that links the host to the namespace.
func (n *Network) Contains(ip netip.Addr) bool { return n.checkPodIP(ip) == nil }

func (n *Network) nsPath() string { return filepath.Join(netnsDir, n.name) }

// lastAddr is the highest address in p.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func prefixOf(ip netip.Addr, bits int) string {
	return netip.PrefixFrom(ip, bits).String()
}

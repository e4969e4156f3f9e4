package podnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrRefused is wrapped by every error that refuses an address or a CIDR
// for safety: outside the pod CIDR, namespace gone, route not through our
// veth, CIDR overlapping a host route.
var ErrRefused = errors.New("podnet refused")

// checkPodIP checks ip is IPv4, in the CIDR and not in the link /30.
func (n *Network) checkPodIP(ip netip.Addr) error {
	switch {
	case !ip.IsValid():
		return fmt.Errorf("%w: no IP given", ErrRefused)
	case !ip.Is4():
		return fmt.Errorf("%w: %s is not IPv4", ErrRefused, ip)
	case !n.cidr.Contains(ip):
		return fmt.Errorf("%w: %s is outside pod CIDR %s of network %s", ErrRefused, ip, n.cidr, n.name)
	case n.link.Contains(ip):
		return fmt.Errorf("%w: %s is in %s, which links the host to namespace %s, not a pod IP", ErrRefused, ip, n.link, n.name)
	}
	return nil
}

// fileID identifies a file; for /run/netns/<name> it is the namespace.
type fileID struct {
	dev, ino uint64
}

func statID(path string) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fileID{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, nil
}

// checkNamespace checks /run/netns/<name> is still the namespace New made.
func (n *Network) checkNamespace() error {
	id, err := statID(n.nsPath())
	if err != nil {
		return fmt.Errorf("%w: namespace %s is gone: %w", ErrRefused, n.name, err)
	}
	if id != n.nsID {
		return fmt.Errorf("%w: namespace %s was replaced by one this Network did not make", ErrRefused, n.name)
	}
	return nil
}

// routeEntry is one object of `ip -j route` output.
type routeEntry struct {
	Dst     string `json:"dst"`
	Dev     string `json:"dev"`
	Gateway string `json:"gateway"`
	Type    string `json:"type"`
	Table   string `json:"table"`
}

// CheckRoute is the check to run before sending anything to ip or binding
// it: ip must be a pod IP of this open Network, the namespace must be the
// one New made, and `ip -j route get <ip>` must name our host veth. The
// error wraps ErrRefused when the check fails.
func (n *Network) CheckRoute(ctx context.Context, ip netip.Addr) error {
	if err := n.checkUsable(ip); err != nil {
		return err
	}
	out, err := n.ip.run(ctx, "-j", "route", "get", ip.String())
	if err != nil {
		return fmt.Errorf("%w: route to %s: %w", ErrRefused, ip, err)
	}
	dev, err := routeDev(out)
	if err != nil {
		return fmt.Errorf("%w: route to %s: %w", ErrRefused, ip, err)
	}
	if dev != n.hostIf {
		return fmt.Errorf("%w: the host routes %s via %s, not via %s into namespace %s", ErrRefused, ip, dev, n.hostIf, n.name)
	}
	return nil
}

// routeDev returns the device of the single route in `ip -j route get`
// output.
func routeDev(out []byte) (string, error) {
	var routes []routeEntry
	if err := json.Unmarshal(out, &routes); err != nil {
		return "", fmt.Errorf("parse ip -j route get output %q: %w", out, err)
	}
	if len(routes) != 1 || routes[0].Dev == "" {
		return "", fmt.Errorf("want one route with a device from ip -j route get, got %q", out)
	}
	return routes[0].Dev, nil
}

// checkFreeCIDR refuses the CIDR when any IPv4 route of any table overlaps
// it, the default route aside (it overlaps everything; CheckRoute is what
// keeps traffic off it).
func (n *Network) checkFreeCIDR(ctx context.Context) error {
	out, err := n.ip.run(ctx, "-j", "-4", "route", "show", "table", "all")
	if err != nil {
		return fmt.Errorf("list host routes: %w", err)
	}
	clash, err := overlapping(out, n.cidr, n.hostIf)
	if err != nil {
		return err
	}
	if len(clash) > 0 {
		return fmt.Errorf("%w: pod CIDR %s overlaps host routes %s: pick a free CIDR (Options.CIDR)", ErrRefused, n.cidr, strings.Join(clash, "; "))
	}
	return nil
}

// overlapping returns, as text, the routes in `ip -j route show` output
// that overlap p, leaving out default routes and those through ours.
func overlapping(out []byte, p netip.Prefix, ours string) ([]string, error) {
	var routes []routeEntry
	if err := json.Unmarshal(out, &routes); err != nil {
		return nil, fmt.Errorf("parse ip -j route show output: %w", err)
	}
	var clash []string
	for _, r := range routes {
		if r.Dst == "default" || (ours != "" && r.Dev == ours) {
			continue
		}
		dst, err := parseDst(r.Dst)
		if err != nil {
			return nil, fmt.Errorf("parse ip -j route show output: %w", err)
		}
		if dst.Bits() == 0 || !dst.Overlaps(p) {
			continue
		}
		desc := r.Dst
		if r.Type != "" {
			desc = r.Type + " " + desc
		}
		if r.Dev != "" {
			desc += " dev " + r.Dev
		}
		if r.Table != "" {
			desc += " table " + r.Table
		}
		clash = append(clash, desc)
	}
	return clash, nil
}

// parseDst parses a route's dst: an address (a /32) or a prefix.
func parseDst(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// DialContext dials address ("ip:port") after CheckRoute passes, or
// directly when the IP is loopback; host names are refused. Use it as an
// http.Transport's DialContext so a request can never leave for an
// address outside this Network.
func (n *Network) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s: want a literal ip:port: %w", ErrRefused, address, err)
	}
	if !ap.Addr().IsLoopback() {
		if err := n.CheckRoute(ctx, ap.Addr().Unmap()); err != nil {
			return nil, fmt.Errorf("dial %s: %w", address, err)
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// Client returns an HTTP client that dials only through DialContext and
// never through a proxy from the environment. timeout bounds each request.
func (n *Network) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         n.DialContext,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

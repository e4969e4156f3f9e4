package load

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shipgate/shipgate/internal/config"
)

// target is one configured path, ready to send.
type target struct {
	// label names it in results: the method and the configured path.
	label  string
	weight int
	vt     vegeta.Target
}

// buildTargets joins every configured path to the target's URL and
// refuses any URL that would leave it: another scheme or host, or a path
// outside the target's. Headers are the load's, then the path's over them.
func buildTargets(cfg config.LoadSpec, t Target) ([]target, error) {
	base, err := url.Parse(t.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("target %q: want an absolute http or https URL", t.URL)
	}
	if (base.RawQuery != "" || base.Fragment != "") && len(cfg.Paths) > 0 {
		return nil, fmt.Errorf("target %s has a query or fragment, so paths cannot be joined to it; put the query in each path", t.Name)
	}
	prefix := strings.TrimSuffix(base.EscapedPath(), "/")
	var out []target
	for i, p := range cfg.PathList() {
		raw := t.URL
		if p.Path != "" {
			raw = strings.TrimSuffix(t.URL, "/") + p.Path
		}
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			return nil, fmt.Errorf("paths[%d] %q: %w", i, p.Path, err)
		case u.Scheme != base.Scheme || u.Host != base.Host || u.User.String() != base.User.String():
			return nil, fmt.Errorf("paths[%d] %q leads to %s://%s, not the target; a load goes only to its target", i, p.Path, u.Scheme, u.Host)
		case !under(u.EscapedPath(), prefix):
			return nil, fmt.Errorf("paths[%d] %q leads out of the target's path %s; a load goes only to its target", i, p.Path, prefix)
		}
		h := http.Header{}
		for k, v := range cfg.Headers {
			h.Set(k, v)
		}
		for k, v := range p.Headers {
			h.Set(k, v)
		}
		label := p.MethodOrGet() + " " + cmpOr(p.Path, t.Name)
		out = append(out, target{label: label, weight: p.WeightOr1(), vt: vegeta.Target{Method: p.MethodOrGet(), URL: u.String(), Header: h, Body: []byte(p.Body)}})
	}
	return out, nil
}

// under reports whether path p is prefix or below it, with no dot
// segment on the way.
func under(p, prefix string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/") || (prefix == "" && p == "")
}

// weighted returns a targeter that hands out the targets in proportion to
// their weights by smooth weighted round robin: over any run of requests
// each target's share is within one request of its weight's.
func weighted(targets []target) vegeta.Targeter {
	var mu sync.Mutex
	current := make([]int, len(targets))
	total := 0
	for _, t := range targets {
		total += t.weight
	}
	return func(tgt *vegeta.Target) error {
		if tgt == nil {
			return vegeta.ErrNilTarget
		}
		mu.Lock()
		best := 0
		for i, t := range targets {
			current[i] += t.weight
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		mu.Unlock()
		vt := targets[best].vt
		*tgt = vegeta.Target{Method: vt.Method, URL: vt.URL, Body: vt.Body, Header: vt.Header.Clone()}
		return nil
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

package promote

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/load"
)

// stepLoad is promote.load running through one step's watch or the
// watched window.
type stepLoad struct {
	p     *promotion
	run   *load.Run
	label string
}

// startLoad starts promote.load for what label names (e.g. "step 10%",
// "watched window"), which is watched for d; a load that is not
// configured, or a watch of 0, is nil, and finishing it says nothing.
func (p *promotion) startLoad(ctx context.Context, label string, d time.Duration) *stepLoad {
	cfg := p.s.cfg.Load
	if !cfg.Enabled() || d <= 0 {
		return nil
	}
	r, err := httpcheck.NewResolver(p.cl.Config, p.cl.Client, p.s.namespace)
	if err != nil {
		p.env.RT.Warnf("promote.load: %v", err)
		return nil
	}
	p.env.RT.Logf("promote: load at %g/s to %s during the %s", cfg.Rate, cfg.Target.String(), label)
	return &stepLoad{p: p, run: load.Launch(ctx, r, cfg), label: label}
}

// finish stops the load and reports it: its checks (named "[load]
// <label>"), summary lines and timeline intervals. It returns why the load
// missed its limits, empty when it met them (or was not configured).
func (l *stepLoad) finish() string {
	if l == nil {
		return ""
	}
	res := l.run.Stop()
	p := l.p
	var missed []string
	for _, c := range res.Checks(load.DefaultPrefix + " " + l.label) {
		p.res.Checks = append(p.res.Checks, c)
		if c.Failed() {
			missed = append(missed, c.Name+": "+c.Findings[0].Title)
		}
	}
	for _, line := range res.Lines() {
		p.note("During the %s: %s", l.label, line)
	}
	if p.win != nil {
		p.win.marks = append(p.win.marks, res.Intervals()...)
	}
	if len(missed) == 0 {
		return ""
	}
	return fmt.Sprintf("the load during the %s missed its limits (%s)", l.label, strings.Join(missed, "; "))
}

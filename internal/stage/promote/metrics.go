package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/promrule"
	"github.com/shipgate/shipgate/internal/rules"
)

// addMetricRules adds the Prometheus rules (sustained, drop, cpu) to the
// window. It runs before the switch (before the rolling update): each
// drop rule's baseline is measured on the live revision now. pods
// selects the new revision's pods.
func (w *window) addMetricRules(ctx context.Context, pods string) error {
	p := w.p
	rb := p.s.cfg.Rollback
	if rb.MetricRules() == 0 {
		return nil
	}
	policy := func(override string) rules.Policy {
		if override != "" {
			return rules.Policy(override)
		}
		return rules.Policy(rb.NoDataPolicy())
	}
	r, err := httpcheck.NewResolver(p.cl.Config, p.cl.Client, p.s.namespace)
	if err != nil {
		return err
	}
	src, err := promrule.Connect(ctx, r, rb.Prometheus, w.checkTimeout)
	if err != nil {
		return fmt.Errorf("promote.rollback.prometheus: %w", err)
	}
	now := time.Now()

	for _, s := range rb.Sustained {
		w.engine.Add(&promrule.Sustained{RuleName: "sustained/" + s.Name, Query: s.Prometheus, Above: s.Above, Below: s.Below, For: s.For, Source: src}, policy(s.NoData))
	}
	for _, d := range rb.Drop {
		w.addDrop(ctx, d, src, now, policy(d.NoData))
	}
	for _, c := range rb.CPU {
		w.engine.Add(&promrule.CPU{
			Namespace: p.s.namespace, Container: c.Container, Above: float64(c.Limit()), For: c.Duration(), Rate: c.RateWindow(), Source: src,
			Pods: func(ctx context.Context) ([]string, error) {
				list, err := p.cl.Client.CoreV1().Pods(p.s.namespace).List(ctx, metav1.ListOptions{LabelSelector: pods})
				if err != nil {
					return nil, err
				}
				names := make([]string, 0, len(list.Items))
				for _, pod := range list.Items {
					if pod.DeletionTimestamp == nil {
						names = append(names, pod.Name)
					}
				}
				return names, nil
			},
		}, policy(c.NoData))
	}
	return nil
}

// checkMetricQueries asks Prometheus each metric rule's query once,
// before any change: one it refuses is an error naming the rule's field
// and Prometheus' message. Prometheus unreachable is not: the rules'
// no-data policy covers it.
func (p *promotion) checkMetricQueries(ctx context.Context) error {
	rb := p.s.cfg.Rollback
	if len(rb.Sustained)+len(rb.Drop) == 0 {
		return nil
	}
	r, err := httpcheck.NewResolver(p.cl.Config, p.cl.Client, p.s.namespace)
	if err != nil {
		return err
	}
	src, err := promrule.Connect(ctx, r, rb.Prometheus, 30*time.Second)
	if err != nil {
		return fmt.Errorf("promote.rollback.prometheus: %w", err)
	}
	now := time.Now()
	var errs []error
	check := func(field, q string) {
		if err := src.Check(ctx, q, now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w on %s; fix the query", field, err, src.Where))
		}
	}
	for i, s := range rb.Sustained {
		check(fmt.Sprintf("promote.rollback.sustained[%d].prometheus", i), s.Prometheus)
	}
	for i, d := range rb.Drop {
		check(fmt.Sprintf("promote.rollback.drop[%d].prometheus", i), d.Prometheus)
	}
	return errors.Join(errs...)
}

// addDrop adds a drop rule with its baseline measured on the live
// revision; on a first promotion there is none to compare with.
func (w *window) addDrop(ctx context.Context, d config.DropRule, src *promrule.Source, now time.Time, policy rules.Policy) {
	p := w.p
	name := "drop/" + d.Name
	if p.live == nil {
		w.notConfigured = append(w.notConfigured, name+": a first promotion has no live revision to measure a baseline on")
		return
	}
	rule := &promrule.Drop{RuleName: name, Query: d.Prometheus, By: float64(*d.By), Window: d.BaselineWindow(), For: d.For, Source: src}
	if b, err := rule.MeasureBaseline(ctx, now); err != nil {
		p.note("%s: no baseline on revision %d (%v); its evaluations have no data (no-data: %s)", name, p.live.Number, err, policy)
	} else {
		p.note("%s: baseline %s on revision %d before the switch; fires below %.4g", name, b, p.live.Number, b.Value*(1-float64(*d.By)))
	}
	w.engine.Add(rule, policy)
}

// Package promrule is the promote stage's metric rules on Prometheus: a
// query that stays beyond a bound for a duration (Sustained), a query that
// drops against a baseline measured before the switch (Drop), and a
// container's CPU use against its limit (CPU, from cAdvisor's and
// kube-state-metrics' series). Each is a rules.Rule; a query that cannot
// be answered, has no series or only NaN is a measurement without data,
// judged by the rule's no-data policy in the engine.
package promrule

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
)

// Source is a Prometheus the rules query.
type Source struct {
	// API is the Prometheus HTTP API.
	API promv1.API
	// Where names it in evidence: its URL, or its Service.
	Where string
	// Timeout bounds one query; 30s when zero.
	Timeout time.Duration
}

// Connect returns the Source at e: a URL directly, a Service through the
// API server's service proxy (as the business tier's queries reach it).
func Connect(ctx context.Context, r *httpcheck.Resolver, e config.Endpoint, timeout time.Duration) (*Source, error) {
	t, err := r.Resolve(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", e, err)
	}
	c, err := api.NewClient(api.Config{Address: t.URL, Client: t.Client(true)})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", t.Name, err)
	}
	return &Source{API: promv1.NewAPI(c), Where: t.Name, Timeout: timeout}, nil
}

func (s *Source) timeout() time.Duration {
	if s.Timeout <= 0 {
		return 30 * time.Second
	}
	return s.Timeout
}

// Refused is a query Prometheus refuses (bad_data: a syntax error, an
// unknown function), with Prometheus' own message.
type Refused struct {
	Query   string
	Message string
}

func (r *Refused) Error() string {
	return fmt.Sprintf("Prometheus refuses the query %s: %s", r.Query, r.Message)
}

// Check runs q once at now: a *Refused error when Prometheus refuses it,
// nil when it answers (with or without data) or cannot be reached (the
// rules' no-data policy covers that).
func (s *Source) Check(ctx context.Context, q string, now time.Time) error {
	_, err := s.Instant(ctx, q, now)
	if r, ok := errors.AsType[*Refused](err); ok {
		return r
	}
	return nil
}

// Instant runs q at now and returns its samples that are numbers (a
// scalar is one sample without labels); an error says why there are
// none to judge.
func (s *Source) Instant(ctx context.Context, q string, now time.Time) (model.Vector, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	val, _, err := s.API.Query(ctx, q, now, promv1.WithTimeout(s.timeout()))
	if err != nil {
		return nil, s.queryError(ctx, q, err)
	}
	var vec model.Vector
	switch v := val.(type) {
	case model.Vector:
		vec = v
	case *model.Scalar:
		vec = model.Vector{{Metric: model.Metric{}, Value: v.Value, Timestamp: v.Timestamp}}
	default:
		return nil, fmt.Errorf("the query %s on %s returned a %s; write a query whose result is an instant vector or a scalar", q, s.Where, val.Type())
	}
	out := vec[:0:0]
	for _, smp := range vec {
		if !math.IsNaN(float64(smp.Value)) {
			out = append(out, smp)
		}
	}
	switch {
	case len(vec) == 0:
		return nil, fmt.Errorf("the query %s on %s returned no series", q, s.Where)
	case len(out) == 0:
		return nil, fmt.Errorf("the query %s on %s returned only NaN (%d series)", q, s.Where, len(vec))
	}
	return out, nil
}

// Range runs q over [from, to] every step and returns the number values
// of its one series.
func (s *Source) Range(ctx context.Context, q string, from, to time.Time, step time.Duration) ([]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	val, _, err := s.API.QueryRange(ctx, q, promv1.Range{Start: from, End: to, Step: step}, promv1.WithTimeout(s.timeout()))
	if err != nil {
		return nil, s.queryError(ctx, q, err)
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("the query %s on %s returned a %s over a range; write a query whose result is an instant vector", q, s.Where, val.Type())
	}
	switch len(m) {
	case 0:
		return nil, fmt.Errorf("the query %s on %s returned no series from %s to %s", q, s.Where, from.UTC().Format(time.TimeOnly), to.UTC().Format(time.TimeOnly))
	case 1:
	default:
		return nil, fmt.Errorf("the query %s on %s returned %d series; aggregate it to one, e.g. sum(...)", q, s.Where, len(m))
	}
	var out []float64
	for _, p := range m[0].Values {
		if v := float64(p.Value); !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the query %s on %s returned only NaN from %s to %s", q, s.Where, from.UTC().Format(time.TimeOnly), to.UTC().Format(time.TimeOnly))
	}
	return out, nil
}

// queryError says why a query has no answer: Prometheus refused it, did
// not answer in time, or could not be reached.
func (s *Source) queryError(ctx context.Context, q string, err error) error {
	if pe, ok := errors.AsType[*promv1.Error](err); ok && pe.Type == promv1.ErrBadData {
		return &Refused{Query: q, Message: pe.Msg}
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // it names the API server's URL for a Service; Where says more
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("prometheus at %s did not answer %s within %s", s.Where, q, s.timeout())
	}
	return fmt.Errorf("prometheus at %s: %s", s.Where, strings.TrimSpace(err.Error()))
}

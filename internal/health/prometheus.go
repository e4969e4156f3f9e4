package health

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/result"
)

// queryTimeout bounds one Prometheus query, the request included.
const queryTimeout = 30 * time.Second

// maxShown is how many samples a description or message lists.
const maxShown = 10

// prometheusChecks runs the instant queries against the configured
// Prometheus, through the service proxy when it is a Service.
func prometheusChecks(ctx context.Context, r *httpcheck.Resolver, p config.Prometheus) ([]result.Check, error) {
	if len(p.Queries) == 0 {
		return []result.Check{{Name: "business/prometheus", Description: "instant Prometheus queries against thresholds", Skipped: NoPromQueries}}, nil
	}
	t, err := r.Resolve(ctx, p.Endpoint)
	where := t.Name
	var query promv1.API
	if err == nil {
		var c api.Client
		c, err = api.NewClient(api.Config{Address: t.URL, Client: t.Client(true)})
		if err != nil {
			err = fmt.Errorf("prometheus client for %s: %w", where, err)
		}
		query = promv1.NewAPI(c)
	}
	if err := fatal(ctx, err); err != nil {
		return nil, fmt.Errorf("prometheus at %s: %w", where, err)
	}
	var out []result.Check
	for _, q := range p.Queries {
		start := time.Now()
		var val model.Value
		var warnings promv1.Warnings
		qerr := err
		if qerr == nil {
			qctx, cancel := context.WithTimeout(ctx, queryTimeout)
			val, warnings, qerr = query.Query(qctx, q.Query, time.Time{}, promv1.WithTimeout(queryTimeout))
			cancel()
			if ue, ok := errors.AsType[*url.Error](qerr); ok {
				// It names the API server's URL for a Service; where says more.
				qerr = ue.Err
			}
			if qerr != nil && qctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
				qerr = fmt.Errorf("no answer within %s: %w", queryTimeout, qerr)
			}
		}
		if err := fatal(ctx, qerr); err != nil {
			return out, fmt.Errorf("prometheus query %s: %w", q.Name, err)
		}
		chk := judgeQuery(q, where, val, warnings, qerr)
		chk.Duration = time.Since(start)
		out = append(out, chk)
	}
	return out, nil
}

// judgeQuery holds a query's answer to its bounds: every sample of an
// instant vector, or the scalar, must lie within them; no samples, a
// query error or another result type fail.
func judgeQuery(q config.PromQuery, where string, val model.Value, warnings promv1.Warnings, err error) result.Check {
	name := "business/prometheus/" + q.Name
	want := bounds(q)
	chk := result.Check{Name: name, Description: fmt.Sprintf("PromQL %s on %s: every sample %s", q.Query, where, want)}
	fail := func(title, msg string) result.Check {
		if len(warnings) > 0 {
			msg += "\nPrometheus warnings: " + strings.Join(warnings, "; ")
		}
		chk.Findings = append(chk.Findings, failure(name, "", q.Name+": "+title, msg, nil))
		return chk
	}
	if err != nil {
		msg := fmt.Sprintf("The query %s on %s failed: %v.\nFix the query or check that Prometheus answers at %s.", q.Query, where, err, where)
		if pe, ok := errors.AsType[*promv1.Error](err); ok && pe.Detail != "" {
			msg += "\n" + httpcheck.BodyExcerpt([]byte(pe.Detail), false)
		}
		return fail("query failed: "+oneLine(err.Error()), msg)
	}
	var samples []string // "labels = value"
	var outside []string
	add := func(labels string, v float64) {
		s := fmt.Sprintf("%s = %s", labels, strconv.FormatFloat(v, 'g', -1, 64))
		samples = append(samples, s)
		if !within(q, v) {
			outside = append(outside, s)
		}
	}
	switch v := val.(type) {
	case model.Vector:
		for _, s := range v {
			add(s.Metric.String(), float64(s.Value))
		}
	case *model.Scalar:
		add("scalar", float64(v.Value))
	default:
		return fail(fmt.Sprintf("query returned a %s", typeName(val)),
			fmt.Sprintf("The query %s on %s returned a %s; use a query whose result is an instant vector or a scalar.", q.Query, where, typeName(val)))
	}
	if len(samples) == 0 {
		return fail("query returned nothing",
			fmt.Sprintf("The query %s on %s returned no samples, so nothing shows the metric is %s.\nCheck the metric name and labels, and that Prometheus scrapes the app.", q.Query, where, want))
	}
	chk.Description += "; got " + list(samples)
	if len(outside) == 0 {
		return chk
	}
	return fail(fmt.Sprintf("%d of %d samples not %s: %s", len(outside), len(samples), want, outside[0]),
		fmt.Sprintf("The query %s on %s must have every sample %s.\nOutside:\n%s", q.Query, where, want, bullets(outside[:min(len(outside), maxShown)])))
}

// within reports whether v lies within the query's bounds; NaN never does.
func within(q config.PromQuery, v float64) bool {
	return !math.IsNaN(v) && (q.Min == nil || v >= *q.Min) && (q.Max == nil || v <= *q.Max)
}

// bounds says what a sample must be, e.g. "between 0.9 and 1".
func bounds(q config.PromQuery) string {
	f := func(p *float64) string { return strconv.FormatFloat(*p, 'g', -1, 64) }
	switch {
	case q.Min != nil && q.Max != nil:
		return fmt.Sprintf("between %s and %s", f(q.Min), f(q.Max))
	case q.Min != nil:
		return "at least " + f(q.Min)
	case q.Max != nil:
		return "at most " + f(q.Max)
	}
	return "anything (set min or max)"
}

// list joins up to maxShown items and says how many more there are.
func list(items []string) string {
	s := strings.Join(items[:min(len(items), maxShown)], ", ")
	if n := len(items) - maxShown; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// oneLine cuts text to its first line of at most 120 characters, for a title.
func oneLine(text string) string {
	text, _, cut := strings.Cut(text, "\n")
	if r := []rune(text); len(r) > 120 {
		return string(r[:120]) + "…"
	} else if cut {
		return text + " …"
	}
	return text
}

// typeName names a result type as the Prometheus API does.
func typeName(v model.Value) string {
	if v == nil {
		return "result of no type"
	}
	switch v.Type() {
	case model.ValMatrix:
		return "range vector (matrix)"
	case model.ValString:
		return "string"
	}
	return v.Type().String()
}

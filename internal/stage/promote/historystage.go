package promote

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// CheckHistoryRead is the history stage's one check.
const CheckHistoryRead = "history/read"

// HistoryStage prints the revision history of an app in an environment
// and the pipeline figures, and writes both as CSV; it changes nothing.
type HistoryStage struct{}

// Validate checks the inputs before anything is read.
func (HistoryStage) Validate(env *stage.Env) error {
	_, err := parse(env)
	return err
}

// Run reads the history.
func (HistoryStage) Run(ctx context.Context, env *stage.Env) ([]report.Target, error) {
	s, err := parse(env)
	if err != nil {
		return nil, err
	}
	res := result.Result{Stage: "history", Started: env.Now()}
	cl, err := provider.Open(ctx, s.spec, func(provider.Handle) error { return nil })
	if err != nil {
		return nil, fmt.Errorf("production cluster: %w", err)
	}
	defer cl.Release(context.WithoutCancel(ctx))
	began := time.Now()
	revs, err := history.NewStore(cl.Client, s.namespace, s.app, s.environment).List(ctx)
	if err != nil {
		return nil, fmt.Errorf("revision history: %w", err)
	}
	rel := filepath.ToSlash(filepath.Join(env.Inputs.ReportDir, "history.csv"))
	if err := writeHistoryCSV(env.Inputs.Resolve(rel), revs, env.Now()); err != nil {
		return nil, err
	}
	for _, line := range historyTable(revs) {
		env.RT.Logf("%s", line)
	}
	res.Checks = append(res.Checks, result.Check{Name: CheckHistoryRead, Duration: time.Since(began),
		Description: fmt.Sprintf("%d revision(s) of %s in %s (namespace %s) read.", len(revs), s.app, s.environment, s.namespace)})
	res.Notes = append(res.Notes, ComputeFigures(revs, env.Now()).String(), fmt.Sprintf("Revisions and figures as CSV: `%s`.", rel))
	if err := env.RT.AppendSummary("### Revisions\n\n" + strings.Join(historyTable(revs), "\n") + "\n\n"); err != nil {
		env.RT.Warnf("%v", err)
	}
	res.Finished = env.Now()
	res.Title = fmt.Sprintf("%d revision(s)", len(revs))
	return []report.Target{{Result: res}}, env.RT.SetOutput("history-path", rel)
}

// historyTable is the revisions as a markdown table, newest first.
func historyTable(revs []history.Revision) []string {
	lines := []string{"| revision | state | strategy | image | commit | started | live for | reason |", "|---|---|---|---|---|---|---|---|"}
	for _, r := range revs {
		live := ""
		if !r.Switched.IsZero() && !r.Finished.IsZero() {
			live = round(r.Finished.Sub(r.Switched)).String()
		}
		lines = append(lines, fmt.Sprintf("| %d | %s | %s | %s | %s | %s | %s | %s |", r.Number, r.State, r.Strategy, orNone(r.Image),
			shortSHA(r.SHA), r.Started.UTC().Format("2006-01-02 15:04:05"), live, strings.ReplaceAll(r.Reason, "|", "/")))
	}
	return lines
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// writeHistoryCSV writes one row per revision, then the figures as
// name,value rows after an empty line.
func writeHistoryCSV(path string, revs []history.Revision, now time.Time) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	w := csv.NewWriter(f)
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	_ = w.Write([]string{"revision", "state", "strategy", "image", "sha", "previous", "started", "switched", "finished", "run_url", "reason"})
	for _, r := range revs {
		_ = w.Write([]string{strconv.Itoa(r.Number), string(r.State), r.Strategy, r.Image, r.SHA, strconv.Itoa(r.Previous),
			ts(r.Started), ts(r.Switched), ts(r.Finished), r.RunURL, r.Reason})
	}
	fig := ComputeFigures(revs, now)
	_ = w.Write(nil)
	for _, kv := range [][2]string{
		{"since", ts(fig.Since)}, {"promotions", strconv.Itoa(fig.Promotions)}, {"finished", strconv.Itoa(fig.Finished)},
		{"good", strconv.Itoa(fig.Good)}, {"success_rate", strconv.FormatFloat(fig.SuccessRate(), 'f', 4, 64)},
		{"median_start_to_live_seconds", secs(fig.ToLive)}, {"median_start_to_good_seconds", secs(fig.ToGood)},
		{"rollbacks", strconv.Itoa(fig.RolledBack)}, {"mean_time_to_recover_seconds", secs(fig.Recover)},
	} {
		_ = w.Write(kv[:])
	}
	w.Flush()
	return errors.Join(w.Error(), f.Close())
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// figures adds the pipeline figures to the summary once the run is done.
func (p *promotion) figures(ctx context.Context) {
	if p.store == nil {
		return
	}
	revs, err := p.store.List(context.WithoutCancel(ctx))
	if err != nil {
		p.env.RT.Warnf("pipeline figures: %v", err)
		return
	}
	p.res.Notes = append(p.res.Notes, ComputeFigures(revs, p.env.Now()).String())
}

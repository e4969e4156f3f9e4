package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/publish"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/risk"
	"github.com/shipgate/shipgate/internal/stage"
)

// files are the report files of one stage run, relative to the repository.
type files struct{ junit, markdown, json string }

func reportFiles(in stage.Inputs) files {
	base := filepath.Join(in.ReportDir, in.Stage)
	return files{junit: base + ".junit.xml", markdown: base + ".md", json: base + ".json"}
}

// execute runs the stage and reports its targets: files first (they must
// exist even when GitHub is unreachable), then the step summary, outputs and
// exit code.
func execute(ctx context.Context, st stage.Stage, env *stage.Env, sys IO, fail func(error) int) int {
	in := env.Inputs
	out := reportFiles(in)
	if err := os.MkdirAll(in.Resolve(in.ReportDir), 0o755); err != nil {
		return fail(fmt.Errorf("input report-dir: %w", err))
	}
	more := fmt.Sprintf("Every finding is in `%s`, every case (passed ones too) in `%s` and `%s` (upload the report directory as an artifact to keep them).",
		filepath.ToSlash(out.markdown), filepath.ToSlash(out.junit), filepath.ToSlash(out.json))
	var checks publish.CheckRuns
	if env.GitHub != nil {
		checks = env.GitHub
	}
	env.Publisher = publish.New(env.RT, checks, env.Job.RunURL(), "The step summary has more. "+more, sys.Now)
	if env.GitHub != nil && env.Job.RunID != 0 {
		env.Publisher.SetRanker(risk.NewRanker(env.GitHub.HistorySource(historyQuery(env)), risk.DefaultTimeout, env.RT.Warnf))
	}

	started := sys.Now()
	targets, err := st.Run(ctx, env)
	if err != nil {
		env.Publisher.Abort(err)
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("interrupted before the stage finished: %w", err)
		}
		err = fmt.Errorf("%s: %w", in.Stage, err)
		reportError(env.RT, in, targets, started, sys.Now(), err)
		return fail(err)
	}
	if err := writeFiles(in, out, targets); err != nil {
		return fail(err)
	}
	ranking := env.Publisher.RiskSection(ctx, targets, report.MaxStepSummary/4)
	if err := env.RT.AppendSummary(report.Markdown(targets, report.MaxStepSummary-len(ranking), more) + ranking); err != nil {
		env.RT.Warnf("%v", err)
	}

	failed, findings := false, 0
	for _, t := range targets {
		failed = failed || t.Result.Failed()
		findings += len(t.Result.Findings())
	}
	res := "success"
	if failed {
		res = "failure"
	}
	var ids []string
	for _, id := range env.Publisher.CheckRunIDs {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	outputs := [][2]string{
		{"result", res},
		{"junit-path", filepath.ToSlash(out.junit)},
		{"summary-path", filepath.ToSlash(out.markdown)},
		{"check-run-id", strings.Join(ids, ",")},
		{"findings", strconv.Itoa(findings)},
	}
	for _, o := range outputs {
		if err := env.RT.SetOutput(o[0], o[1]); err != nil {
			return fail(err)
		}
	}
	env.RT.Logf("%s: %s, %d finding(s); reports in %s", in.Stage, res, findings, filepath.ToSlash(in.ReportDir))
	if failed {
		return ExitFindings
	}
	return ExitOK
}

// historyQuery is the history a failed run is ranked by: the earlier
// runs of the repository, the pull request's base branch (else the
// default branch) as the base, this run and its pull request's own runs
// left out.
func historyQuery(env *stage.Env) ghapi.HistoryQuery {
	q := ghapi.HistoryQuery{BaseBranch: "main", CurrentRunID: env.Job.RunID}
	if ev := env.Event; ev != nil {
		if ev.Repository.DefaultBranch != "" {
			q.BaseBranch = ev.Repository.DefaultBranch
		}
		if pr := ev.PullRequest; pr != nil {
			q.PullRequest, q.HeadBranch = pr.Number, pr.Head.Ref
			if pr.Base.Ref != "" {
				q.BaseBranch = pr.Base.Ref
			}
		}
	}
	return q
}

// reportError writes the reports of a run that ended in err (exit code 2,
// an interrupt): the partial targets, if any, and an errored case, so an
// artifact upload always has something to show. It needs the report
// directory and an existing repository (it creates no repository); what
// it cannot write it warns about.
func reportError(rt *actionio.Runtime, in stage.Inputs, partial []report.Target, started, now time.Time, err error) {
	if _, known := stages[in.Stage]; !known {
		if !rt.InActions() {
			return // a mistyped stage on a command line writes no files
		}
		in.Stage = "shipgate"
	}
	if info, statErr := os.Stat(in.Repo); in.ReportDir == "" || statErr != nil || !info.IsDir() {
		return
	}
	if started.IsZero() {
		started = now
	}
	out := reportFiles(in)
	targets := append(slices.Clip(partial), report.Target{
		Result: result.Result{Stage: in.Stage, Started: started, Finished: now},
		Error:  err.Error(),
	})
	if err := os.MkdirAll(in.Resolve(in.ReportDir), 0o755); err != nil {
		rt.Warnf("input report-dir: %v", err)
		return
	}
	if err := writeFiles(in, out, targets); err != nil {
		rt.Warnf("%v", err)
		return
	}
	if err := rt.AppendSummary(report.Markdown(targets, report.MaxStepSummary, "")); err != nil {
		rt.Warnf("%v", err)
	}
	for _, o := range [][2]string{{"result", "failure"}, {"junit-path", filepath.ToSlash(out.junit)}, {"summary-path", filepath.ToSlash(out.markdown)}} {
		if err := rt.SetOutput(o[0], o[1]); err != nil {
			rt.Warnf("%v", err)
		}
	}
}

// writeFiles writes the JUnit XML and the JSON of every case, and the
// markdown report of every finding (passed checks counted when many); the
// JUnit and JSON files are written a case at a time.
func writeFiles(in stage.Inputs, out files, targets []report.Target) error {
	write := func(rel string, fill func(f *os.File) error) error {
		p := in.Resolve(rel)
		f, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if err := fill(f); err != nil {
			f.Close()
			return fmt.Errorf("write report %s: %w", p, err)
		}
		return f.Close()
	}
	return firstErr(
		write(out.junit, func(f *os.File) error { return report.WriteJUnit(f, targets) }),
		write(out.markdown, func(f *os.File) error {
			more := fmt.Sprintf("Every case (passed ones too) is in `%s` and `%s`.", filepath.ToSlash(out.junit), filepath.ToSlash(out.json))
			_, err := f.WriteString(report.Markdown(targets, 1<<40, more))
			return err
		}),
		write(out.json, func(f *os.File) error { return report.WriteJSON(f, targets) }),
	)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

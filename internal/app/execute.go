package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shipgate/shipgate/internal/publish"
	"github.com/shipgate/shipgate/internal/report"
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
	more := fmt.Sprintf("Every finding is in `%s` (upload the report directory as an artifact to keep it).", filepath.ToSlash(out.markdown))
	var checks publish.CheckRuns
	if env.GitHub != nil {
		checks = env.GitHub
	}
	env.Publisher = publish.New(env.RT, checks, env.Job.RunURL(), "The step summary has more. "+more, sys.Now)

	targets, err := st.Run(ctx, env)
	if err != nil {
		env.Publisher.Abort(err)
		return fail(fmt.Errorf("%s: %w", in.Stage, err))
	}
	if err := writeFiles(in, out, targets); err != nil {
		return fail(err)
	}
	if err := env.RT.AppendSummary(report.Markdown(targets, report.MaxStepSummary, more)); err != nil {
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

// writeFiles writes the JUnit XML, the full markdown report and the results
// as JSON.
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
			_, err := f.WriteString(report.Markdown(targets, 1<<40, ""))
			return err
		}),
		write(out.json, func(f *os.File) error {
			enc := json.NewEncoder(f)
			enc.SetIndent("", "  ")
			var rs []any
			for _, t := range targets {
				rs = append(rs, map[string]any{"label": t.Label, "result": t.Result})
			}
			return enc.Encode(rs)
		}),
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

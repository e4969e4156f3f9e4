package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shipgate/shipgate/internal/load"
	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
	"github.com/shipgate/shipgate/internal/timeline"
)

// loadResults turns a finished load into its checks and summary lines,
// and writes its intervals (JSON lines) and timeline (HTML) into the
// report directory, named by the namespace so each version's are kept.
func loadResults(env *stage.Env, ns string, res load.Results) ([]result.Check, []string, error) {
	checks := res.Checks(load.DefaultPrefix)
	notes := res.Lines()
	intervals := res.Intervals()
	if len(intervals) == 0 {
		return checks, notes, nil
	}
	base := filepath.Join(env.Inputs.ReportDir, "sandbox-load-"+ns)
	jsonAbs, htmlAbs := env.Inputs.Resolve(base+"-intervals.jsonl"), env.Inputs.Resolve(base+"-timeline.html")
	if err := os.MkdirAll(filepath.Dir(jsonAbs), 0o755); err != nil {
		return nil, nil, fmt.Errorf("write load intervals: %w", err)
	}
	f, err := os.Create(jsonAbs)
	if err != nil {
		return nil, nil, fmt.Errorf("write load intervals: %w", err)
	}
	if err := errors.Join(monitor.WriteJSONLines(f, intervals), f.Close()); err != nil {
		return nil, nil, err
	}
	if err := timeline.WriteFile(htmlAbs, "shipgate sandbox: load on "+res.Target, intervals); err != nil {
		return nil, nil, err
	}
	notes = append(notes, fmt.Sprintf("Load timeline: `%s`; intervals: `%s`.", filepath.ToSlash(base+"-timeline.html"), filepath.ToSlash(base+"-intervals.jsonl")))
	return checks, notes, nil
}

package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/result"
)

// erroredSample is a smoke run interrupted after one check passed.
func erroredSample() []Target {
	return []Target{{
		Result: result.Result{
			Stage: "smoke", Started: fixed, Finished: fixed.Add(2 * time.Second),
			Checks: []result.Check{{Name: "smoke/home", Duration: time.Second}},
		},
		Error: "smoke: interrupted before the stage finished: context canceled\nthe rollout was at 2 of 3 pods",
	}}
}

func TestErroredGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJUnit(&b, erroredSample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "errored.junit.xml", b.Bytes())
	golden(t, "errored.md", []byte(Markdown(erroredSample(), MaxCheckOutput, "")))
}

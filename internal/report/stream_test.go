package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/result"
)

// TestStreamingWriters: WriteJUnit and WriteJSON, which write a case at a
// time, write the same documents as encoding the whole report at once.
func TestStreamingWriters(t *testing.T) {
	t.Parallel()
	withNotes := sample()
	withNotes = append(withNotes, erroredSample()...)
	withNotes = append(withNotes, Target{Label: "empty <&>", Result: result.Result{Stage: "smoke", Checks: []result.Check{}}})
	for name, targets := range map[string][]Target{
		"none":      nil,
		"empty":     {},
		"one":       sample(),
		"errored":   erroredSample(),
		"mixed":     withNotes,
		"no checks": {{Result: result.Result{Stage: "build", Started: fixed, Finished: fixed}}},
		"odd names": {{Label: "tab\tnew\nline \"q\" 'a'", Result: result.Result{Stage: "smoke", Started: fixed, Finished: fixed, Checks: []result.Check{
			{Name: "go test/p/TestA/<&>", Description: "quote \" back\\slash \x01\x7f é \u2028 \xff\xfe", Duration: -time.Second},
			{Name: "tab\tcr\rnl\n", Skipped: "said <why> & \"how\""},
			{Name: "go test/p/TestB", Description: "go test TestB in p", Duration: 1234567890},
			{Name: `say "hi", it's`, Description: `say "hi"`},
			{},
		}}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var want, got bytes.Buffer
			whole := JUnit(targets)
			if err := whole.WriteXML(&want); err != nil {
				t.Fatal(err)
			}
			if err := WriteJUnit(&got, targets); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("WriteJUnit (-whole +streamed):\n%s", diff)
			}

			want.Reset()
			got.Reset()
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			var rs []any
			for _, t := range targets {
				r := map[string]any{"label": t.Label, "result": t.Result}
				if t.Error != "" {
					r["error"] = t.Error
				}
				rs = append(rs, r)
			}
			if err := enc.Encode(rs); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&got, targets); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("WriteJSON (-whole +streamed):\n%s", diff)
			}
		})
	}
}

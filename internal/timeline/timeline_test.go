package timeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/monitor"
)

func write(t *testing.T, title string, intervals []monitor.Interval) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, title, intervals, WithGenerated(fixed.Add(time.Hour))); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file      string
		intervals []monitor.Interval
	}{
		{"rollout.html", rollout()},
		{"empty.html", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			golden(t, tc.file, write(t, "shop/web rollout <v2> & more", tc.intervals))
		})
	}
}

// embedded decodes the JSON block of a written page.
func embedded(t *testing.T, html []byte) page {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="timeline-data">(.*?)</script>`).FindSubmatch(html)
	if m == nil {
		t.Fatal("no JSON block in the page")
	}
	var p page
	if err := json.Unmarshal(m[1], &p); err != nil {
		t.Fatalf("decode the JSON block: %v", err)
	}
	return p
}

func TestLaneOrder(t *testing.T) {
	t.Parallel()
	type laneKey struct{ Source, Locator, Levels string }
	p := embedded(t, write(t, "rollout", rollout()))
	var got []laneKey
	for _, l := range p.Lanes {
		k := laneKey{Source: l.Source, Locator: l.Locator}
		for _, s := range l.Intervals {
			k.Levels += string(s.Level[0])
		}
		got = append(got, k)
	}
	// Disruption first, then by source and locator; in a lane by start.
	want := []laneKey{
		{"disruption", "ns/shop service/web backend/new-connections", "iee"},
		{"disruption", "ns/shop service/web backend/reused-connections", "w"},
		{"deployment-condition", "ns/shop deployment/web", "iei"},
		{"node-condition", "node/kwok-node-0", "i"},
		{"pod-readiness", "ns/shop pod/web-7d9f8b6c4-abcde", "w"},
		{"pod-readiness", "ns/shop pod/web-7d9f8b6c4-fghij", "w"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lanes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(counts{Error: 3, Warning: 3, Info: 4}, p.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if p.Span != 35 || !p.Start.Equal(fixed) || p.Lanes[0].Intervals[1].Offset != 11.25 || p.Lanes[0].Intervals[1].Duration != 6.5 {
		t.Errorf("span %v from %v, second disruption at %+v; want 35s from %v, offset 11.25 duration 6.5",
			p.Span, p.Start, p.Lanes[0].Intervals[1], fixed)
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	good := iv("disruption", "ns/a service/b", monitor.Error, 1, 2, "down")
	for _, tc := range []struct {
		name   string
		change func(*monitor.Interval)
		want   string
	}{
		{"unknown level", func(i *monitor.Interval) { i.Level = "fatal" }, `interval 1 (disruption ns/a service/b): level "fatal" is not one of info, warning, error: set Level to monitor.Info`},
		{"no source", func(i *monitor.Interval) { i.Source = "" }, "source is empty: set Source"},
		{"no from", func(i *monitor.Interval) { i.From = time.Time{} }, "from is zero: set From"},
		{"ends before it starts", func(i *monitor.Interval) { i.To = at(0.5) }, "to 2026-11-22T10:00:00.5Z is before from 2026-11-22T10:00:01Z: set To"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bad := good
			tc.change(&bad)
			var b bytes.Buffer
			err := Write(&b, "x", []monitor.Interval{good, bad}, WithGenerated(fixed))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write error %v; want one containing %q", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing; want nothing", b.Len())
			}
		})
	}
	t.Run("many", func(t *testing.T) {
		t.Parallel()
		bad := make([]monitor.Interval, 25)
		err := Write(&bytes.Buffer{}, "x", bad, WithGenerated(fixed))
		if err == nil || strings.Count(err.Error(), "\n") != maxReported || !strings.HasSuffix(err.Error(), "and 15 more invalid intervals") {
			t.Errorf("Write error %v; want %d intervals named and 15 more counted", err, maxReported)
		}
	})
}

// hostile is a message that would break out of a script element or into
// an HTML comment if it were embedded unescaped.
const hostile = "</script><script>document.title='pwned'</script><!-- </SCRIPT --> ]]> \u2028 & \"quoted\" <b>bold</b>"

func TestHostileMessage(t *testing.T) {
	t.Parallel()
	html := write(t, "</title><script>alert(1)</script>", []monitor.Interval{iv("disruption", "<svg onload=alert(1)>", monitor.Error, 0, 1, hostile)})
	lower := bytes.ToLower(html)
	if n := bytes.Count(lower, []byte("</script")); n != 2 {
		t.Errorf("%d closing script tags; want 2, those of the JSON block and of the script", n)
	}
	if n := bytes.Count(lower, []byte("<script")); n != 2 {
		t.Errorf("%d opening script tags; want 2", n)
	}
	if bytes.Contains(html, []byte("<!--")) || bytes.Contains(html, []byte("<svg onload")) {
		t.Error("the page contains the message's markup unescaped")
	}
	p := embedded(t, html)
	if got := p.Lanes[0].Intervals[0].Message; got != hostile {
		t.Errorf("embedded message %q; want %q", got, hostile)
	}
}

func TestSelfContained(t *testing.T) {
	t.Parallel()
	html := string(write(t, "rollout", generated(300, 1)))
	rest := html
	for _, bad := range []string{"src=", "href=", "url(", "@import", "http:", "https:", "<link", "<img", "<iframe"} {
		if i := strings.Index(rest, bad); i >= 0 {
			t.Errorf("the page contains %q: %q", bad, rest[max(0, i-40):min(len(rest), i+40)])
		}
	}
	if m := regexp.MustCompile(`["'(=]//`).FindStringIndex(rest); m != nil {
		t.Errorf("the page contains a protocol-relative URL: %q", rest[max(0, m[0]-40):min(len(rest), m[1]+40)])
	}
	// The policy names the exact hashes of the inline script and style.
	for _, re := range []string{`(?s)<style>(.*?)</style>`, `(?s)<script>(.*?)</script>`} {
		m := regexp.MustCompile(re).FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("no match for %s", re)
		}
		sum := sha256.Sum256([]byte(m[1]))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(html, `content="default-src 'none'; `) || !strings.Contains(html, h) {
			t.Errorf("the Content-Security-Policy does not allow %s by hash %s", re, h)
		}
	}
}

func TestTableLimit(t *testing.T) {
	t.Parallel()
	html := string(write(t, "many", generated(MaxTableRows+7, 2)))
	if n := strings.Count(html, "<tr class=\"level-"); n != MaxTableRows {
		t.Errorf("%d table rows; want %d", n, MaxTableRows)
	}
	if want := "The first 1000 of 1007 intervals"; !strings.Contains(html, want) {
		t.Errorf("the table caption does not say %q", want)
	}
	if p := embedded(t, []byte(html)); p.Total != MaxTableRows+7 {
		t.Errorf("JSON holds %d intervals; want all %d", p.Total, MaxTableRows+7)
	}
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "timeline.html")
	if err := WriteFile(path, "shop/web rollout <v2> & more", rollout(), WithGenerated(fixed.Add(time.Hour))); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v; want 0644", fi.Mode().Perm())
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "rollout.html", got)

	bad := filepath.Join(dir, "bad.html")
	if err := WriteFile(bad, "x", []monitor.Interval{{Level: "x"}}); err == nil {
		t.Error("WriteFile of an invalid interval succeeded")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("WriteFile of an invalid interval left a file: %v", err)
	}
}

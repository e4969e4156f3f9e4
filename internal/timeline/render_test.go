//go:build unix

package timeline

import (
	"bytes"
	"cmp"
	"html"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/monitor"
)

// renderBudget is how long the page's script may take, in milliseconds.
const renderBudget = 1000

func renderMs(t *testing.T, d dom) float64 {
	t.Helper()
	ms, err := strconv.ParseFloat(d.RenderMs, 64)
	if err != nil {
		t.Fatalf("data-render-ms %q: %v", d.RenderMs, err)
	}
	return ms
}

// barKey is what a drawn bar says about its interval.
type barKey struct{ Kind, Source, Locator, Level, From, To, Message string }

func wantBars(intervals []monitor.Interval) []barKey {
	var out []barKey
	for _, iv := range intervals {
		kind := "rect"
		if iv.From.Equal(iv.To) {
			kind = "path"
		}
		out = append(out, barKey{kind, iv.Source, iv.Locator, string(iv.Level),
			iv.From.Format(time.RFC3339Nano), iv.To.Format(time.RFC3339Nano), iv.Message})
	}
	return sortedKeys(out)
}

func sortedKeys(keys []barKey) []barKey {
	slices.SortFunc(keys, func(a, b barKey) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Locator, b.Locator),
			cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Message, b.Message))
	})
	return keys
}

// wantLanes is the lanes of intervals as the page must order them:
// disruption first, then by source, then by locator.
func wantLanes(intervals []monitor.Interval) []domLane {
	var out []domLane
	for _, iv := range intervals {
		out = append(out, domLane{iv.Source, iv.Locator})
	}
	first := func(s string) bool { return s != "disruption" }
	slices.SortFunc(out, func(a, b domLane) int {
		if c := cmp.Compare(strconv.FormatBool(first(a.Source)), strconv.FormatBool(first(b.Source))); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Locator, b.Locator))
	})
	return slices.Compact(out)
}

func TestBrowserRender(t *testing.T) {
	t.Parallel()
	chromium(t)
	for _, tc := range []struct {
		name      string
		title     string
		intervals []monitor.Interval
	}{
		{"empty", "nothing happened", nil},
		{"one", "one", []monitor.Interval{iv("node-condition", "node/kwok-node-0", monitor.Warning, 1, 2, "MemoryPressure=True")}},
		{"one instant", "instant", []monitor.Interval{iv("event", "ns/shop pod/web-1", monitor.Info, 3, 3, "Pulled image")}},
		{"rollout", "shop/web rollout", rollout()},
		{"hostile", "</title><script>document.title='pwned'</script>", []monitor.Interval{
			iv("disruption", "<svg onload=alert(1)>", monitor.Error, 0, 1, hostile),
			iv("disruption", "ns/a service/b", monitor.Info, 0.5, 0.5, ""),
		}},
		{"5000", "load", generated(5000, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProxy(t)
			path := writeTemp(t, write(t, tc.title, tc.intervals))
			d := parseDOM(t, browse(t, p, path, "--dump-dom"))
			t.Logf("%d bars in %d lanes drawn in %s ms", len(d.Bars), len(d.Lanes), d.RenderMs)

			if got := p.Requests(); len(got) > 0 {
				t.Errorf("loading the page sent requests: %q", got)
			}
			if got, want := html.UnescapeString(d.Title), tc.title+" · timeline"; got != want {
				t.Errorf("document title %q; want %q", got, want)
			}
			if len(tc.intervals) == 0 {
				if d.Empty != "no intervals recorded" || len(d.Bars)+len(d.Lanes) > 0 {
					t.Errorf("empty timeline shows %q with %d lanes and %d bars; want \"no intervals recorded\" alone", d.Empty, len(d.Lanes), len(d.Bars))
				}
				return
			}
			if d.TableOpen {
				t.Error("the table is unfolded under a drawn chart; want it folded")
			}
			if d.Drawn != strconv.Itoa(len(tc.intervals)) {
				t.Errorf("data-drawn %q; want %d: the script did not finish", d.Drawn, len(tc.intervals))
			}
			// Timing on a busy machine is noisy: over budget, try twice more
			// and keep the best.
			best := renderMs(t, d)
			for try := 2; best > renderBudget && try <= 3; try++ {
				best = min(best, renderMs(t, parseDOM(t, browse(t, p, path, "--dump-dom"))))
				t.Logf("try %d: best render %.1f ms", try, best)
			}
			if best > renderBudget {
				t.Errorf("the script took %.1f ms at best; want under %v ms", best, renderBudget)
			}
			if diff := gocmp.Diff(wantLanes(tc.intervals), d.Lanes); diff != "" {
				t.Errorf("lanes (-want +got):\n%s", diff)
			}
			var got []barKey
			for _, b := range d.Bars {
				if b.Lane < 0 || d.Lanes[b.Lane] != (domLane{b.Source, b.Locator}) {
					t.Errorf("bar %+v drawn outside its lane", b)
				}
				if !strings.HasPrefix(b.Tip, b.Level+" · "+b.Source+"\n") || !strings.Contains(b.Tip, "\nfrom +") || !strings.Contains(b.Tip, "\nfor  ") {
					t.Errorf("bar tooltip %q lacks level, source, from or duration", b.Tip)
				}
				_, msg, _ := strings.Cut(b.Tip, "\n\n")
				got = append(got, barKey{b.Kind, b.Source, b.Locator, b.Level, b.From, b.To, msg})
			}
			if diff := gocmp.Diff(wantBars(tc.intervals), sortedKeys(got)); diff != "" {
				t.Errorf("bars (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBrowserFetchesAreSeen shows that the proxy check above can fail: a
// page that loads an image from elsewhere is caught.
func TestBrowserFetchesAreSeen(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	path := writeTemp(t, []byte(`<!DOCTYPE html><title>x</title><img src="http://timeline.invalid/pixel.png">`))
	browse(t, p, path, "--dump-dom")
	if got := p.Requests(); !slices.Contains(got, "GET timeline.invalid/pixel.png") {
		t.Errorf("proxy saw %q; want the image request", got)
	}
}

func TestBrowserScreenshot(t *testing.T) {
	t.Parallel()
	chromium(t)
	for _, tc := range []struct {
		name      string
		intervals []monitor.Interval
	}{
		{"rollout", rollout()},
		{"5000", generated(5000, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProxy(t)
			path := writeTemp(t, write(t, "shop/web rollout", tc.intervals))
			shot := filepath.Join(filepath.Dir(path), "timeline.png")
			browse(t, p, path, "--screenshot="+shot, "--window-size=1400,900", "--hide-scrollbars")
			b, err := os.ReadFile(shot)
			if err != nil {
				t.Fatalf("chromium wrote no screenshot: %v", err)
			}
			keepScreenshot(t, shot, "timeline-"+tc.name+".png")
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Fatalf("screenshot is not a PNG: % x", b[:min(8, len(b))])
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("decode screenshot: %v", err)
			}
			colours, red, amber := census(img)
			t.Logf("%v screenshot: %d colours, %d error-red and %d warning-amber pixels", img.Bounds().Size(), colours, red, amber)
			if img.Bounds().Dx() != 1400 || img.Bounds().Dy() != 900 {
				t.Errorf("screenshot is %v; want 1400x900", img.Bounds().Size())
			}
			// Text and bars give hundreds of colours; bars of a level give
			// thousands of pixels of its colour.
			if colours < 50 || red < 500 || amber < 500 {
				t.Errorf("screenshot has %d colours, %d red and %d amber pixels; want a drawn chart (50+, 500+, 500+)", colours, red, amber)
			}
			if got := p.Requests(); len(got) > 0 {
				t.Errorf("loading the page sent requests: %q", got)
			}
		})
	}
}

// census counts the distinct colours of img, and its pixels near the
// error red (#cf222e) and the warning amber (#d29922) as drawn on white.
func census(img image.Image) (colours, red, amber int) {
	seen := map[[3]uint32]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			seen[[3]uint32{r, g, b}] = true
			switch {
			case r > 180 && g < 90 && b < 100:
				red++
			case r > 180 && g > 130 && g < 190 && b < 110:
				amber++
			}
		}
	}
	return len(seen), red, amber
}

// TestBrowserWithoutScripts opens the page where scripts are blocked, as
// a viewer's Content-Security-Policy would: the chart is not drawn, and
// the table, unfolded, lists every interval instead.
func TestBrowserWithoutScripts(t *testing.T) {
	t.Parallel()
	chromium(t)
	intervals := rollout()
	blocked := regexp.MustCompile(`script-src '[^']*'`).ReplaceAll(write(t, "rollout", intervals), []byte("script-src 'none'"))
	page := browse(t, newProxy(t), writeTemp(t, blocked), "--dump-dom")
	if d := parseDOM(t, page); len(d.Lanes) > 0 || !d.TableOpen {
		t.Errorf("with scripts blocked: %d lanes drawn, table unfolded %v; want none, and unfolded", len(d.Lanes), d.TableOpen)
	}
	cell := `<td>(.*?)</td>`
	rows := regexp.MustCompile(`<tr class="level-\w+">`+strings.Repeat(cell, 6)+`</tr>`).FindAllSubmatch(page, -1)
	var got, want []barKey
	for _, r := range rows {
		c := make([]string, 7)
		for i := 1; i < 7; i++ {
			c[i] = html.UnescapeString(string(r[i]))
		}
		got = append(got, barKey{Level: c[1], Source: c[4], Locator: c[5], Message: c[6]})
	}
	for _, iv := range intervals {
		want = append(want, barKey{Level: string(iv.Level), Source: iv.Source, Locator: iv.Locator, Message: iv.Message})
	}
	if diff := gocmp.Diff(sortedKeys(want), sortedKeys(got)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

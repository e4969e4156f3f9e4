//go:build unix

package timeline

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var screenshots = flag.String("screenshots", "", "copy the browser tests' screenshots to this directory, for a person to look at")

// browserTimeout bounds one headless Chromium run: start, load, render,
// dump or screenshot, exit.
const browserTimeout = 60 * time.Second

// chromium is the path of the browser. Without one the browser tests fail
// in CI (CI=true), which installs it, and are skipped elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI must run the browser tests: apt-get install -y chromium")
	}
	t.Skip("chromium is not installed; to run the browser tests: apt-get install -y chromium")
	return ""
}

// proxy is an HTTP proxy on loopback that records every request sent to
// it. The browser is told to send all its traffic there, so a page that
// fetches anything shows up in Requests.
type proxy struct {
	URL string
	mu  sync.Mutex
	got []string
}

func newProxy(t *testing.T) *proxy {
	t.Helper()
	p := &proxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.got = append(p.got, r.Method+" "+r.Host+r.URL.Path)
		p.mu.Unlock()
		http.Error(w, "the timeline must not fetch anything", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// chromiumOwn reports whether Chromium itself connects to host whatever
// the page, despite --disable-background-networking: its update, sign-in,
// time and optimization-guide services. The fonts hosts are not its own;
// they are the likeliest accidental dependency of a page.
func chromiumOwn(host string) bool {
	if host == "fonts.googleapis.com" || host == "fonts.gstatic.com" {
		return false
	}
	return strings.HasSuffix(host, ".google.com") || strings.HasSuffix(host, ".googleapis.com") || strings.HasSuffix(host, ".gvt1.com")
}

// Requests is what the proxy has seen so far, but for Chromium's own.
func (p *proxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.got {
		_, hostPath, _ := strings.Cut(r, " ")
		host, _, _ := strings.Cut(hostPath, "/")
		if host, _, _ = strings.Cut(host, ":"); !chromiumOwn(host) {
			out = append(out, r)
		}
	}
	return out
}

var browsers = make(chan struct{}, 1)

// browse loads the file at path in headless Chromium with extra flags and
// returns what it printed. Names resolve to nothing and every request goes
// to p, so the page renders only if it needs no network.
func browse(t *testing.T, p *proxy, path string, extra ...string) []byte {
	t.Helper()
	bin := chromium(t)
	// One browser at a time: parallel ones would slow each other's
	// rendering, which the tests measure.
	select {
	case browsers <- struct{}{}:
		defer func() { <-browsers }()
	case <-t.Context().Done():
		t.Fatalf("waited for another browser test to finish: %v", t.Context().Err())
	}
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=" + p.URL,
	}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+path)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Chromium starts helpers (zygote, renderer); on timeout kill them all.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("waited %v for chromium to load, render and dump %s: %v\nstderr:\n%s", browserTimeout, path, err, tail(stderr.String()))
	}
	if err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", path, err, tail(stderr.String()))
	}
	t.Logf("chromium ran for %v", time.Since(start).Round(time.Millisecond))
	return stdout.Bytes()
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// dom is what the script drew, as read back from the browser's DOM.
type dom struct {
	Title     string // the document's title
	TableOpen bool   // whether the table of intervals is unfolded
	Empty     string // the "no intervals" message, if shown
	Drawn     string // data-drawn of the root
	RenderMs  string // data-render-ms of the root
	Lanes     []domLane
	Bars      []domBar
}

type domLane struct{ Source, Locator string }

type domBar struct {
	Lane                             int // index in dom.Lanes of the lane it was drawn in
	Kind                             string
	Source, Locator, Level, From, To string
	Tip                              string
}

// parseDOM reads the chart out of a --dump-dom. The chart is generated
// markup without scripts, which Chromium serializes well-formed enough for
// encoding/xml in its HTML mode.
func parseDOM(t *testing.T, page []byte) dom {
	t.Helper()
	var d dom
	if _, rest, ok := bytes.Cut(page, []byte("<title>")); ok {
		title, _, _ := bytes.Cut(rest, []byte("</title>"))
		d.Title = string(title)
	}
	if _, rest, ok := bytes.Cut(page, []byte(`<details id="table"`)); ok {
		tag, _, _ := bytes.Cut(rest, []byte(">"))
		d.TableOpen = bytes.Contains(tag, []byte("open"))
	}
	i := bytes.Index(page, []byte(`<main id="timeline"`))
	j := bytes.Index(page, []byte("</main>"))
	if i < 0 || j < i {
		t.Fatalf("no <main id=\"timeline\"> in the dumped DOM:\n%.2000s", page)
	}
	dec := xml.NewDecoder(bytes.NewReader(page[i : j+len("</main>")]))
	dec.Strict, dec.AutoClose, dec.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	type open struct {
		name    string
		classes []string
	}
	var stack []open
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return d
		}
		if err != nil {
			t.Fatalf("parse the dumped chart: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			a := map[string]string{}
			for _, at := range tok.Attr {
				a[at.Name.Local] = at.Value
			}
			classes := strings.Fields(a["class"])
			switch {
			case tok.Name.Local == "main":
				d.Drawn, d.RenderMs = a["data-drawn"], a["data-render-ms"]
			case hasClass(classes, "lane"):
				d.Lanes = append(d.Lanes, domLane{a["data-source"], a["data-locator"]})
			case hasClass(classes, "iv"):
				d.Bars = append(d.Bars, domBar{Lane: len(d.Lanes) - 1, Kind: tok.Name.Local, Source: a["data-source"],
					Locator: a["data-locator"], Level: a["data-level"], From: a["data-from"], To: a["data-to"]})
			}
			stack = append(stack, open{tok.Name.Local, classes})
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) < 2 {
				continue
			}
			top, parent := stack[len(stack)-1], stack[len(stack)-2]
			switch {
			case top.name == "title" && hasClass(parent.classes, "iv"):
				d.Bars[len(d.Bars)-1].Tip += string(tok)
			case top.name == "p" && hasClass(top.classes, "empty"):
				d.Empty += string(tok)
			}
		}
	}
}

func hasClass(classes []string, c string) bool { return slices.Contains(classes, c) }

// writeTemp writes the timeline of intervals to a file of its own.
func writeTemp(t *testing.T, html []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "timeline.html")
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func keepScreenshot(t *testing.T, src, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	b, err := os.ReadFile(src)
	if err == nil {
		err = os.WriteFile(filepath.Join(*screenshots, name), b, 0o644)
	}
	if err != nil {
		t.Errorf("keep screenshot: %v", err)
	}
}

package timeline

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed timeline.js
var script string

//go:embed timeline.css
var style string

// pageTemplate is the HTML around the chart, and the table of intervals
// under it. The table is open until the script has drawn the chart, so a
// reader whose viewer blocks scripts, by policy or by setting, sees it. The Content-Security-Policy
// allows only this page's own script and style, by hash, and no fetches
// at all: even a hostile interval message cannot make the file load
// anything.
var pageTemplate = template.Must(template.New("timeline").Funcs(template.FuncMap{
	"offset": fmtOffset, "dur": fmtDuration, "wall": fmtWall,
}).Parse(strings.NewReplacer("SCRIPT_HASH", cspHash(script), "STYLE_HASH", cspHash(style)).Replace(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'SCRIPT_HASH'; style-src 'STYLE_HASH'">
<title>{{.Title}} · timeline</title>
<style>{{.CSS}}</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="meta">{{if .Total}}{{.Total}} intervals in {{len .Lanes}} lanes, from <time datetime="{{.Start.UTC.Format "2006-01-02T15:04:05.000Z07:00"}}">{{wall .Start}}</time> for {{dur .Span}}{{else}}no intervals recorded{{end}}</p>
<ul class="legend">
<li class="level-error"><span class="swatch"></span>error <b>{{.Counts.Error}}</b></li>
<li class="level-warning"><span class="swatch"></span>warning <b>{{.Counts.Warning}}</b></li>
<li class="level-info"><span class="swatch"></span>info <b>{{.Counts.Info}}</b></li>
<li class="key-instant"><span class="swatch"></span>instant event</li>
</ul>
</header>
<main id="timeline" data-total="{{.Total}}" data-lanes="{{len .Lanes}}">
<div id="chart">{{if not .Total}}<p class="empty">no intervals recorded</p>{{end}}</div>
<pre id="details" hidden></pre>
</main>
{{- if .Total}}
<details id="table" open>
<summary>{{if .More}}The first {{len .Rows}} of {{.Total}} intervals{{else}}All {{.Total}} intervals{{end}} as a table</summary>
<table class="fallback">
<caption>In lane order; offsets from {{wall .Start}}.{{if .More}} The rest are in the JSON block of this file.{{end}}</caption>
<thead><tr><th>level</th><th>from</th><th>for</th><th>source</th><th>locator</th><th>message</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr class="level-{{.Level}}"><td>{{.Level}}</td><td>{{offset .Offset}}</td><td>{{dur .Duration}}</td><td>{{.Source}}</td><td>{{.Locator}}</td><td>{{.Message}}</td></tr>
{{- end}}
</tbody>
</table>
</details>
{{- end}}
<footer>Generated {{wall .Generated}} by shipgate. Click a bar for its details.</footer>
<script type="application/json" id="timeline-data">{{.JSON}}</script>
<script>{{.Script}}</script>
</body>
</html>
`)))

// view is what pageTemplate renders.
type view struct {
	page
	JSON   template.JS
	CSS    template.CSS
	Script template.JS
	Rows   []row
	More   int
}

// row is one line of the script-free table.
type row struct {
	span
	Source, Locator string
}

func render(w io.Writer, p page) error {
	// json.Marshal escapes <, > and & as \u003c, \u003e and \u0026, so no
	// message can close the script element or open an HTML comment in it.
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode intervals: %w", err)
	}
	v := view{page: p, JSON: template.JS(data), CSS: template.CSS(style), Script: template.JS(script)}
	for _, l := range p.Lanes {
		for _, s := range l.Intervals {
			if len(v.Rows) == MaxTableRows {
				v.More++
				continue
			}
			v.Rows = append(v.Rows, row{span: s, Source: l.Source, Locator: l.Locator})
		}
	}
	if err := pageTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("render page: %w", err)
	}
	return nil
}

// cspHash is the Content-Security-Policy source expression that allows an
// inline element whose content is exactly s.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// fmtWall is a wall-clock time in UTC to the millisecond.
func fmtWall(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") }

// fmtOffset is seconds from the start of the timeline, e.g. "+1.250s".
func fmtOffset(seconds float64) string { return fmt.Sprintf("+%.3fs", seconds) }

// fmtDuration is seconds as a Go duration to the millisecond, or
// "instant" for zero.
func fmtDuration(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d == 0:
		return "instant"
	case d < time.Millisecond:
		return d.String()
	}
	return d.Round(time.Millisecond).String()
}

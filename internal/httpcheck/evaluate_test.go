package httpcheck

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/config"
)

const appJSON = `{"version":"v1","count":3,"ratio":0.25,"ok":true,"none":null,"items":[{"n":1},{"n":5}],"text":"7"}`

func TestEvaluate(t *testing.T) {
	t.Parallel()
	ok := Observation{Method: "GET", Target: "http://app/", Status: 200, Latency: 20 * time.Millisecond, Body: []byte(appJSON)}
	with := func(f func(*Observation)) Observation { o := ok; f(&o); return o }
	tests := []struct {
		name   string
		obs    Observation
		expect config.Expect
		want   []string
	}{
		{"meets everything", ok, config.Expect{
			Status: 200, BodyContains: `"count":3`, BodyRegex: `version":"v\d`, MaxLatency: time.Second,
			JSON: []config.JSONCondition{
				{Path: ".version", Equals: ptr("v1")},
				{Path: "{.count}", Equals: ptr("3"), GreaterThan: ptr(2.0), LessThan: ptr(4.0)},
				{Path: ".ratio", Equals: ptr("0.25")},
				{Path: ".ok", Equals: ptr("true")},
				{Path: ".none", Equals: ptr("null")},
				{Path: ".items[*].n", GreaterThan: ptr(0.0)},
				{Path: ".text", LessThan: ptr(8.0)},
			},
		}, nil},
		{"zero status means 200", with(func(o *Observation) { o.Status = 201 }), config.Expect{},
			[]string{"status 201 Created, want 200"}},
		{"expected 503", with(func(o *Observation) { o.Status = 503 }), config.Expect{Status: 503}, nil},
		{"no response", Observation{Err: errors.New("connection refused")}, config.Expect{BodyContains: "x"},
			[]string{"no response: connection refused"}},
		{"body", ok, config.Expect{BodyContains: "v2", BodyRegex: `^\[`},
			[]string{`body does not contain "v2"`, `body does not match "^\\["`}},
		{"truncated body says so", with(func(o *Observation) { o.Truncated = true }), config.Expect{BodyContains: "v2"},
			[]string{`body does not contain "v2" (in its first 64 KiB)`}},
		{"bad regexp", ok, config.Expect{BodyRegex: "("},
			[]string{"expect.body-regex \"(\" does not compile (error parsing regexp: missing closing ): `(`): fix the regexp"}},
		{"equals names path, want and got", ok, config.Expect{JSON: []config.JSONCondition{{Path: ".version", Equals: ptr("v2")}}},
			[]string{`json .version = "v1", want "v2"`}},
		{"missing path", ok, config.Expect{JSON: []config.JSONCondition{{Path: ".build.sha", Equals: ptr("abc")}}},
			[]string{"json path .build.sha not found in the body"}},
		{"numbers", ok, config.Expect{JSON: []config.JSONCondition{
			{Path: ".count", GreaterThan: ptr(3.0)},
			{Path: ".ratio", LessThan: ptr(0.1)},
			{Path: ".version", GreaterThan: ptr(1.0)},
		}}, []string{
			"json .count = 3, want greater than 3",
			"json .ratio = 0.25, want less than 0.1",
			`json .version = "v1" is not a number, which greater-than and less-than need`,
		}},
		{"every match must pass", ok, config.Expect{JSON: []config.JSONCondition{{Path: ".items[*].n", LessThan: ptr(2.0)}}},
			[]string{"json .items[*].n = 5, want less than 2 (match 2 of 2)"}},
		{"bad path", ok, config.Expect{JSON: []config.JSONCondition{{Path: ".items[", Equals: ptr("1")}}},
			[]string{"json path .items[ does not parse (unterminated array): fix expect.json path"}},
		{"not JSON", with(func(o *Observation) { o.Body = []byte("<html>") }),
			config.Expect{JSON: []config.JSONCondition{{Path: ".a", Equals: ptr("1")}, {Path: ".b", Equals: ptr("2")}}},
			[]string{"body is not JSON (invalid character '<' looking for beginning of value), so json paths .a, .b cannot be tested"}},
		{"latency", with(func(o *Observation) { o.Latency = 1234567 * time.Microsecond }), config.Expect{MaxLatency: 300 * time.Millisecond},
			[]string{"latency 1.235s over max-latency 300ms"}},
		{"body cut short", with(func(o *Observation) { o.Err = errors.New("unexpected EOF") }), config.Expect{},
			[]string{"body not read to the end: unexpected EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Evaluate(tt.obs, tt.expect)); diff != "" {
				t.Errorf("Evaluate() problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBodyExcerpt(t *testing.T) {
	t.Parallel()
	long := bytes.Repeat([]byte("x"), 250)
	tests := []struct {
		name      string
		body      []byte
		truncated bool
		want      string
	}{
		{"empty", nil, false, "body: empty"},
		{"binary", []byte{0xff, 0xfe}, false, "body: 2 bytes, not text"},
		{"short", []byte("hello\n"), false, "body (6 bytes):\n  hello"},
		{"many lines", []byte("1\n2\n3\n4\n5\n6\n7"), false, "body (13 bytes, first 5 of 7 lines):\n  1\n  2\n  3\n  4\n  5"},
		{"truncated", []byte("a\r\nb"), true, "body (over 64 KiB, first lines):\n  a\n  b"},
		{"long line", long, false, "body (250 bytes):\n  " + string(long[:200]) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, BodyExcerpt(tt.body, tt.truncated)); diff != "" {
				t.Errorf("BodyExcerpt() (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

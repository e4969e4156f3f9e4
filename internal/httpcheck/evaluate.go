package httpcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/client-go/util/jsonpath"

	"github.com/shipgate/shipgate/internal/config"
)

// Evaluate returns the ways obs falls short of expect, each a sentence
// naming what was wanted and what came; none when obs meets expect.
func Evaluate(obs Observation, expect config.Expect) []string {
	if obs.Status == 0 {
		return []string{fmt.Sprintf("no response: %v", obs.Err)}
	}
	var problems []string
	if obs.Err != nil {
		problems = append(problems, fmt.Sprintf("body not read to the end: %v", obs.Err))
	}
	if want := expect.StatusOr200(); obs.Status != want {
		problems = append(problems, fmt.Sprintf("status %d %s, want %d", obs.Status, http.StatusText(obs.Status), want))
	}
	of := ""
	if obs.Truncated {
		of = fmt.Sprintf(" (in its first %d KiB)", MaxBody>>10)
	}
	if s := expect.BodyContains; s != "" && !bytes.Contains(obs.Body, []byte(s)) {
		problems = append(problems, fmt.Sprintf("body does not contain %q%s", s, of))
	}
	if expect.BodyRegex != "" {
		re, err := regexp.Compile(expect.BodyRegex)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("expect.body-regex %q does not compile (%v): fix the regexp", expect.BodyRegex, err))
		case !re.Match(obs.Body):
			problems = append(problems, fmt.Sprintf("body does not match %q%s", expect.BodyRegex, of))
		}
	}
	problems = append(problems, jsonProblems(obs.Body, expect.JSON)...)
	if limit := expect.MaxLatency; limit > 0 && obs.Latency > limit {
		problems = append(problems, fmt.Sprintf("latency %s over max-latency %s", FormatLatency(obs.Latency), limit))
	}
	return problems
}

// jsonProblems tests the conditions against body parsed as JSON. Numbers
// keep the text JSON wrote them with, so equals compares that text.
func jsonProblems(body []byte, conds []config.JSONCondition) []string {
	if len(conds) == 0 {
		return nil
	}
	var data any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		paths := make([]string, len(conds))
		for i, c := range conds {
			paths[i] = c.Path
		}
		return []string{fmt.Sprintf("body is not JSON (%v), so json paths %s cannot be tested", err, strings.Join(paths, ", "))}
	}
	var problems []string
	for _, c := range conds {
		if p := jsonProblem(data, c); p != "" {
			problems = append(problems, p)
		}
	}
	return problems
}

// jsonProblem tests one condition; every value the path matches must meet it.
func jsonProblem(data any, c config.JSONCondition) string {
	jp := jsonpath.New(c.Path)
	if err := jp.Parse(c.JSONPath()); err != nil {
		return fmt.Sprintf("json path %s does not parse (%v): fix expect.json path", c.Path, err)
	}
	results, err := jp.FindResults(data)
	var vals []reflect.Value
	for _, r := range results {
		vals = append(vals, r...)
	}
	if err != nil || len(vals) == 0 {
		return fmt.Sprintf("json path %s not found in the body", c.Path)
	}
	for i, v := range vals {
		at := ""
		if len(vals) > 1 {
			at = fmt.Sprintf(" (match %d of %d)", i+1, len(vals))
		}
		text := valueText(v)
		if c.Equals != nil && text != *c.Equals {
			return fmt.Sprintf("json %s = %q, want %q%s", c.Path, text, *c.Equals, at)
		}
		if c.GreaterThan == nil && c.LessThan == nil {
			continue
		}
		n, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Sprintf("json %s = %q is not a number, which greater-than and less-than need%s", c.Path, text, at)
		}
		if g := c.GreaterThan; g != nil && !(n > *g) {
			return fmt.Sprintf("json %s = %s, want greater than %v%s", c.Path, text, *g, at)
		}
		if l := c.LessThan; l != nil && !(n < *l) {
			return fmt.Sprintf("json %s = %s, want less than %v%s", c.Path, text, *l, at)
		}
	}
	return ""
}

// valueText is a JSON value's text: a string as it is, a number as JSON
// wrote it, anything else as JSON.
func valueText(v reflect.Value) string {
	for v.IsValid() && v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if !v.IsValid() {
		return "null"
	}
	switch x := v.Interface().(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	return string(b)
}

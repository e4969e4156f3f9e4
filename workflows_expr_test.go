package main_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// exprContext holds the values a workflow's ${{ }} expressions read in a
// test, by dotted path: inputs.environment, secrets.kubeconfig,
// steps.promote.outputs.revision. Values are strings or booleans, as
// GitHub types them.
type exprContext struct {
	values map[string]any
	// optional are path prefixes whose unset names read as "" (GitHub's
	// reading of an output a step did not set); any other unset path fails
	// the test, so an expression the test gives no value for is not
	// replayed with a made-up one.
	optional []string
}

var exprRe = regexp.MustCompile(`\$\{\{(.*?)\}\}`)

// expand replaces each ${{ }} of s with its value: a lone expression keeps
// its type (a boolean input stays a boolean), text around expressions
// makes a string.
func (c exprContext) expand(s string) (any, error) {
	m := exprRe.FindAllStringSubmatchIndex(s, -1)
	if len(m) == 1 && m[0][0] == 0 && m[0][1] == len(s) {
		return c.eval(s[m[0][2]:m[0][3]])
	}
	var errs []string
	out := exprRe.ReplaceAllStringFunc(s, func(e string) string {
		v, err := c.eval(exprRe.FindStringSubmatch(e)[1])
		if err != nil {
			errs = append(errs, err.Error())
		}
		return exprString(v)
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// expandString is expand with the result as the runner hands it to an
// action or a job output: a string.
func (c exprContext) expandString(t *testing.T, where, s string) string {
	t.Helper()
	v, err := c.expand(s)
	if err != nil {
		t.Fatalf("%s: %s: %v", where, s, err)
	}
	return exprString(v)
}

func exprString(v any) string {
	switch v := v.(type) {
	case bool:
		return fmt.Sprint(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v != ""
	}
	return v != nil
}

var exprToken = regexp.MustCompile(`\s*(\|\||&&|!|\(|\)|'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_.-]*)`)

// eval evaluates the part of GitHub's expression language the workflows
// use: context paths, string literals, true and false, !, &&, || and
// parentheses, with GitHub's && and || (the deciding operand's value, not
// a boolean). Anything else is an error naming it.
func (c exprContext) eval(expr string) (any, error) {
	var toks []string
	rest := expr
	for strings.TrimSpace(rest) != "" {
		m := exprToken.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return nil, fmt.Errorf("the tests' expression reader does not know %q in %q; teach workflows_expr_test.go", strings.TrimSpace(rest), expr)
		}
		toks = append(toks, rest[m[2]:m[3]])
		rest = rest[m[1]:]
	}
	p := &exprParser{c: c, toks: toks}
	v, err := p.or()
	if err == nil && p.i < len(toks) {
		err = fmt.Errorf("unexpected %q in %q", toks[p.i], expr)
	}
	return v, err
}

type exprParser struct {
	c    exprContext
	toks []string
	i    int
}

func (p *exprParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *exprParser) or() (any, error) {
	v, err := p.and()
	for err == nil && p.peek() == "||" {
		p.i++
		var r any
		if r, err = p.and(); !truthy(v) {
			v = r
		}
	}
	return v, err
}

func (p *exprParser) and() (any, error) {
	v, err := p.unary()
	for err == nil && p.peek() == "&&" {
		p.i++
		var r any
		if r, err = p.unary(); truthy(v) {
			v = r
		}
	}
	return v, err
}

func (p *exprParser) unary() (any, error) {
	switch tok := p.peek(); {
	case tok == "":
		return nil, fmt.Errorf("the expression ends early")
	case tok == "!":
		p.i++
		v, err := p.unary()
		return !truthy(v), err
	case tok == "(":
		p.i++
		v, err := p.or()
		if err == nil && p.peek() != ")" {
			err = fmt.Errorf("no closing parenthesis")
		}
		p.i++
		return v, err
	case strings.HasPrefix(tok, "'"):
		p.i++
		return strings.ReplaceAll(tok[1:len(tok)-1], "''", "'"), nil
	case tok == "true" || tok == "false":
		p.i++
		return tok == "true", nil
	default:
		p.i++
		if v, ok := p.c.values[tok]; ok {
			return v, nil
		}
		for _, prefix := range p.c.optional {
			if strings.HasPrefix(tok, prefix) {
				return "", nil
			}
		}
		return nil, fmt.Errorf("the test gives no value for %s", tok)
	}
}

func TestExpressionReader(t *testing.T) {
	t.Parallel()
	c := exprContext{
		values:   map[string]any{"inputs.environment": "production", "inputs.fast-track": false, "inputs.on": true, "steps.a.outputs.x": "1"},
		optional: []string{"steps.a.outputs."},
	}
	tests := []struct {
		in      string
		want    any
		wantErr string
	}{
		{in: "${{ inputs.environment }}", want: "production"},
		{in: "${{ inputs.fast-track }}", want: false},
		{in: "group-${{ inputs.environment }}-${{ inputs.on }}", want: "group-production-true"},
		{in: "${{ steps.a.outputs.missing || 'failure' }}", want: "failure"},
		{in: "${{ steps.a.outputs.x || 'failure' }}", want: "1"},
		{in: "${{ steps.a.outputs.x && inputs.environment || '' }}", want: "production"},
		{in: "${{ steps.a.outputs.missing && inputs.environment || '' }}", want: ""},
		{in: "${{ !inputs.fast-track && (inputs.on) }}", want: true},
		{in: "${{ 'it''s' }}", want: "it's"},
		{in: "plain", want: "plain"},
		{in: "${{ github.sha }}", wantErr: "the test gives no value for github.sha"},
		{in: "${{ inputs.environment == 'production' }}", wantErr: `does not know "== 'production'"`},
	}
	for _, tc := range tests {
		got, err := c.expand(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.in, diff)
		}
	}
}

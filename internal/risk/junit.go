package risk

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/shipgate/shipgate/internal/result"
)

// MaxJUnitBytes bounds one JUnit document ReadJUnit reads: shipgate's
// reports of 100,000 go test cases are about 20 MB.
const MaxJUnitBytes = 64 << 20

// ReadJUnit reads the outcome of every test case of a JUnit XML document,
// a case at a time (a document is never held whole), reading at most limit
// bytes (MaxJUnitBytes when limit ≤ 0); a longer document is an error. A
// case listed twice (a retry) counts as failed if any of its entries
// failed or errored.
func ReadJUnit(r io.Reader, limit int64) (map[Case]Outcome, error) {
	if limit <= 0 {
		limit = MaxJUnitBytes
	}
	lr := &io.LimitedReader{R: r, N: limit + 1}
	dec := xml.NewDecoder(lr)
	out := map[Case]Outcome{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if lr.N <= 0 {
				return nil, fmt.Errorf("junit: longer than %d bytes", limit)
			}
			return nil, fmt.Errorf("junit: %w", err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("junit: longer than %d bytes", limit)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "testcase" {
			continue
		}
		var tc struct {
			Name      string    `xml:"name,attr"`
			Classname string    `xml:"classname,attr"`
			Failure   *struct{} `xml:"failure"`
			Error     *struct{} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
		}
		if err := dec.DecodeElement(&tc, &start); err != nil {
			if lr.N <= 0 {
				return nil, fmt.Errorf("junit: longer than %d bytes", limit)
			}
			return nil, fmt.Errorf("junit: test case: %w", err)
		}
		o := Passed
		switch {
		case tc.Failure != nil || tc.Error != nil:
			o = Failed
		case tc.Skipped != nil:
			o = Skipped
		}
		c := Case{Class: tc.Classname, Name: tc.Name}
		if prev, seen := out[c]; seen && (prev == Failed || o == Skipped) {
			continue
		}
		out[c] = o
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("junit: longer than %d bytes", limit)
	}
	return out, nil
}

// Failures are the cases of a stage's result that a JUnit report lists as
// failed, named as internal/report names them: class "shipgate.<stage>",
// the check's name; a stage that could not run (errored) is the case
// named after the stage.
func Failures(stage string, r result.Result, errored bool) []Case {
	class := "shipgate." + stage
	var out []Case
	for _, c := range r.Checks {
		if c.Skipped == "" && c.Failed() {
			out = append(out, Case{Class: class, Name: c.Name})
		}
	}
	if errored {
		out = append(out, Case{Class: class, Name: stage})
	}
	return out
}

package actionio

import (
	"fmt"
	"strconv"

	"github.com/shipgate/shipgate/internal/result"
)

// Annotate writes one finding as a workflow command (::error file=…::), the
// way annotations reach the run when no check run can be written. Outside
// Actions it prints a compiler-style line instead.
func (r *Runtime) Annotate(f result.Finding) {
	if !r.InActions() {
		loc := f.Location()
		if loc != "" {
			loc += ": "
		}
		r.Logf("%s%s: %s: %s", loc, f.Level, f.Title, f.Message)
		return
	}
	fields := map[string]string{"title": f.Title}
	if f.Path != "" {
		fields["file"] = f.Path
	}
	putInt(fields, "line", f.Line)
	putInt(fields, "endLine", f.EndLine)
	// GitHub ignores columns on multi-line annotations.
	if f.EndLine == 0 || f.EndLine == f.Line {
		putInt(fields, "col", f.Column)
		putInt(fields, "endColumn", f.EndColumn)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.act.WithFieldsMap(fields)
	msg := f.Message
	switch f.Level {
	case result.Failure:
		a.Errorf("%s", msg)
	case result.Warning:
		a.Warningf("%s", msg)
	default:
		a.Noticef("%s", msg)
	}
}

func putInt(m map[string]string, k string, v int) {
	if v > 0 {
		m[k] = strconv.Itoa(v)
	}
}

// Warnf writes a warning that is not tied to a file.
func (r *Runtime) Warnf(format string, args ...any) {
	if !r.InActions() {
		r.Logf("warning: "+format, args...)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.act.Warningf("%s", fmt.Sprintf(format, args...))
}

// Errorf writes an error that is not tied to a file.
func (r *Runtime) Errorf(format string, args ...any) {
	if !r.InActions() {
		r.Logf("error: "+format, args...)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.act.Errorf("%s", fmt.Sprintf(format, args...))
}

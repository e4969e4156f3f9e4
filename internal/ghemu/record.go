package ghemu

import (
	"fmt"
	"slices"
	"strings"
)

// Call is one request the emulator answered.
type Call struct {
	Method string
	// Path is relative to BasePath ("/repos/o/r/check-runs"), without the
	// query; a request outside BasePath keeps its full path.
	Path  string
	Query string
	// Operation is the operationId the request matched ("checks/create"),
	// empty when it matched none.
	Operation string
	Status    int
	// RequestBytes is the size of the request body.
	RequestBytes int
	// Annotations is the length of output.annotations in the request body.
	Annotations int
	// Fault is true when an injected fault (or the read-only token) answered.
	Fault bool
}

// String renders the call as "POST /repos/o/r/check-runs → 201".
func (c Call) String() string {
	p := c.Path
	if c.Query != "" {
		p += "?" + c.Query
	}
	return fmt.Sprintf("%s %s → %d", c.Method, p, c.Status)
}

// Violation is a request GitHub would not accept: an unknown endpoint, a
// request that breaks the OpenAPI description, or one that breaks a rule
// GitHub enforces beyond the description.
type Violation struct {
	Method    string
	Path      string
	Operation string
	Reason    string
}

// String renders the violation as "METHOD PATH (operation): reason".
func (v Violation) String() string {
	op := ""
	if v.Operation != "" {
		op = " (" + v.Operation + ")"
	}
	return fmt.Sprintf("%s %s%s: %s", v.Method, v.Path, op, v.Reason)
}

// Calls returns every request answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsTo returns the calls that matched operationID ("checks/update").
func (s *Server) CallsTo(operationID string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Operation == operationID {
			out = append(out, c)
		}
	}
	return out
}

// Violations returns the requests GitHub would have rejected so far. Unless
// taken with TakeViolations, they fail the test at cleanup.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// TakeViolations returns the violations so far and forgets them, for tests
// that send invalid requests on purpose.
func (s *Server) TakeViolations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.violations
	s.violations = nil
	return v
}

func (s *Server) addViolation(ex *exchange, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, Violation{Method: ex.req.Method, Path: ex.path, Operation: ex.operationID(), Reason: reason})
}

// addBug records a fault of the emulator itself (an invalid response, an
// operation not emulated); bugs fail the test at cleanup.
func (s *Server) addBug(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bugs = append(s.bugs, fmt.Sprintf(format, args...))
}

// report fails the test for every violation and emulator bug left.
func (s *Server) report() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) > 0 {
		lines := make([]string, len(s.violations))
		for i, v := range s.violations {
			lines[i] = "  " + strings.ReplaceAll(v.String(), "\n", "\n    ")
		}
		s.t.Errorf("ghemu: %d request(s) GitHub would reject (call TakeViolations in tests that send them on purpose):\n%s",
			len(lines), strings.Join(lines, "\n"))
	}
	if len(s.bugs) > 0 {
		s.t.Errorf("ghemu: emulator bug(s):\n  %s", strings.Join(s.bugs, "\n  "))
	}
}

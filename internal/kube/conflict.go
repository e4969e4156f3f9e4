package kube

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Conflict is one field that server-side apply would take from another
// field manager.
type Conflict struct {
	// Field is the field's path as the API server names it, e.g.
	// .spec.template.spec.containers[name="web"].image.
	Field string `json:"field"`
	// Manager is the field manager that owns the field now.
	Manager string `json:"manager"`
	// Subresource is the subresource the manager wrote through, if any.
	Subresource string `json:"subresource,omitempty"`
	// APIVersion and Time are set when the manager wrote the field with an
	// update (kubectl edit, scale, a controller) rather than an apply.
	APIVersion string `json:"api_version,omitempty"`
	Time       string `json:"time,omitempty"`
}

// String describes the conflict in one line.
func (c Conflict) String() string {
	s := fmt.Sprintf("%s is owned by field manager %q", c.Field, c.Manager)
	if c.Subresource != "" {
		s += fmt.Sprintf(" (through subresource %q)", c.Subresource)
	}
	if c.APIVersion != "" {
		s += " (an update with " + c.APIVersion
		if c.Time != "" {
			s += " at " + c.Time
		}
		s += ")"
	}
	return s
}

// Conflicts returns the field conflicts of a failed server-side apply (an
// HTTP 409 whose details list causes of type FieldManagerConflict), or nil
// when err is not one.
func Conflicts(err error) []Conflict {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsConflict(err) {
		return nil
	}
	d := status.Status().Details
	if d == nil {
		return nil
	}
	var cs []Conflict
	for _, cause := range d.Causes {
		if cause.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		c := parseConflictMessage(cause.Message)
		c.Field = cause.Field
		cs = append(cs, c)
	}
	return cs
}

// parseConflictMessage reads a cause message as the API server writes it:
//
//	conflict with "kubectl-edit" using apps/v1 at 2024-01-02T03:04:05Z
//	conflict with "manager" with subresource "scale" using apps/v1
//	conflict with "other-applier"
//
// A message in another shape becomes the manager, as it is.
func parseConflictMessage(msg string) Conflict {
	rest, ok := strings.CutPrefix(msg, "conflict with ")
	if !ok {
		return Conflict{Manager: msg}
	}
	manager, rest, ok := cutQuoted(rest)
	if !ok {
		return Conflict{Manager: rest}
	}
	c := Conflict{Manager: manager}
	if r, ok := strings.CutPrefix(rest, " with subresource "); ok {
		if sub, r2, ok := cutQuoted(r); ok {
			c.Subresource, rest = sub, r2
		}
	}
	if r, ok := strings.CutPrefix(rest, " using "); ok {
		c.APIVersion, c.Time, _ = strings.Cut(r, " at ")
	}
	return c
}

// cutQuoted reads a Go-quoted string at the start of s.
func cutQuoted(s string) (value, rest string, ok bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", s, false
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return "", s, false
	}
	return v, s[len(q):], true
}

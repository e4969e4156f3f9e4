package kubeapis

import (
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/internal/kubeversion"
	"github.com/shipgate/shipgate/internal/result"
)

// Status is what an API version is at a target Kubernetes version.
type Status int

// The statuses of an API version at a target release.
const (
	// OK: not in the table, or not yet deprecated at the target.
	OK Status = iota
	// Deprecated: the target is at or after DeprecatedIn and before RemovedIn.
	Deprecated
	// Removed: the target is at or after RemovedIn.
	Removed
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Deprecated:
		return "deprecated"
	case Removed:
		return "removed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Check returns the status of apiVersion and kind at target, comparing minor
// releases only, and the entry when the table has one.
func Check(apiVersion, kind string, target kubeversion.Version) (Status, Entry) {
	e, ok := Lookup(apiVersion, kind)
	if !ok {
		return OK, Entry{}
	}
	return statusAt(e, target), e
}

func statusAt(e Entry, target kubeversion.Version) Status {
	switch {
	case !e.RemovedIn.IsZero() && kubeversion.MinorsBetween(e.RemovedIn, target) >= 0:
		return Removed
	case kubeversion.MinorsBetween(e.DeprecatedIn, target) >= 0:
		return Deprecated
	}
	return OK
}

// replacementAt follows the guide's replacements while they are themselves
// removed at target: the guide sends extensions/v1beta1 PodSecurityPolicy to
// policy/v1beta1, which v1.25 removed too. It returns the API to use at
// target (or None), the release it is served since (zero when unknown), and
// the removed replacements it passed.
func replacementAt(e Entry, target kubeversion.Version) (string, kubeversion.Version, []Entry) {
	var passed []Entry
	for range 10 { // the chains are short; the bound guards against a cycle
		next, ok := Lookup(e.Replacement, e.Kind)
		if !ok || statusAt(next, target) != Removed {
			break
		}
		passed = append(passed, next)
		e = next
	}
	return e.Replacement, e.ReplacementSince, passed
}

// Check names of the findings Finding returns.
const (
	CheckRemoved    = "apis/removed"
	CheckDeprecated = "apis/deprecated"
)

// Finding builds the finding for one object that uses apiVersion and kind,
// for a cluster at target: a failure (CheckRemoved) when target no longer
// serves it, a warning (CheckDeprecated) when it is deprecated at target. It
// returns false when there is nothing to report. path, line and column place
// the finding (the object's apiVersion, say); object is kind/namespace/name
// or kind/name.
func Finding(path string, line, column int, object string, apiVersion, kind string, target kubeversion.Version) (result.Finding, bool) {
	status, e := Check(apiVersion, kind, target)
	f := result.Finding{Path: path, Line: line, Column: column, Object: object}
	var msg strings.Builder
	switch status {
	case Removed:
		f.Check, f.Level = CheckRemoved, result.Failure
		f.Title = fmt.Sprintf("%s %s removed in %s", apiVersion, kind, e.RemovedIn)
		fmt.Fprintf(&msg, "%s %s is no longer served as of Kubernetes %s (deprecated since %s); the target version is %s.",
			apiVersion, kind, e.RemovedIn, e.DeprecatedIn, target)
	case Deprecated:
		f.Check, f.Level = CheckDeprecated, result.Warning
		if e.RemovedIn.IsZero() {
			f.Title = fmt.Sprintf("%s %s deprecated in %s", apiVersion, kind, e.DeprecatedIn)
			fmt.Fprintf(&msg, "%s %s is deprecated since Kubernetes %s; no removal is scheduled yet. The target version is %s.",
				apiVersion, kind, e.DeprecatedIn, target)
		} else {
			f.Title = fmt.Sprintf("%s %s deprecated in %s, removed in %s", apiVersion, kind, e.DeprecatedIn, e.RemovedIn)
			fmt.Fprintf(&msg, "%s %s is deprecated since Kubernetes %s and no longer served as of %s; the target version is %s.",
				apiVersion, kind, e.DeprecatedIn, e.RemovedIn, target)
		}
	default:
		return result.Finding{}, false
	}
	use, since, passed := replacementAt(e, target)
	switch {
	case use == None && len(passed) == 0:
		msg.WriteString(" There is no replacement API version.")
	case use == None:
		fmt.Fprintf(&msg, " The guide's replacement, %s, is itself removed as of %s, and has no successor.",
			passed[0].APIVersion, passed[0].RemovedIn)
	default:
		fmt.Fprintf(&msg, " Migrate to %s %s", use, kind)
		switch {
		case since.IsZero():
		case kubeversion.MinorsBetween(since, target) < 0:
			fmt.Fprintf(&msg, ", which is first served in %s: move to it together with the upgrade to %s", since, since)
		default:
			fmt.Fprintf(&msg, ", served since %s", since)
		}
		if len(passed) > 0 {
			fmt.Fprintf(&msg, " (the guide's replacement, %s, is itself removed as of %s)", passed[0].APIVersion, passed[0].RemovedIn)
		}
		msg.WriteString(".")
	}
	notes := e.Notes
	if len(passed) > 0 && passed[len(passed)-1].Notes != "" {
		notes = passed[len(passed)-1].Notes
	}
	if notes != "" {
		fmt.Fprintf(&msg, " %s", notes)
	}
	fmt.Fprintf(&msg, " See %s", e.URL())
	f.Message = msg.String()
	return f, true
}

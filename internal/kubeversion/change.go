package kubeversion

// Change classifies a move from one version to another.
type Change int

// The kinds of change between two versions.
const (
	// Unchanged: the same version, or the same minor with a patch unknown on
	// either side.
	Unchanged Change = iota
	// Patch: same minor, different patch, up or down.
	Patch
	// Minor: one minor release up, the supported control-plane upgrade.
	Minor
	// MinorSkip: more than one minor release up (or a major change).
	MinorSkip
	// Downgrade: to an earlier minor (or major) release.
	Downgrade
)

var changeNames = [...]string{"unchanged", "patch", "minor", "minor-skip", "downgrade"}

// String names the change in lower case, as check names use it.
func (c Change) String() string {
	if c < 0 || int(c) >= len(changeNames) {
		return "unknown"
	}
	return changeNames[c]
}

// Classify says what kind of change moving from → to is. A patch downgrade
// within one minor is a Patch change: the minor, and with it the API and the
// etcd storage versions, stays the same.
func Classify(from, to Version) Change {
	switch n := MinorsBetween(from, to); {
	case n < 0:
		return Downgrade
	case n == 1:
		return Minor
	case n > 1:
		return MinorSkip
	case !from.PatchKnown() || !to.PatchKnown() || from.Patch == to.Patch:
		return Unchanged
	default:
		return Patch
	}
}

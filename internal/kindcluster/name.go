package kindcluster

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
)

// MaxNameLength bounds a cluster name: kind names the control plane's
// container <name>-control-plane, and a hostname holds at most 64 bytes.
const MaxNameLength = 50

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	notNameRE = regexp.MustCompile(`[^a-z0-9]+`)
)

// NewName returns a cluster name unique to this run:
// shipgate-<runID>-<attempt>-<random>, lower case, a valid DNS label of at
// most MaxNameLength bytes. runID and attempt (GITHUB_RUN_ID and
// GITHUB_RUN_ATTEMPT in Actions) may be empty and are left out then; runs
// of other characters than letters and digits become one dash, and a long
// runID is cut.
func NewName(runID, attempt string) string {
	suffix := strings.ToLower(rand.Text()[:8])
	parts := []string{"shipgate"}
	for _, p := range []string{runID, attempt} {
		if p = strings.Trim(notNameRE.ReplaceAllString(strings.ToLower(p), "-"), "-"); p != "" {
			parts = append(parts, p)
		}
	}
	n := strings.Join(parts, "-")
	if room := MaxNameLength - len(suffix) - 1; len(n) > room {
		n = strings.TrimRight(n[:room], "-")
	}
	return n + "-" + suffix
}

// checkName reports whether n can name a kind cluster.
func checkName(n string) error {
	if len(n) > MaxNameLength || !nameRE.MatchString(n) {
		return fmt.Errorf("cluster name %q: use at most %d lower-case letters, digits and inner dashes, or leave it empty for a unique name", n, MaxNameLength)
	}
	return nil
}

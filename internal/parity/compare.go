package parity

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// Difference is one item the clusters do not share, or hold differently.
type Difference struct {
	Dimension string
	Key       string
	// Sandbox and Production are the item's value in each; empty when
	// the cluster lacks it (see InSandbox, InProduction).
	Sandbox, Production     string
	InSandbox, InProduction bool
	// Object names the object, kind/name, in whichever cluster has it.
	Object string
}

// Message says what differs, production first: "production has
// validating webhook deny.example.com (failurePolicy Fail for CREATE of
// apps/v1 deployments); the sandbox has none".
func (d Difference) Message() string {
	switch {
	case d.Dimension == Version:
		return fmt.Sprintf("production runs %s, the sandbox %s%s", d.Production, d.Sandbox, skewWords(d.Sandbox, d.Production))
	case d.Dimension == APIs && !d.InSandbox:
		return fmt.Sprintf("production serves %s; the sandbox does not", d.Key)
	case d.Dimension == APIs && !d.InProduction:
		return fmt.Sprintf("the sandbox serves %s; production does not", d.Key)
	case !d.InSandbox:
		return fmt.Sprintf("production has %s%s; the sandbox has none", d.Key, paren(d.Production))
	case !d.InProduction:
		return fmt.Sprintf("the sandbox has %s%s; production has none", d.Key, paren(d.Sandbox))
	}
	return fmt.Sprintf("%s: production has %s, the sandbox %s", d.Key, d.Production, d.Sandbox)
}

func paren(v string) string {
	if v == "" || v == "present" {
		return ""
	}
	return " (" + v + ")"
}

// Score is one dimension's comparison.
type Score struct {
	Dimension Dimension
	// Percent is from 0 to 100: the share of the items of either cluster
	// that both hold alike (100 when neither has any); for the version,
	// see VersionScore. An unreadable dimension scores 0.
	Percent float64
	// Matched of Total items are alike.
	Matched, Total int
	Differences    []Difference
	// Unreadable says why a cluster's side could not be read, or "".
	Unreadable string
}

// Report is the whole comparison.
type Report struct {
	Scores []Score
	// Overall is the weighted mean of the scores, from 0 to 100, rounded
	// to one decimal: each dimension counts by its Weight.
	Overall float64
}

// Differences returns every difference of every dimension, in order.
func (r Report) Differences() []Difference {
	var all []Difference
	for _, s := range r.Scores {
		all = append(all, s.Differences...)
	}
	return all
}

// Compare scores the sandbox against production on every dimension.
func Compare(sandbox, production Snapshot) Report {
	var rep Report
	sum, weights := 0.0, 0
	for _, d := range Dimensions {
		s := compareItems(d, sandbox.Items[d.Name], production.Items[d.Name])
		if d.Name == Version {
			s.Percent = VersionScore(sandbox.ServerVersion, production.ServerVersion)
		}
		for _, side := range []struct {
			who  string
			snap Snapshot
		}{{"production", production}, {"the sandbox", sandbox}} {
			if why := side.snap.Unreadable[d.Name]; why != "" && s.Unreadable == "" {
				s.Unreadable = fmt.Sprintf("%s: %s", side.who, why)
				s.Percent = 0
			}
		}
		rep.Scores = append(rep.Scores, s)
		sum += s.Percent * float64(d.Weight)
		weights += d.Weight
	}
	rep.Overall = math.Round(sum/float64(weights)*10) / 10
	return rep
}

// compareItems matches items by key; an item matches when both clusters
// have it with equal values.
func compareItems(d Dimension, sandbox, production []Item) Score {
	s := Score{Dimension: d, Percent: 100}
	inSandbox := map[string]Item{}
	for _, it := range sandbox {
		inSandbox[it.Key] = it
	}
	seen := map[string]bool{}
	for _, p := range production {
		seen[p.Key] = true
		s.Total++
		sb, ok := inSandbox[p.Key]
		switch {
		case ok && sb.Value == p.Value:
			s.Matched++
		case ok:
			s.Differences = append(s.Differences, Difference{Dimension: d.Name, Key: p.Key, Sandbox: sb.Value, Production: p.Value,
				InSandbox: true, InProduction: true, Object: p.Object})
		default:
			s.Differences = append(s.Differences, Difference{Dimension: d.Name, Key: p.Key, Production: p.Value, InProduction: true, Object: p.Object})
		}
	}
	for _, sb := range sandbox {
		if !seen[sb.Key] {
			s.Total++
			s.Differences = append(s.Differences, Difference{Dimension: d.Name, Key: sb.Key, Sandbox: sb.Value, InSandbox: true, Object: sb.Object})
		}
	}
	if s.Total > 0 {
		s.Percent = math.Round(float64(s.Matched)/float64(s.Total)*1000) / 10
	}
	return s
}

var gitVersion = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)`)

// VersionScore scores two API server versions: 100 for the same release,
// 90 for another patch of the same minor version, 60 one minor version
// apart (within the skew Kubernetes supports between a control plane and
// its clients), 30 two apart, 0 beyond or when a version does not parse.
func VersionScore(sandbox, production string) float64 {
	a, b := gitVersion.FindStringSubmatch(sandbox), gitVersion.FindStringSubmatch(production)
	if a == nil || b == nil || a[1] != b[1] {
		return 0
	}
	if a[0] == b[0] {
		return 100
	}
	switch skew(a, b) {
	case 0:
		return 90
	case 1:
		return 60
	case 2:
		return 30
	}
	return 0
}

// skew is how many minor versions apart two parsed versions are.
func skew(a, b []string) int {
	if d := minor(a) - minor(b); d > 0 {
		return d
	}
	return minor(b) - minor(a)
}

func minor(m []string) int {
	n, _ := strconv.Atoi(m[2])
	return n
}

// skewWords says how far apart two versions are, after a comma.
func skewWords(sandbox, production string) string {
	a, b := gitVersion.FindStringSubmatch(sandbox), gitVersion.FindStringSubmatch(production)
	if a == nil || b == nil || a[1] != b[1] || a[0] == b[0] {
		return ""
	}
	n := skew(a, b)
	if n == 0 {
		return ", another patch release of the same minor version"
	}
	newer := "the sandbox is newer"
	if ma, mb := minor(a), minor(b); ma < mb {
		newer = "production is newer"
	}
	return fmt.Sprintf(", %d minor version(s) apart (%s)", n, newer)
}

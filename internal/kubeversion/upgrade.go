package kubeversion

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/internal/result"
)

// Check names of the upgrade-path check.
const (
	// CheckMinorSkip: the control plane moves up more than one minor release.
	CheckMinorSkip = "upgrade/minor-skip"
	// CheckDowngrade: a version moves to an earlier minor release.
	CheckDowngrade = "upgrade/downgrade"
	// CheckPatch: a version changes its patch release only.
	CheckPatch = "upgrade/patch"
	// CheckMinor: a version moves up one minor release.
	CheckMinor = "upgrade/minor"
	// CheckKubeletSkew: kind worker nodes (kubelets) are outside the skew
	// policy with the control-plane nodes (kube-apiserver).
	CheckKubeletSkew = "upgrade/kubelet-skew"
	// CheckAPIServerSkew: kind control-plane nodes are more than one minor
	// release apart.
	CheckAPIServerSkew = "upgrade/apiserver-skew"
	// CheckRemoved: a version reference of the base tip is gone from the
	// merged tree, so there is nothing to compare it with.
	CheckRemoved = "upgrade/removed"
)

// UpgradeFindings compares the Kubernetes version references of the files a
// pull request changes. base and merged map repository-relative slash paths
// to the contents of the changed files at the base tip and in the merged tree;
// a file may be missing on either side. versionFiles names the files (exact
// paths or path.Match patterns) that pin a Kubernetes version.
//
// References are kindest/node:vX.Y.Z images in YAML files (and in version
// files) and version lines in version files (a bare version, or a KEY=version
// or key: version line). Old and new references are matched by file path and
// then by order of appearance within the file: the first reference of the
// base file with the first of the merged file, and so on. A reference only in
// the merged tree is new, not an upgrade; one only in the base gets a
// CheckRemoved notice on the base path, without a line.
//
// Rules: the control plane (every reference except kind worker nodes) must
// not move up more than one minor (CheckMinorSkip) nor down to an earlier
// minor (CheckDowngrade); a one-minor upgrade and a patch change are notices
// (CheckMinor, CheckPatch). In each kind Cluster config of the merged tree,
// worker images must be within the kubelet skew of the control-plane images
// (CheckKubeletSkew) and control-plane images within one minor of each other
// (CheckAPIServerSkew). Findings are sorted by path, line, column and check.
func UpgradeFindings(base, merged map[string][]byte, versionFiles []string) []result.Finding {
	paths := make([]string, 0, len(base)+len(merged))
	for p := range base {
		paths = append(paths, p)
	}
	for p := range merged {
		if _, ok := base[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)

	var out []result.Finding
	for _, p := range paths {
		vf := matchVersionFile(p, versionFiles)
		var olds, news []ref
		var clusters []kindCluster
		if c, ok := base[p]; ok {
			olds, _ = scan(p, c, vf)
		}
		_, inMerged := merged[p]
		if inMerged {
			news, clusters = scan(p, merged[p], vf)
		}
		for i, o := range olds {
			if i >= len(news) {
				out = append(out, removedFinding(p, o, inMerged))
				continue
			}
			if f, ok := changeFinding(p, o, news[i]); ok {
				out = append(out, f)
			}
		}
		for _, c := range clusters {
			out = append(out, skewFindings(p, c, news)...)
		}
	}
	slices.SortStableFunc(out, func(a, b result.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Check, b.Check),
		)
	})
	return out
}

// changeFinding applies the upgrade rules to one matched pair of references.
func changeFinding(p string, o, n ref) (result.Finding, bool) {
	f := result.Finding{Path: p, Line: n.line, Column: n.column}
	what := describe(n)
	from, to := o.version, n.version
	change := Classify(from, to)
	if n.role == roleWorker && change == MinorSkip {
		// A kubelet may trail the control plane by up to three minors and be
		// upgraded straight to it; the skew check judges where it lands.
		change = Minor
	}
	switch change {
	case Unchanged:
		return result.Finding{}, false
	case Patch:
		f.Check, f.Level = CheckPatch, result.Notice
		f.Title = fmt.Sprintf("Kubernetes %s → %s (patch)", from, to)
		f.Message = fmt.Sprintf("This change moves %s from %s to %s, a patch release within %s.",
			what, from, to, to.MinorOnly())
	case Minor:
		f.Check, f.Level = CheckMinor, result.Notice
		f.Title = fmt.Sprintf("Kubernetes %s → %s", from, to)
		f.Message = fmt.Sprintf("This change upgrades %s from %s to %s. "+
			"Read the urgent upgrade notes and API removals of %s before merging: %s",
			what, from, to, to.MinorOnly(), changelogURL(to))
	case MinorSkip:
		f.Check, f.Level = CheckMinorSkip, result.Failure
		f.Title = fmt.Sprintf("Kubernetes %s → %s skips %s", from, to, skipped(from, to))
		f.Message = fmt.Sprintf("This change moves %s from %s to %s, skipping %s. "+
			"kube-apiserver must not skip minor versions when upgrading, even in a single-instance cluster (%s#supported-component-upgrade-order). "+
			"Upgrade %s in separate PRs.",
			what, from, to, skipped(from, to), PolicyURL, upgradePath(from, to))
	case Downgrade:
		f.Check, f.Level = CheckDowngrade, result.Failure
		f.Title = fmt.Sprintf("Kubernetes %s → %s is a downgrade", from, to)
		f.Message = fmt.Sprintf("This change moves %s down from %s to %s. "+
			"Kubernetes does not support downgrading a control plane to an earlier minor release: "+
			"etcd data written by %s may not be readable by %s. "+
			"Keep %s, or recreate the cluster from scratch if a downgrade is really meant.",
			what, from, to, from.MinorOnly(), to.MinorOnly(), from)
		if n.role == roleWorker {
			f.Level = result.Warning
			f.Message = fmt.Sprintf("This change moves %s down from %s to %s. "+
				"In-place minor kubelet changes are not supported: drain and recreate the nodes (a new kind cluster does).",
				what, from, to)
		}
	}
	return f, true
}

// removedFinding reports a base reference the merged tree no longer has.
func removedFinding(p string, o ref, fileKept bool) result.Finding {
	gone := "the file is deleted in the merged tree"
	if fileKept {
		gone = "the merged file has fewer Kubernetes version references"
	}
	return result.Finding{
		Check: CheckRemoved, Level: result.Notice, Path: p,
		Title: fmt.Sprintf("Kubernetes %s reference removed", o.version),
		Message: fmt.Sprintf("At the base tip, line %d of %s held %s %s; %s, so it has no new version to compare with. "+
			"The finding has no line because that line is in the base version of the file, not in the merged one. "+
			"References are matched by file and by order within the file, so a removed earlier reference shifts the ones after it.",
			o.line, p, describeShort(o), o.text, gone),
	}
}

// skewFindings checks the node images of one kind cluster in the merged tree.
func skewFindings(p string, c kindCluster, refs []ref) []result.Finding {
	var cps, workers []ref
	for _, n := range c.nodes {
		if n.ref < 0 {
			continue
		}
		if n.role == roleWorker {
			workers = append(workers, refs[n.ref])
		} else {
			cps = append(cps, refs[n.ref])
		}
	}
	if len(cps) == 0 {
		return nil
	}
	apiservers := make([]Version, len(cps))
	for i, r := range cps {
		apiservers[i] = r.version
	}
	var out []result.Finding
	if err := CheckSkew(APIServer, apiservers[0], apiservers[1:]...); err != nil {
		newest := cps[0]
		for _, r := range cps[1:] {
			if r.version.Compare(newest.version) > 0 {
				newest = r
			}
		}
		out = append(out, result.Finding{
			Check: CheckAPIServerSkew, Level: result.Failure,
			Path: p, Line: newest.line, Column: newest.column,
			Title:   "kind control-plane nodes more than one minor apart",
			Message: fmt.Sprintf("In this kind cluster, %s (%s).", err, PolicyURL),
		})
	}
	for _, w := range workers {
		err := CheckSkew(Kubelet, w.version, apiservers...)
		if err == nil {
			continue
		}
		out = append(out, result.Finding{
			Check: CheckKubeletSkew, Level: result.Failure,
			Path: p, Line: w.line, Column: w.column,
			Title: fmt.Sprintf("kubelet %s outside the skew policy", w.version),
			Message: fmt.Sprintf("In this kind cluster, worker nodes run kubelet %s and control-plane nodes run kube-apiserver %s: %s (%s#kubelet).",
				w.version, versionList(apiservers), err, PolicyURL),
		})
	}
	return out
}

func describe(r ref) string {
	switch {
	case r.role == roleWorker:
		return "the kind worker node image (kubelet)"
	case r.role == roleControlPlane:
		return "the kind control-plane node image"
	case r.source == sourceVersionFile:
		return "the Kubernetes version of this version file"
	default:
		return "the kind node image"
	}
}

func describeShort(r ref) string {
	if r.source == sourceVersionFile {
		return "the version"
	}
	return "the kindest/node image tag"
}

// skipped names the minor releases between from and to, exclusive.
func skipped(from, to Version) string {
	n := MinorsBetween(from, to) - 1
	if from.Major != to.Major || n > 4 {
		return fmt.Sprintf("%d minor releases", n)
	}
	var vs []string
	for m := from.Minor + 1; m < to.Minor; m++ {
		vs = append(vs, Version{Major: to.Major, Minor: m, Patch: UnknownPatch}.String())
	}
	return joinAnd(vs)
}

// upgradePath spells the one-minor steps from → to: "v1.29 → v1.30 → v1.31".
func upgradePath(from, to Version) string {
	if from.Major != to.Major || MinorsBetween(from, to) > 6 {
		return fmt.Sprintf("one minor release at a time from %s to %s", from.MinorOnly(), to.MinorOnly())
	}
	var vs []string
	for m := from.Minor; m <= to.Minor; m++ {
		vs = append(vs, Version{Major: to.Major, Minor: m, Patch: UnknownPatch}.String())
	}
	return strings.Join(vs, " → ")
}

func changelogURL(v Version) string {
	return fmt.Sprintf("https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-%d.%d.md", v.Major, v.Minor)
}

func joinAnd(vs []string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	default:
		return strings.Join(vs[:len(vs)-1], ", ") + " and " + vs[len(vs)-1]
	}
}

func versionList(vs []Version) string {
	s := make([]string, 0, len(vs))
	for _, v := range vs {
		if !slices.Contains(s, v.String()) {
			s = append(s, v.String())
		}
	}
	return joinAnd(s)
}

package kubeversion

import (
	"fmt"
	"slices"
)

// The rules below follow the Kubernetes version skew policy,
// https://kubernetes.io/releases/version-skew-policy/ (kubernetes/website
// content/en/releases/version-skew-policy.md, checked 2026-11-22):
//
//   - kube-apiserver: in HA clusters the newest and oldest instances must be
//     within one minor version.
//   - kubelet: must not be newer than kube-apiserver; may be up to three minor
//     versions older (a kubelet older than 1.25 only two). With kube-apiserver
//     at 1.28 or later that is "three older"; before 1.28 a kubelet three
//     older would be below 1.25, so it is "two older".
//   - kube-proxy: the same rule as kubelet.
//   - kube-controller-manager, kube-scheduler, cloud-controller-manager: not
//     newer than the kube-apiserver instances they talk to, at most one minor
//     older.
//   - kubectl: within one minor version, older or newer, of kube-apiserver.
//   - Upgrades: kube-apiserver must not skip minor versions, even in
//     single-instance clusters ("Supported component upgrade order").
//
// Only minor versions matter for skew; patches are ignored.

// PolicyURL is the page the skew and upgrade rules come from.
const PolicyURL = "https://kubernetes.io/releases/version-skew-policy/"

// Component is a Kubernetes component the skew policy names.
type Component string

// The components of the skew policy.
const (
	APIServer              Component = "kube-apiserver"
	Kubelet                Component = "kubelet"
	KubeProxy              Component = "kube-proxy"
	ControllerManager      Component = "kube-controller-manager"
	Scheduler              Component = "kube-scheduler"
	CloudControllerManager Component = "cloud-controller-manager"
	Kubectl                Component = "kubectl"
)

// MaxOlderMinors returns how many minor versions a kubelet or kube-proxy at v
// may trail kube-apiserver: three, or two when v is older than 1.25.
func MaxOlderMinors(v Version) int {
	if v.Major == 1 && v.Minor < 25 {
		return 2
	}
	return 3
}

// CheckSkew returns nil when component c at version v is supported alongside
// kube-apiserver instances at apiservers, or an error naming the rule it
// breaks. For c == APIServer, v is one more instance that must be within one
// minor of all the others. With no apiservers there is nothing to check.
func CheckSkew(c Component, v Version, apiservers ...Version) error {
	if len(apiservers) == 0 {
		return nil
	}
	oldest := slices.MinFunc(apiservers, Version.Compare)
	newest := slices.MaxFunc(apiservers, Version.Compare)
	switch c {
	case APIServer:
		lo := slices.MinFunc([]Version{oldest, v}, Version.Compare)
		hi := slices.MaxFunc([]Version{newest, v}, Version.Compare)
		if n := MinorsBetween(lo, hi); n > 1 {
			return fmt.Errorf("kube-apiserver instances at %s and %s are %d minor versions apart; the newest and oldest must be within one minor version",
				lo.MinorOnly(), hi.MinorOnly(), n)
		}
	case Kubelet, KubeProxy:
		if MinorsBetween(oldest, v) > 0 {
			return fmt.Errorf("%s %s is newer than kube-apiserver %s; %s must not be newer than kube-apiserver",
				c, v, oldest, c)
		}
		if n, limit := MinorsBetween(v, newest), MaxOlderMinors(v); n > limit {
			return fmt.Errorf("%s %s is %d minor versions older than kube-apiserver %s; %s may be at most %s",
				c, v, n, newest, c, olderRule(v))
		}
	case ControllerManager, Scheduler, CloudControllerManager:
		if MinorsBetween(oldest, v) > 0 {
			return fmt.Errorf("%s %s is newer than kube-apiserver %s; it must not be newer than the kube-apiserver instances it talks to",
				c, v, oldest)
		}
		if n := MinorsBetween(v, newest); n > 1 {
			return fmt.Errorf("%s %s is %d minor versions older than kube-apiserver %s; it may be at most one minor version older",
				c, v, n, newest)
		}
	case Kubectl:
		for _, a := range []Version{oldest, newest} {
			if n := MinorsBetween(v, a); n > 1 || n < -1 {
				return fmt.Errorf("kubectl %s is %d minor versions away from kube-apiserver %s; kubectl is supported within one minor version of kube-apiserver",
					v, abs(n), a)
			}
		}
	default:
		return fmt.Errorf("unknown component %q", c)
	}
	return nil
}

func olderRule(v Version) string {
	if MaxOlderMinors(v) == 2 {
		return "two minor versions older when it is older than v1.25"
	}
	return "three minor versions older"
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

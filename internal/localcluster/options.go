package localcluster

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// DefaultVersion is the Kubernetes version Start runs when Options.Version is
// empty; .ci/build-k8s.sh builds it by default.
const DefaultVersion = "v1.33.13"

// DefaultPodCIDR is the range kwok takes pod IPs from when Options.PodCIDR
// is empty.
const DefaultPodCIDR = "10.244.0.0/16"

// ServiceCIDR is the apiserver's --service-cluster-ip-range. Its addresses
// are only data: nothing routes or dials them.
const ServiceCIDR = "10.96.0.0/16"

// EnvBinDir names the environment variable that, when Options.BinDir is
// empty, gives the directory holding the binaries.
const EnvBinDir = "SHIPGATE_K8S_BIN_DIR"

// Components in start order; each logs to Dir/logs/<component>.log.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
	Kwok                  = "kwok"
)

// components lists every binary Start needs, in start order.
var components = []string{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler, Kwok}

// Options configures Start. The zero value runs DefaultVersion from the
// default binary directory in a new temporary directory.
type Options struct {
	// BinDir holds kube-apiserver, kube-controller-manager, kube-scheduler,
	// etcd and kwok. Empty: $SHIPGATE_K8S_BIN_DIR, else
	// ${XDG_CACHE_HOME:-$HOME/.cache}/shipgate/k8s/<Version>, where
	// .ci/build-k8s.sh puts them.
	BinDir string
	// Version is the Kubernetes version the binaries must report; default
	// DefaultVersion.
	Version string
	// Dir holds certificates, etcd's data, the kubeconfig and the logs
	// (Dir/logs/<component>.log). Empty: a new temporary directory, removed
	// by Stop unless KeepDir. A Dir given here is never removed.
	Dir string
	// KeepDir keeps a temporary Dir after Stop, for reading the logs.
	KeepDir bool
	// KwokStages are extra kwok Stage YAML documents (more faults). kwok's
	// default Stages and this package's fault Stages are always included;
	// a Stage needs a weight above 0 to win over the defaults.
	KwokStages []byte
	// PodCIDR is the range kwok gives pod IPs from; default DefaultPodCIDR.
	PodCIDR string
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// settings are Options with defaults applied and every input checked.
type settings struct {
	Options
	binSource string // where BinDir came from, for error messages
	bins      map[string]string
	stages    []byte // the whole kwok --config file
}

// resolve applies the defaults and validates every field before Start has
// any side effect. getenv stands in for os.Getenv.
func (o Options) resolve(getenv func(string) string) (*settings, error) {
	s := &settings{Options: o}
	if s.Version == "" {
		s.Version = DefaultVersion
	}
	if !strings.HasPrefix(s.Version, "v1.") {
		return nil, fmt.Errorf("Options.Version %q: want a Kubernetes version like %s", s.Version, DefaultVersion)
	}
	if s.PodCIDR == "" {
		s.PodCIDR = DefaultPodCIDR
	}
	if err := checkPodCIDR(s.PodCIDR); err != nil {
		return nil, err
	}
	if s.Logf == nil {
		s.Logf = func(string, ...any) {}
	}
	if err := s.findBinaries(getenv); err != nil {
		return nil, err
	}
	stages, err := kwokConfig(s.KwokStages)
	if err != nil {
		return nil, err
	}
	s.stages = stages
	return s, nil
}

func checkPodCIDR(cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("Options.PodCIDR %q: %w", cidr, err)
	}
	if p.Masked() != p {
		return fmt.Errorf("Options.PodCIDR %q: has host bits set; did you mean %s?", cidr, p.Masked())
	}
	if p.Addr().IsLoopback() {
		return fmt.Errorf("Options.PodCIDR %q: a loopback range would collide with the control plane's ports", cidr)
	}
	return nil
}

// findBinaries picks BinDir and checks that every binary is there.
func (s *settings) findBinaries(getenv func(string) string) error {
	switch {
	case s.BinDir != "":
		s.binSource = "Options.BinDir"
	case getenv(EnvBinDir) != "":
		s.BinDir, s.binSource = getenv(EnvBinDir), "$"+EnvBinDir
	default:
		cache := getenv("XDG_CACHE_HOME")
		s.binSource = "$XDG_CACHE_HOME/shipgate/k8s/" + s.Version
		if cache == "" {
			home := getenv("HOME")
			if home == "" {
				return fmt.Errorf("find the control plane's binaries: Options.BinDir, $%s, $XDG_CACHE_HOME and $HOME are all empty", EnvBinDir)
			}
			cache = filepath.Join(home, ".cache")
			s.binSource = "$HOME/.cache/shipgate/k8s/" + s.Version
		}
		s.BinDir = filepath.Join(cache, "shipgate", "k8s", s.Version)
	}
	s.bins = make(map[string]string, len(components))
	var missing []error
	for _, name := range components {
		path := filepath.Join(s.BinDir, name)
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			missing = append(missing, fmt.Errorf("%s: %w", name, err))
		case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
			missing = append(missing, fmt.Errorf("%s: not an executable file", path))
		}
		s.bins[name] = path
	}
	if len(missing) > 0 {
		return &MissingBinariesError{Dir: s.BinDir, Source: s.binSource, Version: s.Version, Err: errors.Join(missing...)}
	}
	return nil
}

// MissingBinariesError means the control plane's binaries are not built:
// run .ci/build-k8s.sh.
type MissingBinariesError struct {
	Dir     string // where they were looked for
	Source  string // which setting named Dir
	Version string
	Err     error // one error per missing binary
}

func (e *MissingBinariesError) Error() string {
	build := "bash .ci/build-k8s.sh"
	if e.Version != DefaultVersion {
		build = "K8S_VERSION=" + e.Version + " " + build
	}
	return fmt.Sprintf("control plane binaries missing in %s (from %s): run `%s` from the repository root to build them: %v",
		e.Dir, e.Source, build, e.Err)
}

func (e *MissingBinariesError) Unwrap() error { return e.Err }

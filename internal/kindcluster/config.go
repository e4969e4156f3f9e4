package kindcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// The apiVersion and kind a kind config file must have.
const (
	configAPIVersion = "kind.x-k8s.io/v1alpha4"
	configKind       = "Cluster"
)

// loadConfig reads the kind config file at path (the kind-config input),
// checks it as kind would before creating anything, and gives every node
// that names no image the given one. A config with no nodes gets kind's
// default of one control-plane node.
func loadConfig(path, image string) (*v1alpha4.Cluster, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kind-config: %w", err)
	}
	cfg, err := parseConfig(raw, image)
	if err != nil {
		return nil, fmt.Errorf("kind-config %s: %w", path, err)
	}
	return cfg, nil
}

func parseConfig(raw []byte, image string) (*v1alpha4.Cluster, error) {
	var tm v1alpha4.TypeMeta
	if err := yaml.Unmarshal(raw, &tm); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	if tm.APIVersion != configAPIVersion || tm.Kind != configKind {
		return nil, fmt.Errorf("apiVersion %q, kind %q: want apiVersion: %s and kind: %s", tm.APIVersion, tm.Kind, configAPIVersion, configKind)
	}
	cfg := &v1alpha4.Cluster{}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		return nil, fmt.Errorf("%w (see https://kind.sigs.k8s.io/docs/user/configuration/)", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("holds more than one YAML document; keep only the Cluster")
	}
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	if len(cfg.Nodes) == 0 {
		cfg.Nodes = []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}}
	}
	for i := range cfg.Nodes {
		if cfg.Nodes[i].Image == "" {
			cfg.Nodes[i].Image = image
		}
	}
	return cfg, nil
}

// checkConfig makes the checks kind makes after creating nothing yet, with
// messages that name the field.
func checkConfig(cfg *v1alpha4.Cluster) error {
	var errs []error
	controlPlanes := 0
	for i, n := range cfg.Nodes {
		switch n.Role {
		case "", v1alpha4.ControlPlaneRole:
			controlPlanes++
		case v1alpha4.WorkerRole:
		default:
			errs = append(errs, fmt.Errorf("nodes[%d].role %q: use control-plane or worker", i, n.Role))
		}
		if n.Image != "" {
			if err := checkImageRef(n.Image); err != nil {
				errs = append(errs, fmt.Errorf("nodes[%d].image: %w", i, err))
			}
		}
	}
	if len(cfg.Nodes) > 0 && controlPlanes == 0 {
		errs = append(errs, errors.New("nodes: add a node with role: control-plane"))
	}
	net := cfg.Networking
	switch net.IPFamily {
	case "", v1alpha4.IPv4Family, v1alpha4.IPv6Family, v1alpha4.DualStackFamily:
	default:
		errs = append(errs, fmt.Errorf("networking.ipFamily %q: use ipv4, ipv6 or dual", net.IPFamily))
	}
	switch net.KubeProxyMode {
	case "", v1alpha4.IPTablesProxyMode, v1alpha4.IPVSProxyMode, v1alpha4.NFTablesProxyMode, "none":
	default:
		errs = append(errs, fmt.Errorf("networking.kubeProxyMode %q: use iptables, ipvs, nftables or none", net.KubeProxyMode))
	}
	if p := net.APIServerPort; p < -1 || p > 65535 {
		errs = append(errs, fmt.Errorf("networking.apiServerPort %d: use a port from 1 to 65535, or leave it out for a random one", p))
	}
	for _, f := range [...]struct{ field, v string }{{"podSubnet", net.PodSubnet}, {"serviceSubnet", net.ServiceSubnet}} {
		field, v := f.field, f.v
		for s := range strings.SplitSeq(v, ",") {
			if _, err := netip.ParsePrefix(strings.TrimSpace(s)); v != "" && err != nil {
				errs = append(errs, fmt.Errorf("networking.%s %q: want CIDRs such as 10.244.0.0/16, separated by commas", field, v))
				break
			}
		}
	}
	return errors.Join(errs...)
}

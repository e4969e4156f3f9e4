// Command cni is the kind node image's stand-in for kindnetd (whose source
// the Go module proxy does not serve), run by .ci/build-kind-node.sh's
// default-cni.yaml as a DaemonSet on every node's host network. Every ten
// seconds it reads the nodes from the API server and
//   - writes this node's CNI configuration: ptp interfaces with host-local
//     addresses from the node's pod range (spec.podCIDR), and portmap;
//   - routes every other node's pod range through that node's InternalIP.
//
// That is enough for pods on one or two nodes to reach each other and the
// Services kube-proxy serves. It lacks what kindnetd adds: NetworkPolicy,
// IP masquerade for traffic leaving the cluster (which the tests never
// send), IPv6 and dual stack.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

const (
	saDir    = "/var/run/secrets/kubernetes.io/serviceaccount"
	confPath = "/etc/cni/net.d/10-shipgate.conflist"
)

// nodeList is the part of a v1.NodeList the stand-in reads.
type nodeList struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			PodCIDR string `json:"podCIDR"`
		} `json:"spec"`
		Status struct {
			Addresses []struct {
				Type    string `json:"type"`
				Address string `json:"address"`
			} `json:"addresses"`
		} `json:"status"`
	} `json:"items"`
}

func main() {
	self := os.Getenv("NODE_NAME")
	if self == "" {
		log.Fatal("NODE_NAME is empty: set it from spec.nodeName in the DaemonSet")
	}
	client, url, err := apiClient()
	if err != nil {
		log.Fatal(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := sync(ctx, client, url, self); err != nil {
			log.Print(err)
		}
		cancel()
		time.Sleep(10 * time.Second)
	}
}

// apiClient returns an HTTP client trusting the cluster's CA and the nodes
// URL of the API server, from the pod's service account.
func apiClient() (*http.Client, string, error) {
	ca, err := os.ReadFile(filepath.Join(saDir, "ca.crt"))
	if err != nil {
		return nil, "", fmt.Errorf("read the service account's CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, "", fmt.Errorf("no certificate in %s/ca.crt", saDir)
	}
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, "", fmt.Errorf("KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is empty")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return c, "https://" + net.JoinHostPort(host, port) + "/api/v1/nodes", nil
}

// sync writes this node's CNI configuration and the routes to the other
// nodes' pod ranges.
func sync(ctx context.Context, c *http.Client, url, self string) error {
	token, err := os.ReadFile(filepath.Join(saDir, "token"))
	if err != nil {
		return fmt.Errorf("read the service account's token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+string(bytes.TrimSpace(token)))
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("list nodes: %s", resp.Status)
	}
	var nodes nodeList
	if err := json.NewDecoder(resp.Body).Decode(&nodes); err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		if n.Spec.PodCIDR == "" {
			continue
		}
		if n.Metadata.Name == self {
			if err := writeConf(n.Spec.PodCIDR); err != nil {
				return err
			}
			continue
		}
		for _, a := range n.Status.Addresses {
			if a.Type != "InternalIP" || net.ParseIP(a.Address).To4() == nil {
				continue
			}
			if out, err := exec.CommandContext(ctx, "ip", "route", "replace", n.Spec.PodCIDR, "via", a.Address).CombinedOutput(); err != nil {
				return fmt.Errorf("route %s via %s: %w: %s", n.Spec.PodCIDR, a.Address, err, out)
			}
		}
	}
	return nil
}

// writeConf writes the CNI configuration for the pod range cidr, unless it
// is already there.
func writeConf(cidr string) error {
	conf := fmt.Sprintf(`{
  "cniVersion": "0.3.1",
  "name": "shipgate",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": false,
      "mtu": 1500,
      "ipam": {
        "type": "host-local",
        "dataDir": "/run/cni-ipam-state",
        "routes": [{"dst": "0.0.0.0/0"}],
        "ranges": [[{"subnet": %q}]]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, cidr)
	if old, err := os.ReadFile(confPath); err == nil && string(old) == conf {
		return nil
	}
	tmp := confPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(conf), 0o644); err != nil {
		return fmt.Errorf("write the CNI configuration: %w", err)
	}
	if err := os.Rename(tmp, confPath); err != nil {
		return fmt.Errorf("write the CNI configuration: %w", err)
	}
	log.Printf("CNI configuration written for pod range %s", cidr)
	return nil
}

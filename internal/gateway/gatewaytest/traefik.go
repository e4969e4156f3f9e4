// Package gatewaytest runs a real Gateway API implementation for tests:
// Traefik, built from the Go module proxy by .ci/build-traefik.sh, as a
// process on the test machine serving a Gateway on loopback and routing
// to the pods of a proving ground's pod network. It installs the Gateway
// API's standard-channel CRDs the build script copied beside the binary,
// and holds the tests' network rule: traffic goes to loopback and the pod
// network's addresses only.
package gatewaytest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"

	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/provingground"
)

// Version is the Traefik version the tests run.
const Version = "v3.6.12"

// ControllerName is Traefik's Gateway API controller name.
const ControllerName = "traefik.io/gateway-controller"

// ClassName is the GatewayClass the tests' Gateways use.
const ClassName = "traefik"

// Dir is where .ci/build-traefik.sh caches the build: the binary and the
// CRDs; SHIPGATE_TRAEFIK_DIR overrides it.
func Dir() string {
	if d := os.Getenv("SHIPGATE_TRAEFIK_DIR"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "shipgate", "traefik", Version)
}

// need fails the test when the build is missing, saying how to make it.
func need(t testing.TB) string {
	t.Helper()
	dir := Dir()
	for _, f := range []string{"traefik", "crds/gateway.networking.k8s.io_httproutes.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("Traefik %s is not built (%v): run `bash .ci/build-traefik.sh` (hack/test.sh runs it; ~15 minutes cold), or set SHIPGATE_TRAEFIK_DIR", Version, err)
		}
	}
	return dir
}

var crdOnce sync.Map // *provingground.Ground → *sync.Once

// InstallCRDs applies the Gateway API standard-channel CRDs and the
// GatewayClass of Traefik to the ground's cluster, once per ground, and
// waits for the CRDs to be established.
func InstallCRDs(t testing.TB, g *provingground.Ground) {
	t.Helper()
	dir := need(t)
	once, _ := crdOnce.LoadOrStore(g, &sync.Once{})
	var err error
	once.(*sync.Once).Do(func() { err = installCRDs(t.Context(), g.Cluster.Config, dir) })
	if err != nil {
		t.Fatalf("install the Gateway API CRDs: %v", err)
	}
}

func installCRDs(ctx context.Context, cfg *rest.Config, dir string) error {
	kc, err := kube.NewClient(cfg)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "crds", "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no CRDs in %s/crds: %v", dir, err)
	}
	var objs []kube.Object
	for _, f := range files {
		more, err := decode(f)
		if err != nil {
			return err
		}
		objs = append(objs, more...)
	}
	if _, err := kc.Apply(ctx, objs, kube.ApplyOptions{Force: true}); err != nil {
		return err
	}
	class := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]any{"name": ClassName},
		"spec":     map[string]any{"controllerName": ControllerName},
	}}
	_, err = kc.Apply(ctx, []kube.Object{{Obj: class, Source: kube.Source{Path: "gatewaytest"}}}, kube.ApplyOptions{Force: true})
	return err
}

func decode(path string) ([]kube.Object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []kube.Object
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) > 0 {
			out = append(out, kube.Object{Obj: u, Source: kube.Source{Path: path}})
		}
	}
}

// Traefik is a running Traefik serving one Gateway.
type Traefik struct {
	// URL is the Gateway's listener: http://127.0.0.1:<port>/.
	URL string
	// Port is the listener's (and the entry point's) port.
	Port int
	// Namespace holds the Gateway; Traefik watches only it.
	Namespace string
	// Gateway is the Gateway's name.
	Gateway string
	log     string
}

// Start runs Traefik for namespace (which must exist): a Gateway named
// gateway there with one HTTP listener on a free loopback port, served by
// Traefik's entry point on that port. It returns once the Gateway is
// programmed; Traefik is stopped at the test's cleanup, and its log shown
// when the test failed.
func Start(t testing.TB, g *provingground.Ground, namespace, gateway string) *Traefik {
	t.Helper()
	dir := need(t)
	InstallCRDs(t, g)
	port := freePort(t)
	tmp := t.TempDir()
	cfg := g.Cluster.Config
	token := filepath.Join(tmp, "token")
	if err := os.WriteFile(token, []byte(strings.TrimSpace(cfg.BearerToken)), 0o600); err != nil { // no newline: Traefik would send it
		t.Fatal(err)
	}
	ca := cfg.TLSClientConfig.CAFile
	if ca == "" {
		ca = filepath.Join(tmp, "ca.crt")
		if err := os.WriteFile(ca, cfg.TLSClientConfig.CAData, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckLocal(cfg.Host, func(netip.Addr) bool { return false }); err != nil {
		t.Fatalf("the API server is not on loopback: %v", err)
	}
	tr := &Traefik{URL: fmt.Sprintf("http://127.0.0.1:%d/", port), Port: port, Namespace: namespace, Gateway: gateway, log: filepath.Join(tmp, "traefik.log")}
	applyGateway(t, g, tr)
	logFile, err := os.OpenFile(tr.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "traefik"),
		"--global.checkNewVersion=false", "--global.sendAnonymousUsage=false",
		fmt.Sprintf("--entryPoints.web.address=127.0.0.1:%d", port),
		"--providers.kubernetesGateway=true",
		"--providers.kubernetesGateway.endpoint="+cfg.Host,
		"--providers.kubernetesGateway.token="+token,
		"--providers.kubernetesGateway.certAuthFilePath="+ca,
		"--providers.kubernetesGateway.namespaces="+namespace,
		"--providers.providersThrottleDuration=0s",
		"--log.level=INFO",
	)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KUBERNETES_SERVICE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start traefik: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logFile.Close()
		if t.Failed() {
			t.Logf("traefik log (%s), last lines:\n%s", tr.log, tr.Tail(60))
		}
	})
	if err := waitProgrammed(t.Context(), g, tr, exited, 60*time.Second); err != nil {
		t.Fatalf("%v\ntraefik log:\n%s", err, tr.Tail(40))
	}
	return tr
}

// Tail returns the last n lines of Traefik's log.
func (tr *Traefik) Tail(n int) string {
	data, _ := os.ReadFile(tr.log)
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// ParentRef is the parentRef a route of the namespace names the Gateway
// with, as YAML flow.
func (tr *Traefik) ParentRef() string { return fmt.Sprintf("{name: %s}", tr.Gateway) }

var gatewaysGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}

func applyGateway(t testing.TB, g *provingground.Ground, tr *Traefik) {
	t.Helper()
	kc, err := kube.NewClient(g.Cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": tr.Gateway, "namespace": tr.Namespace},
		"spec": map[string]any{
			"gatewayClassName": ClassName,
			"listeners": []any{map[string]any{
				"name": "web", "protocol": "HTTP", "port": int64(tr.Port),
				"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "Same"}},
			}},
		},
	}}
	if _, err := kc.Apply(t.Context(), []kube.Object{{Obj: gw, Source: kube.Source{Path: "gatewaytest"}}}, kube.ApplyOptions{Namespace: tr.Namespace, Force: true}); err != nil {
		t.Fatalf("apply the Gateway: %v", err)
	}
}

// waitProgrammed waits for Traefik to mark the Gateway Programmed.
func waitProgrammed(ctx context.Context, g *provingground.Ground, tr *Traefik, exited <-chan error, timeout time.Duration) error {
	kc, err := kube.NewClient(g.Cluster.Config)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	last := "no status"
	for {
		gw, err := kc.Dynamic.Resource(gatewaysGVR).Namespace(tr.Namespace).Get(ctx, tr.Gateway, metav1.GetOptions{})
		if err != nil {
			return err
		}
		conds, _, _ := unstructured.NestedSlice(gw.Object, "status", "conditions")
		var seen []string
		for _, c := range conds {
			m, _ := c.(map[string]any)
			seen = append(seen, fmt.Sprintf("%v=%v (%v)", m["type"], m["status"], m["reason"]))
			if m["type"] == "Programmed" && m["status"] == "True" && m["observedGeneration"] == gw.GetGeneration() {
				return nil
			}
		}
		if len(seen) > 0 {
			last = strings.Join(seen, ", ")
		}
		select {
		case err := <-exited:
			return fmt.Errorf("traefik exited before the Gateway was programmed: %v", err)
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Gateway %s/%s not Programmed by Traefik within %s: %s", tr.Namespace, tr.Gateway, timeout, last)
		}
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// CheckLocal is the tests' network rule: rawURL's host must be a loopback
// address (or localhost) or an address podNet accepts (the pod network's).
// A name other than localhost is refused: it could resolve anywhere.
func CheckLocal(rawURL string, podNet func(netip.Addr) bool) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", rawURL)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%s: tests send traffic only to loopback or the pod network; %q is a name, not an address", rawURL, host)
	}
	if ip.IsLoopback() || podNet(ip) {
		return nil
	}
	return fmt.Errorf("%s: tests send traffic only to loopback or the pod network; %s is neither", rawURL, ip)
}

package main_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/shipgate/shipgate/internal/ghemu"
)

// kindNodeImage is the node image .ci/build-kind-node.sh builds offline
// and hack/test.sh loads; SHIPGATE_KIND_NODE_IMAGE names another.
const kindNodeImage = "kindest/node:v1.33.13-shipgate"

// kindPrereqs returns the node image the kind tests boot, after checking
// that a Docker engine answers and holds it. A missing prerequisite fails
// the test with the command that provides it; SHIPGATE_SKIP_KIND=1 skips.
func kindPrereqs(t *testing.T) string {
	t.Helper()
	const build = `sudo env "PATH=$PATH" bash .ci/build-kind-node.sh (hack/test.sh runs it)`
	if os.Getenv("SHIPGATE_SKIP_KIND") == "1" {
		t.Skip("SHIPGATE_SKIP_KIND=1: the kind provider's end-to-end tests are skipped; unset it to run them after " + build)
	}
	img := kindNodeImage
	if s := os.Getenv("SHIPGATE_KIND_NODE_IMAGE"); s != "" {
		img = s
	}
	if out, err := exec.CommandContext(t.Context(), "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Fatalf("no Docker engine answers (docker info: %v: %s); start one and build the node image with: %s; or set SHIPGATE_SKIP_KIND=1 to skip", err, bytes.TrimSpace(out), build)
	}
	if out, err := exec.CommandContext(t.Context(), "docker", "image", "inspect", "--format", "{{.Id}}", img).CombinedOutput(); err != nil {
		t.Fatalf("Docker has no node image %s (%v: %s); build or load it with: %s; or set SHIPGATE_SKIP_KIND=1 to skip", img, err, bytes.TrimSpace(out), build)
	}
	return img
}

// dockerOut runs the docker CLI and returns its trimmed output.
func dockerOut(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// jobNetwork makes a Docker network like the one the runner makes for a
// job's containers and returns its name and the host's address on it: the
// action's container reaches the tests' servers there. The network is
// internal: nothing on it reaches past the host.
func jobNetwork(t testing.TB) (network, gateway string) {
	t.Helper()
	network = fmt.Sprintf("shipgate-job-%d", time.Now().UnixNano())
	dockerOut(t, "network", "create", "--internal", network)
	t.Cleanup(func() { exec.Command("docker", "network", "rm", network).Run() })
	gateway = dockerOut(t, "network", "inspect", network, "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}")
	if net.ParseIP(gateway) == nil {
		t.Fatalf("docker network %s has no gateway address: %q", network, gateway)
	}
	return network, gateway
}

// forward listens on host:0 and relays each connection to target; it
// returns the address it listens on. The action's container reaches the
// tests' loopback servers through it.
func forward(t testing.TB, host, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				u, err := net.DialTimeout("tcp", target, 5*time.Second)
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(u, c); u.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				go func() { io.Copy(c, u); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				<-done
				<-done
			})
		}
	})
	return ln.Addr().String()
}

// webImage builds testdata/kind/web into an image (one layer: the static
// binary) and pushes it as example/web:1.4.0 to go-containerregistry's
// registry, served with TLS on the job network's gateway (the sandbox pulls
// only over HTTPS from a registry that is not on loopback). It returns the
// reference and a CA file that trusts the registry.
func webImage(t testing.TB, gw string) (ref, caFile string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "web")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-o", bin, "./testdata/kind/web")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the test app: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	if err := tw.WriteHeader(&tar.Header{Name: "web", Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := tarball.LayerFromReader(bytes.NewReader(layer.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config = "linux", runtime.GOARCH, v1.Config{Entrypoint: []string{"/web"}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	ln, err := net.Listen("tcp", net.JoinHostPort(gw, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	cert, pemCert := selfSigned(t, gw)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	r, err := name.ParseReference(ln.Addr().String() + "/example/web:1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCert)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	if err := remote.Write(r, img, remote.WithTransport(tr)); err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca-certificates.crt")
	if err := os.WriteFile(caFile, pemCert, 0o644); err != nil {
		t.Fatal(err)
	}
	return r.String(), caFile
}

// selfSigned returns a self-signed certificate for the address ip, and
// its PEM.
func selfSigned(t testing.TB, ip string) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shipgate e2e registry"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP(ip)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// actionContainerImage is an image holding the shipgate binary at the path
// the action's image has it, and the docker CLI: the action as the runner
// runs it, without the Dockerfile's Alpine base (no registry here).
func actionContainerImage(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-o", filepath.Join(dir, "usr/local/bin/shipgate"), ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build shipgate for the container: %v\n%s", err, out)
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(docker)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "usr/local/bin/docker"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"tmp", "etc", "github/workspace"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o1777); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/sbin/nologin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("shipgate.local/action-under-test:%d", time.Now().UnixNano())
	c := exec.CommandContext(t.Context(), "docker", "import",
		"--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin",
		"--change", `ENTRYPOINT ["/usr/local/bin/shipgate"]`, "-", tag)
	pr, pw := io.Pipe()
	c.Stdin = pr
	tc := exec.CommandContext(t.Context(), "tar", "-C", dir, "-c", ".")
	tc.Stdout = pw
	if err := tc.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { pw.CloseWithError(tc.Wait()) }()
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("docker import the action's image: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	return tag
}

// actionContainer runs the action's image as the runner runs a container
// action: the Docker socket mounted, the workspace at /github/workspace as
// the working directory, the runner's files mounted where env names them,
// on the job's network, trusting caFile. Addresses of the tests' servers
// are rewritten to their relays.
type actionContainer struct {
	image, network, caFile, ws string
	rewrite                    map[string]string
	// env is added to the runner's environment.
	env []string
	// killAt, when set, is a log line's text upon which the container is
	// killed (SIGKILL), as a runner cancelling a job ends it at last.
	killAt string
}

// exe returns runWith's exe for the container with args.
func (a actionContainer) exe(t testing.TB, args ...string) func(env []string, tmp string) (int, string) {
	return func(env []string, tmp string) (int, string) {
		t.Helper()
		env = append(env, a.env...)
		name := fmt.Sprintf("shipgate-action-%d", time.Now().UnixNano())
		run := []string{"run", "--name", name, "--rm", "--network", a.network,
			"-v", a.caFile + ":/etc/ssl/certs/ca-certificates.crt:ro",
			"-v", "/var/run/docker.sock:/var/run/docker.sock",
			"-v", a.ws + ":/github/workspace", "-w", "/github/workspace",
			"-v", tmp + ":" + tmp,
		}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "PATH", "HOME", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY":
				// No proxy: the container's networks are the internal job
				// network and kind's, whose nodes resolve no outside name.
				continue
			case "GITHUB_WORKSPACE":
				v = "/github/workspace"
			}
			for from, to := range a.rewrite {
				v = strings.ReplaceAll(v, from, to)
			}
			run = append(run, "-e", k+"="+v)
		}
		run = append(append(run, "-e", "HOME=/tmp", a.image), args...)
		t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
		cmd := exec.CommandContext(t.Context(), "docker", run...)
		pr, pw := io.Pipe()
		cmd.Stdout, cmd.Stderr = pw, pw
		if err := cmd.Start(); err != nil {
			t.Fatalf("docker run the action: %v", err)
		}
		var out strings.Builder
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(pr)
			killed := false
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
				if a.killAt != "" && !killed && strings.Contains(sc.Text(), a.killAt) {
					killed = true
					exec.Command("docker", "kill", name).Run()
				}
			}
			io.Copy(io.Discard, pr)
		}()
		err := cmd.Wait()
		pw.Close()
		<-done
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String()
		} else if err != nil {
			t.Fatalf("docker run the action: %v", err)
		}
		return 0, out.String()
	}
}

// kindNodes lists the containers of kind cluster name.
func kindNodes(t testing.TB, name string) []string {
	t.Helper()
	out := dockerOut(t, "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster="+name, "--format", "{{.Names}}")
	if out == "" {
		return nil
	}
	nodes := strings.Fields(out)
	slices.Sort(nodes)
	return nodes
}

// failingOnce returns a node image built on node whose first boot fails
// (its entrypoint exits before systemd starts, counting its starts in a
// directory of the host) and the kind-config, written to ws, that mounts
// that directory.
func failingOnce(t testing.TB, node, ws string) (image, kindConfig string) {
	t.Helper()
	ctx, marks := t.TempDir(), t.TempDir()
	// kind runs nodes with --restart=on-failure:1: the first node's two
	// starts fail, the retry's node starts.
	boot := "#!/bin/sh\n# The first node of the cluster fails to start, twice.\n" +
		"n=$(ls /shipgate-fault | wc -l); touch /shipgate-fault/start-$n\n" +
		"if [ \"$n\" -lt 2 ]; then echo \"shipgate-fault: start $n fails\" >&2; exit 1; fi\n" +
		"exec /usr/local/bin/entrypoint /sbin/init \"$@\"\n"
	if err := os.WriteFile(filepath.Join(ctx, "boot"), []byte(boot), 0o755); err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM " + node + "\nCOPY boot /shipgate-boot\nENTRYPOINT [\"/shipgate-boot\"]\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	image = fmt.Sprintf("shipgate.local/kind-node-fails-once:%d", time.Now().UnixNano())
	cmd := exec.CommandContext(t.Context(), "docker", "build", "-q", "-t", image, ctx)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build %s: %v\n%s", image, err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", image).Run() })
	conf := "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n" +
		"    extraMounts:\n      - hostPath: " + marks + "\n        containerPath: /shipgate-fault\n"
	if err := os.WriteFile(filepath.Join(ws, "kind-fails-once.yaml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return image, "kind-fails-once.yaml"
}

// diagnostics returns the sandbox's diagnostics files but kind's node
// logs, for a failure's message.
func diagnostics(ws string) string {
	var b strings.Builder
	dir := filepath.Join(ws, "shipgate-report", "sandbox-diagnostics")
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "cluster-logs") {
			return nil
		}
		data, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "--- %s\n%s\n", strings.TrimPrefix(p, dir), data)
		return nil
	})
	return b.String()
}

// removeKindNodes removes what a failed test left of kind cluster name.
func removeKindNodes(name string) {
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster="+name).Output()
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("docker", append([]string{"rm", "-f", "-v"}, ids...)...).Run()
	}
}

// TestSandboxKindInActionContainer runs the sandbox stage with provider
// kind as the runner runs the action: the binary in a container with the
// Docker socket mounted and the workspace at /github/workspace, on a job
// network, joining kind's. Each case boots a real kind cluster at the node
// image (.ci/build-kind-node.sh), loads the pull request's image from a
// registry into the nodes, applies the manifests and runs the health
// tiers; the post step, in the container too, deletes the cluster. Cases:
// one node, two nodes (kind-config), a failed tier (diagnostics with kind's
// node logs; keep-on-failure keeps the cluster), a node image whose first
// boot fails (the create is retried), and a main step killed mid-wait (the
// post step still deletes the cluster).
func TestSandboxKindInActionContainer(t *testing.T) {
	t.Parallel()
	node := kindPrereqs(t)
	network, gw := jobNetwork(t)
	ref, caFile := webImage(t, gw)
	action := actionContainerImage(t)
	srv := ghemu.New(t)
	api, _, _ := strings.Cut(strings.TrimPrefix(srv.URL(), "http://"), "/")
	rewrite := map[string]string{api: forward(t, gw, api)}

	tests := []struct {
		name     string
		edit     func(string) string
		wantFail map[string]string
		// kindConfig is the kind-config input's file, when set.
		kindConfig string
		wantNodes  int
		// keep sets keep-on-failure: the post step leaves the cluster.
		keep bool
		// killAt kills the main step's container at a log line's text;
		// the post step still deletes the cluster.
		killAt string
		// failOnce boots a node image whose first boot fails: the create
		// is retried once.
		failOnce bool
	}{
		{name: "healthy app passes every tier", wantNodes: 1},
		{
			name:       "two nodes from kind-config get the image and serve the tiers",
			kindConfig: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n  - role: worker\n",
			wantNodes:  2,
		},
		{
			name:      "slow pods fail the p95 tier; kind's node logs are exported and keep-on-failure keeps the cluster",
			edit:      podEnv("LATENCY", "450ms"),
			wantFail:  map[string]string{"service/web": "p95"},
			wantNodes: 1,
			keep:      true,
		},
		{
			name:      "a boot that fails once is retried after its logs are exported",
			failOnce:  true,
			wantNodes: 1,
		},
		{
			name:      "a step killed mid-wait leaves the cluster to the post step",
			killAt:    "waiting up to",
			wantNodes: 1,
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A kind node on a busy runner may take longer than the 12 s
			// the manifest gives the local provider's pods.
			slowStart := func(s string) string {
				return strings.Replace(s, "progressDeadlineSeconds: 12", "progressDeadlineSeconds: 120", 1)
			}
			ws := sandboxWorkspace(t, tc.edit, withImage(ref), slowStart)
			head := fakeSHA("kind " + tc.name)
			ev := pullEvent(t, 70+i, head, fakeSHA("base"))
			srv.AddPull(repoName, ghemu.Pull{Number: 70 + i, HeadSHA: head, BaseSHA: fakeSHA("base"), HeadRef: "feature", BaseRef: "main"})
			inputs := map[string]string{
				"stage": "sandbox", "provider": "kind", "node-image": node, "kubernetes-version": "v1.33.13",
				"image": ref, "config": "shipgate.yml", "timeout": "3m", "keep-on-failure": fmt.Sprint(tc.keep),
			}
			if tc.kindConfig != "" {
				if err := os.WriteFile(filepath.Join(ws, "kind.yaml"), []byte(tc.kindConfig), 0o644); err != nil {
					t.Fatal(err)
				}
				inputs["kind-config"] = "kind.yaml"
			}
			if tc.failOnce {
				inputs["node-image"], inputs["kind-config"] = failingOnce(t, node, ws)
			}
			a := actionContainer{image: action, network: network, caFile: caFile, ws: ws, rewrite: rewrite,
				env: []string{fmt.Sprintf("GITHUB_RUN_ID=%d", 7000+i)}, killAt: tc.killAt}
			s := runWith(t, srv, ws, "pull_request", ev, inputs, a.exe(t))
			cluster := s.outputs["cluster-name"]
			if cluster != "" {
				t.Cleanup(func() { removeKindNodes(cluster) })
			}
			wantCode := 0
			switch {
			case tc.killAt != "":
				wantCode = 137 // docker run's code for a container killed by SIGKILL
			case tc.wantFail != nil:
				wantCode = 1
			}
			if s.code != wantCode {
				t.Fatalf("exit code %d, want %d; log:\n%s\n%s", s.code, wantCode, s.log, diagnostics(ws))
			}
			if testing.Verbose() {
				t.Log(s.log)
			}
			if tc.killAt == "" {
				cases := []string{"deploy/manifests", "deploy/images", "deploy/apply", "deploy/ready", "health/basic", "service/web", "business/json/version"}
				checkCases(t, readJUnit(t, s), cases, tc.wantFail, true)
			}
			if tc.failOnce {
				for _, want := range []string{"did not come up: attempt 1 of 2", "trying once more to create kind cluster", "came up on attempt 2"} {
					if !strings.Contains(s.log, want) {
						t.Errorf("the log does not say %q:\n%s", want, s.log)
					}
				}
				if _, err := os.Stat(filepath.Join(ws, "shipgate-report", "kind-logs", cluster, "attempt-1")); err != nil {
					t.Errorf("the failed boot's logs: %v", err)
				}
			}
			if !strings.Contains(s.log, "connected container") {
				t.Errorf("the log does not say the action's container joined kind's network:\n%s", s.log)
			}
			nodes := kindNodes(t, cluster)
			if cluster == "" || len(nodes) != tc.wantNodes {
				t.Fatalf("after the main step cluster %q has nodes %v, want %d; in Actions it stays for the post step", cluster, nodes, tc.wantNodes)
			}
			// The pull request's image is in every node.
			for _, n := range nodes {
				imgs := dockerOut(t, "exec", n, "crictl", "images", "-o", "json")
				if !strings.Contains(imgs, strings.SplitN(ref, "/", 2)[1]) {
					t.Errorf("node %s does not hold %s:\n%s", n, ref, imgs)
				}
			}
			if tc.wantFail != nil {
				dir := filepath.Join(ws, "shipgate-report", "sandbox-diagnostics")
				var exported []string
				filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() && strings.Contains(p, "cluster-logs") {
						exported = append(exported, p)
					}
					return nil
				})
				if !slices.ContainsFunc(exported, func(p string) bool { return strings.HasSuffix(p, "kubelet.log") }) {
					t.Errorf("no kubelet.log of kind export logs under %s; files: %v", dir, exported)
				}
			}
			post := runWith(t, srv, ws, "pull_request", ev, inputs, func(env []string, tmp string) (int, string) {
				for k, v := range s.state {
					env = append(env, "STATE_"+k+"="+v)
				}
				return actionContainer{image: action, network: network, caFile: caFile, ws: ws, rewrite: rewrite, env: a.env}.exe(t, "post")(env, tmp)
			})
			if post.code != 0 {
				t.Fatalf("post step exit code %d:\n%s", post.code, post.log)
			}
			left := kindNodes(t, cluster)
			switch {
			case tc.keep && len(left) != tc.wantNodes:
				t.Errorf("keep-on-failure: after the post step cluster %s has nodes %v, want them kept:\n%s", cluster, left, post.log)
			case !tc.keep && len(left) > 0:
				t.Errorf("after the post step cluster %s still has nodes %v:\n%s", cluster, left, post.log)
			}
		})
	}
}

package localcluster

import (
	"path/filepath"
	"strconv"
)

// advertiseAddress is the apiserver's --advertise-address, which becomes the
// kubernetes Service's endpoint. It is TEST-NET-1 (RFC 5737): nothing in the
// cluster dials it, and a loopback address would make the apiserver reject
// its own endpoints on every reconcile.
const advertiseAddress = "192.0.2.1"

// serviceAccountIssuer is the apiserver's --service-account-issuer.
const serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// nodeLeaseSeconds is kwok's --node-lease-duration-seconds: kwok renews each
// node's Lease every quarter of it, which is the node lifecycle
// controller's heartbeat (node-heartbeat-with-lease updates the status only
// every 10 minutes).
const nodeLeaseSeconds = 40

// layout is where a cluster's files and ports are.
type layout struct {
	dir        string
	pki        *pki
	kubeconfig string
	kwokConfig string
	etcdPort   int // client
	peerPort   int
	apiPort    int
}

func (l *layout) logPath(component string) string {
	return filepath.Join(l.dir, "logs", component+".log")
}

// env is every component's whole environment: nothing from the test's
// (ETCD_* and KUBECONFIG would change what the components do), and HOME in
// the cluster's directory so kwok's ~/.kwok lands there.
func (l *layout) env() []string {
	return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + l.dir}
}

func (l *layout) apiURL() string { return "https://127.0.0.1:" + strconv.Itoa(l.apiPort) }

func (l *layout) etcdURL() string { return "http://127.0.0.1:" + strconv.Itoa(l.etcdPort) }

func etcdArgs(l *layout) []string {
	peer := "http://127.0.0.1:" + strconv.Itoa(l.peerPort)
	return []string{
		"--name=shipgate",
		"--data-dir=" + filepath.Join(l.dir, "etcd"),
		"--listen-client-urls=" + l.etcdURL(),
		"--advertise-client-urls=" + l.etcdURL(),
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=shipgate=" + peer,
		"--initial-cluster-state=new",
		// A test cluster's data need not survive a power cut.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}
}

func apiServerArgs(l *layout) []string {
	return []string{
		"--etcd-servers=" + l.etcdURL(),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(l.apiPort),
		"--advertise-address=" + advertiseAddress,
		"--tls-cert-file=" + l.pki.certFile,
		"--tls-private-key-file=" + l.pki.keyFile,
		"--cert-dir=" + filepath.Join(l.dir, "pki"),
		"--token-auth-file=" + l.pki.tokenFile,
		"--service-account-key-file=" + l.pki.saPubFile,
		"--service-account-signing-key-file=" + l.pki.saKeyFile,
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		// kwok's nodes have no addresses (kwok runs without --node-ip), so
		// a logs, exec or port-forward request fails at once with "no
		// preferred addresses found"; were a Hostname address added, this
		// keeps the apiserver from looking it up in DNS.
		"--kubelet-preferred-address-types=InternalIP",
		"--profiling=false",
		// On SIGTERM, end open watches after at most this long; without
		// it the HTTP server waits for them until --request-timeout (60 s).
		"--shutdown-watch-termination-grace-period=2s",
	}
}

func controllerManagerArgs(l *layout) []string {
	return []string{
		"--kubeconfig=" + l.kubeconfig,
		"--leader-elect=false",
		"--secure-port=0", // no health endpoint: Start watches for the default ServiceAccount instead
		"--service-account-private-key-file=" + l.pki.saKeyFile,
		"--root-ca-file=" + l.pki.caCertFile,
		"--use-service-account-credentials=false",
		"--kube-api-qps=100",
		"--kube-api-burst=200",
		"--profiling=false",
	}
}

func schedulerArgs(l *layout) []string {
	return []string{
		"--kubeconfig=" + l.kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--profiling=false",
	}
}

func kwokArgs(l *layout, podCIDR string) []string {
	return []string{
		"--kubeconfig=" + l.kubeconfig,
		"--config=" + l.kwokConfig,
		"--manage-nodes-with-annotation-selector=" + KwokNodeAnnotation + "=" + KwokNodeAnnotationValue,
		"--cidr=" + podCIDR,
		"--node-lease-duration-seconds=" + strconv.Itoa(nodeLeaseSeconds),
	}
}

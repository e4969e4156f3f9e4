// Package parity measures how far a sandbox cluster is from production:
// it reads both through client-go with get and list only, compares them
// dimension by dimension (server version, API versions, CRDs, admission
// webhooks, storage, ingress and gateway classes, priority classes, Pod
// Security Admission labels, nodes, quotas and limit ranges), scores each
// from 0 to 100, weighs them into one percentage, and names every
// difference that could change the sandbox's verdict. It also finds what
// the manifests use that production lacks. Nothing is ever written to
// either cluster.
package parity

// Dimension is one thing the clusters are compared on.
type Dimension struct {
	// Name is stable: the JUnit case is parity/<Name>.
	Name string
	// Title says what is compared, for descriptions.
	Title string
	// Weight is the dimension's weight in the overall percentage: 2 for
	// what decides whether the API server accepts the manifests, 1 for
	// what decides how they run.
	Weight int
	// Impact says how a difference here can change the sandbox's verdict.
	Impact string
}

// The dimensions' names.
const (
	Version    = "version"
	APIs       = "api-versions"
	CRDs       = "crds"
	Webhooks   = "webhooks"
	PodSec     = "pod-security"
	Quotas     = "quotas"
	Storage    = "storage-classes"
	NetClasses = "network-classes"
	Priority   = "priority-classes"
	Nodes      = "nodes"
)

// Dimensions are every dimension, in report order.
var Dimensions = []Dimension{
	{Version, "server version and skew", 2,
		"APIs added or removed between versions and changed defaults can make one cluster accept what the other rejects."},
	{APIs, "enabled API groups and versions", 2,
		"A manifest in an API version only one cluster serves applies there and fails in the other."},
	{CRDs, "CustomResourceDefinitions and their served versions", 2,
		"Custom resources whose CRD is missing, or serves other versions, cannot be applied."},
	{Webhooks, "validating and mutating admission webhooks, their rules and failure policies", 2,
		"Admission may reject (failurePolicy Fail) or change objects in one cluster that the other accepts as they are."},
	{PodSec, "Pod Security Admission labels of the target namespaces", 2,
		"Pod Security Admission may reject pods in one cluster's namespace that the other admits."},
	{Quotas, "ResourceQuotas and LimitRanges of the target namespaces", 2,
		"Quotas and limit ranges reject pods, or give them other default requests and limits."},
	{Storage, "StorageClasses and the default one", 1,
		"PersistentVolumeClaims bind through another provisioner, or stay Pending."},
	{NetClasses, "IngressClasses and GatewayClasses", 1,
		"Ingresses and Gateways are served by another controller, or by none."},
	{Priority, "PriorityClasses", 1,
		"Pods naming a PriorityClass one cluster lacks are rejected there; preemption differs."},
	{Nodes, "node OS, architecture, kernel and container runtime", 1,
		"Images, node selectors and kernel or runtime features behave differently."},
}

// dimension returns the dimension named name.
func dimension(name string) Dimension {
	for _, d := range Dimensions {
		if d.Name == name {
			return d
		}
	}
	panic("parity: unknown dimension " + name)
}

// Item is one thing a dimension holds in a cluster: a key both clusters
// may have (a CRD's name, a webhook's) and what it looks like there.
type Item struct {
	// Key names the item the same way in both clusters.
	Key string
	// Value is what is compared: equal values match.
	Value string
	// Object names the Kubernetes object, kind/name, when there is one.
	Object string
}

// Package httpcheck sends the HTTP requests of shipgate's checks and judges
// their answers: single checks with expectations (status, body, JSON paths,
// latency) retried with backoff while a fresh app settles, and samples of
// many requests measured for latency percentiles and error rate.
//
// An endpoint is a URL, reached with a plain HTTP client, or a Service,
// reached through the API server's service proxy so nothing extra is needed
// in the cluster. Evidence names a Service endpoint by its service target
// (service/namespace/name:port/path), never by the API server's address.
//
// Problems of the app (a 500, a slow answer, a missing JSON field) are
// returned as data: observations, problem strings and statistics. Only
// ErrNoCluster marks a setup that can never work.
package httpcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/kube"
)

// ErrNoCluster is returned for a Service endpoint when the Resolver has no
// cluster to reach it through; retrying does not help.
var ErrNoCluster = errors.New("no cluster to reach a Service through: give the resolver a cluster, or use a url endpoint")

// Resolver turns endpoints into URLs and the HTTP clients that reach them.
// It is safe for concurrent use.
type Resolver struct {
	cfg       *rest.Config
	client    kubernetes.Interface
	namespace string
	// direct reaches URL endpoints; proxy reaches the API server.
	direct, proxy http.RoundTripper
	// backoff paces Retry: the first pause and the cap of the doubling.
	backoff, backoffCap time.Duration
}

// NewResolver returns a resolver for URL endpoints and, when cfg is not
// nil, for Services of the cluster cfg points at; a Service without a
// namespace is looked up in namespace. A nil client is made from cfg.
// Connections are kept alive and reused.
func NewResolver(cfg *rest.Config, client kubernetes.Interface, namespace string) (*Resolver, error) {
	r := &Resolver{
		cfg:        cfg,
		client:     client,
		namespace:  namespace,
		direct:     http.DefaultTransport.(*http.Transport).Clone(),
		backoff:    250 * time.Millisecond,
		backoffCap: 5 * time.Second,
	}
	if cfg == nil {
		return r, nil
	}
	if namespace == "" {
		return nil, errors.New("resolver: namespace is empty; give the namespace Services without one are looked up in")
	}
	if client == nil {
		c, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("resolver: kubernetes client for %s: %w", cfg.Host, err)
		}
		r.client = c
	}
	rt, err := kube.Transport(cfg, false)
	if err != nil {
		return nil, fmt.Errorf("resolver: %w", err)
	}
	r.proxy = rt
	return r, nil
}

// Target is an endpoint resolved: where requests go and how to name it.
type Target struct {
	// URL is where requests are sent: the endpoint's URL, or the service
	// proxy URL on the API server.
	URL string
	// Name is how evidence shows the target: the URL, or the service target
	// as service/namespace/name:port/path.
	Name string
	// Object is "Service/namespace/name" for a Service endpoint; empty for a URL.
	Object string

	rt http.RoundTripper
}

// Client returns an HTTP client for the target. It follows redirects
// unless follow is false, so that a check expecting a 3xx sees it.
func (t Target) Client(follow bool) *http.Client {
	c := &http.Client{Transport: t.rt}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// Resolve turns an endpoint into a target. A Service is looked up (its
// port resolved, the first one when Port is empty); the error names the
// Service and, for a wrong port, the ports it has. When it fails, the
// target still has Name and Object, for evidence to name what was not
// reached: service/namespace/name[:port]/path with the resolver's
// namespace filled in.
func (r *Resolver) Resolve(ctx context.Context, ep config.Endpoint) (Target, error) {
	if ep.URL != "" {
		return Target{URL: ep.URL, Name: ep.URL, rt: r.direct}, nil
	}
	ns, svc := ep.ServiceRef()
	if ns == "" {
		ns = r.namespace
	}
	t := Target{Name: "service/" + ns + "/" + svc, Object: "Service/" + ns + "/" + svc}
	if ep.Port != "" {
		t.Name += ":" + ep.Port
	}
	t.Name += ep.RequestPath()
	if r.cfg == nil {
		return t, fmt.Errorf("%s: %w", ep, ErrNoCluster)
	}
	st, err := kube.ServiceTarget{Namespace: ns, Name: svc, Scheme: ep.Scheme, Port: ep.Port, Path: ep.RequestPath()}.Resolve(ctx, r.client)
	if err != nil {
		return t, fmt.Errorf("resolve %s: %w", ep, err)
	}
	t.URL, t.Name, t.rt = st.URL(r.cfg.Host), st.String(), r.proxy
	return t, nil
}

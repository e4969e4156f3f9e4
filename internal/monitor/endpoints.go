package monitor

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/kube"
)

// Cluster is what Service endpoints need; plain URLs need none of it.
type Cluster struct {
	// Namespace is where a Service named without a namespace lives.
	Namespace string
	// Client resolves the Services' ports.
	Client kubernetes.Interface
	// Config reaches the API server, whose service proxy carries the
	// samples.
	Config *rest.Config
}

// DisruptionSamplers returns two samplers per endpoint of cfg, one per
// Connection, in the order of cfg.Endpoints. Services are resolved (their
// port checked or picked) first; an error names the endpoint's field.
func DisruptionSamplers(ctx context.Context, cfg config.Disruption, cluster Cluster) ([]*Disruption, error) {
	return Samplers(ctx, "smoke.disruption", cfg, cluster, "")
}

// Samplers are DisruptionSamplers of the endpoints configured at field
// (e.g. promote.traffic), whose samples keep the answers' versionHeader
// when it is set.
func Samplers(ctx context.Context, field string, cfg config.Disruption, cluster Cluster, versionHeader string) ([]*Disruption, error) {
	var out []*Disruption
	var errs []error
	for i, e := range cfg.Endpoints {
		field := fmt.Sprintf("%s.endpoints[%d]", field, i)
		target, err := targetOf(ctx, e, cluster)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
			continue
		}
		target.VersionHeader = versionHeader
		for _, conn := range Connections {
			d, err := NewDisruption(target, conn, cfg.SampleRate(), cfg.SampleTimeout())
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", field, err))
				continue
			}
			out = append(out, d)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("traffic samplers: %w", err)
	}
	return out, nil
}

// targetOf turns a configured endpoint into a Target.
func targetOf(ctx context.Context, e config.DisruptionEndpoint, cluster Cluster) (Target, error) {
	t := Target{Name: e.DisplayName(), Status: e.ExpectedStatus(), BodyContains: e.BodyContains}
	switch {
	case e.URL != "":
		t.URL, t.Transport = e.URL, URLTransport
		return t, nil
	case e.Service == "":
		return t, errors.New("set url or service")
	case cluster.Client == nil || cluster.Config == nil:
		return t, fmt.Errorf("service %s: sampling a Service needs a cluster (kubeconfig) to reach it through the API server's service proxy", e.Service)
	}
	ns, name := e.ServiceRef()
	if ns == "" {
		ns = cluster.Namespace
	}
	if ns == "" {
		return t, fmt.Errorf("service %s: no namespace; write namespace/%s or set the stage's namespace", e.Service, name)
	}
	st, err := kube.ServiceTarget{Namespace: ns, Name: name, Scheme: e.Scheme, Port: e.Port, Path: e.RequestPath()}.Resolve(ctx, cluster.Client)
	if err != nil {
		return t, err
	}
	t.Object = "ns/" + ns + " service/" + name
	t.URL = st.URL(cluster.Config.Host)
	t.Transport = ServiceTransport(cluster.Config)
	return t, nil
}

// URLTransport is the Transport of a plain URL: a clone of
// http.DefaultTransport, with keep-alives off when fresh.
func URLTransport(fresh bool) (http.RoundTripper, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = fresh
	return t, nil
}

// ServiceTransport is the Transport of a Service reached through the API
// server's service proxy, authenticated as cfg. A fresh transport opens a
// new connection to the API server for every sample; whether the proxy
// reuses its connections to the pods is up to the API server.
func ServiceTransport(cfg *rest.Config) func(fresh bool) (http.RoundTripper, error) {
	return func(fresh bool) (http.RoundTripper, error) { return kube.Transport(cfg, fresh) }
}

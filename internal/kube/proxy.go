package kube

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ServiceTarget is a Service port reached through the API server's service
// proxy: nothing extra (an ingress, a port-forward) is needed in the cluster.
type ServiceTarget struct {
	Namespace, Name string
	// Scheme is http or https; http when empty.
	Scheme string
	// Port is the Service port's name or number; Resolve fills it in.
	Port string
	// Path is the request path, "/" when empty.
	Path string
}

// String names the target as service/namespace/name:port/path.
func (s ServiceTarget) String() string {
	return fmt.Sprintf("service/%s/%s:%s%s", s.Namespace, s.Name, s.Port, cmp.Or(s.Path, "/"))
}

// Resolve checks the Service exists and fills in Port with its first port's
// name (or number) when Port is empty; a named or numbered Port must be one
// of the Service's ports. The error names the ports it has.
func (s ServiceTarget) Resolve(ctx context.Context, client kubernetes.Interface) (ServiceTarget, error) {
	var ports []string
	err := retryTransient(ctx, func(ctx context.Context) error {
		svc, err := client.CoreV1().Services(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ports = ports[:0]
		for _, p := range svc.Spec.Ports {
			ports = append(ports, cmp.Or(p.Name, strconv.Itoa(int(p.Port))))
			if s.Port == p.Name || s.Port == strconv.Itoa(int(p.Port)) {
				s.Port = cmp.Or(p.Name, strconv.Itoa(int(p.Port)))
				ports = nil
				return nil
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return s, fmt.Errorf("service %s/%s: %w", s.Namespace, s.Name, err)
	case ports == nil:
		return s, nil
	case len(ports) == 0:
		return s, fmt.Errorf("service %s/%s has no ports", s.Namespace, s.Name)
	case s.Port == "":
		s.Port = ports[0]
		return s, nil
	}
	return s, fmt.Errorf("service %s/%s has no port %q; its ports are %s", s.Namespace, s.Name, s.Port, strings.Join(ports, ", "))
}

// URL returns the service proxy URL of the target on the API server at host
// (a rest.Config's Host).
func (s ServiceTarget) URL(host string) string {
	scheme := cmp.Or(s.Scheme, "http")
	p := strings.TrimPrefix(cmp.Or(s.Path, "/"), "/")
	return strings.TrimSuffix(host, "/") + "/api/v1/namespaces/" + url.PathEscape(s.Namespace) +
		"/services/" + scheme + ":" + url.PathEscape(s.Name) + ":" + url.PathEscape(s.Port) + "/proxy/" + p
}

// Transport returns a round tripper that authenticates to the API server as
// cfg does. With fresh set, every request opens a new connection; otherwise
// connections are kept alive and reused.
func Transport(cfg *rest.Config, fresh bool) (http.RoundTripper, error) {
	tlsCfg, err := rest.TLSConfigFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("TLS config for %s: %w", cfg.Host, err)
	}
	base := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     tlsCfg,
		DisableKeepAlives:   fresh,
		MaxIdleConnsPerHost: 4,
		ForceAttemptHTTP2:   false,
	}
	if cfg.Dial != nil {
		base.DialContext = cfg.Dial
	}
	rt, err := rest.HTTPWrappersForConfig(cfg, base)
	if err != nil {
		return nil, fmt.Errorf("authentication for %s: %w", cfg.Host, err)
	}
	return rt, nil
}

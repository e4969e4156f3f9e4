// Package imageindex assembles a multi-platform image index from the
// per-platform images that build jobs pushed by digest, pushes it with its
// tags and verifies it by reading it back from the registry. It also pulls
// one platform's image out of an index into a docker-archive tarball, the
// form `kind load image-archive` takes.
//
// Problems with the images (an unknown digest, a missing, extra or
// duplicate platform, an image built for another architecture) are data,
// returned as Problems; errors mean the registry could not be used.
package imageindex

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Option configures registry access. No option is needed in production.
type Option func(*options)

type options struct {
	keychain authn.Keychain
	backoff  remote.Backoff
	logf     func(format string, args ...any)
}

// DefaultBackoff is how registry requests are retried: five tries over
// about fifteen seconds.
var DefaultBackoff = remote.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: 5}

// retryStatusCodes are the registry answers worth another try.
var retryStatusCodes = []int{
	http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
	http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
}

// WithKeychain sets where credentials come from; the default is
// authn.DefaultKeychain (the docker config, as docker/login-action writes it).
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithRetryBackoff sets how failed registry requests are retried.
func WithRetryBackoff(b remote.Backoff) Option { return func(o *options) { o.backoff = b } }

// WithLogf sets where progress lines go; they never carry credentials.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *options) { o.logf = logf }
}

func build(opts []Option) *options {
	o := &options{keychain: authn.DefaultKeychain, backoff: DefaultBackoff, logf: func(string, ...any) {}}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// remote returns the go-containerregistry options for one operation.
func (o *options) remote(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithTransport(tlsOrLoopback{next: remote.DefaultTransport}),
		remote.WithRetryBackoff(o.backoff),
		remote.WithRetryStatusCodes(retryStatusCodes...),
		remote.WithUserAgent("shipgate"),
	}
}

// tlsOrLoopback refuses plain http to anything but this machine.
// go-containerregistry falls back to http for private (RFC 1918) addresses;
// shipgate does not send credentials or images there unencrypted.
type tlsOrLoopback struct{ next http.RoundTripper }

func (t tlsOrLoopback) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && !isLoopback(req.URL.Hostname()) {
		return nil, fmt.Errorf("refusing %s://%s: registries other than localhost must be reached over https", req.URL.Scheme, req.URL.Host)
	}
	return t.next.RoundTrip(req)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// GitHubKeychain is authn.DefaultKeychain plus, for ghcr.io only, the
// workflow's GITHUB_TOKEN as the password of actor (any name works when
// actor is empty). Credentials from a docker login win over the token.
func GitHubKeychain(token, actor string) authn.Keychain {
	if token == "" {
		return authn.DefaultKeychain
	}
	if actor == "" {
		actor = "x-access-token"
	}
	return authn.NewMultiKeychain(authn.DefaultKeychain, ghcr{user: actor, token: token})
}

type ghcr struct{ user, token string }

func (g ghcr) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() != "ghcr.io" {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: g.user, Password: g.token}), nil
}

package imageindex

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// recorder stands in for the network: it records what would be sent and
// sends nothing.
type recorder struct{ hosts []string }

var errNotSent = errors.New("not sent")

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.hosts = append(r.hosts, req.URL.Host)
	return nil, errNotSent
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		allowed bool
	}{
		{"https://ghcr.io/v2/", true},
		{"https://10.0.0.5:5000/v2/", true},
		{"http://127.0.0.1:5000/v2/", true},
		{"http://localhost:5000/v2/", true},
		{"http://[::1]:5000/v2/", true},
		{"http://10.0.0.5:5000/v2/", false},
		{"http://registry.local/v2/", false},
		{"http://ghcr.io/token", false},
	}
	for _, tt := range tests {
		rec := &recorder{}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tlsOrLoopback{next: rec}.RoundTrip(req)
		if sent := len(rec.hosts) == 1; sent != tt.allowed {
			t.Errorf("%s: sent = %v, want %v", tt.url, sent, tt.allowed)
		}
		if !tt.allowed && (err == nil || !strings.Contains(err.Error(), "must be reached over https")) {
			t.Errorf("%s: error = %v, want a refusal", tt.url, err)
		}
	}
}

func TestGitHubKeychain(t *testing.T) {
	t.Parallel()
	if GitHubKeychain("", "octocat") != authn.DefaultKeychain {
		t.Error("GitHubKeychain without a token is not the default keychain")
	}
	k := ghcr{user: "octocat", token: "ghs_secret"}
	for reg, want := range map[string]*authn.AuthConfig{
		"ghcr.io":   {Username: "octocat", Password: "ghs_secret"},
		"docker.io": nil,
		"gcr.io":    nil,
	} {
		a, err := k.Resolve(resource(reg))
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			if a != authn.Anonymous {
				t.Errorf("%s: got credentials, want anonymous", reg)
			}
			continue
		}
		got, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != want.Username || got.Password != want.Password {
			t.Errorf("%s: got user %q, want %q with the token", reg, got.Username, want.Username)
		}
	}
}

type resource string

func (r resource) String() string      { return string(r) }
func (r resource) RegistryStr() string { return string(r) }

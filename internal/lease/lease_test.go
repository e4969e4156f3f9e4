package lease

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/fake"
)

func TestLeaseName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 70)
	tests := []struct {
		app, env string
		want     string // empty: only check validity and the prefix
		prefix   string
	}{
		{app: "web", env: "production", want: "shipgate-web-production"},
		{app: "shop-api", env: "eu-1", want: "shipgate-shop-api-eu-1"},
		{app: "Web", env: "production", prefix: "shipgate-web-production-"},
		{app: "web_app", env: "prod.eu", prefix: "shipgate-web-app-prod-eu-"},
		{app: long, env: "production", prefix: "shipgate-aaaa"},
		{app: "web", env: "-", prefix: "shipgate-web-"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := LeaseName(tt.app, tt.env)
		if tt.want != "" && got != tt.want {
			t.Errorf("LeaseName(%q, %q) = %q, want %q", tt.app, tt.env, got, tt.want)
		}
		if tt.prefix != "" && !strings.HasPrefix(got, tt.prefix) {
			t.Errorf("LeaseName(%q, %q) = %q, want it to start with %q", tt.app, tt.env, got, tt.prefix)
		}
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("LeaseName(%q, %q) = %q is not a DNS-1123 label: %v", tt.app, tt.env, got, errs)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("LeaseName(%q, %q) = %q, the same as for %s", tt.app, tt.env, got, prev)
		}
		seen[got] = tt.app + "/" + tt.env
	}
}

func TestOptionsErrors(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{name: "empty", o: Options{}, want: []string{"Client is nil", "Namespace is empty", "Name is empty; use LeaseName"}},
		{name: "negative duration", o: Options{Client: cs, Namespace: "ns", Name: "n", Duration: -time.Second}, want: []string{"Duration -1s is negative"}},
		{name: "negative wait", o: Options{Client: cs, Namespace: "ns", Name: "n", Wait: -time.Minute}, want: []string{"lock-timeout -1m0s is negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Acquire(t.Context(), tt.o)
			if err == nil {
				t.Fatal("Acquire succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want time.Duration
	}{
		{0, 60 * time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{time.Millisecond, time.Second},
		{15 * time.Second, 15 * time.Second},
	}
	for _, tt := range tests {
		o, err := Options{Client: fake.NewClientset(), Namespace: "ns", Name: "n", Duration: tt.in}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if o.Duration != tt.want {
			t.Errorf("Duration %s became %s, want %s", tt.in, o.Duration, tt.want)
		}
		if o.Holder == "" || !strings.Contains(o.Holder, " pid ") {
			t.Errorf("default Holder %q, want <hostname> pid <pid>", o.Holder)
		}
	}
}

func TestHeldErrorMessage(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		name string
		e    HeldError
		want string
	}{
		{
			name: "refused at once",
			e:    HeldError{Namespace: "shop", Name: "shipgate-web-production", Holder: "octo/shop run 41 attempt 1", RunURL: "https://github.com/octo/shop/actions/runs/41", Acquired: at, Expires: at.Add(time.Minute)},
			want: `lease shop/shipgate-web-production is held by "octo/shop run 41 attempt 1" (https://github.com/octo/shop/actions/runs/41) since 2025-03-04T05:06:07Z; it expires at 2025-03-04T05:07:07Z unless renewed. ` +
				`Only one promotion of an app in an environment runs at a time: wait for that run to finish, or, if it died, for its lease to expire; set the lock-timeout config field to wait for it instead of failing`,
		},
		{
			name: "after waiting, no run URL",
			e:    HeldError{Namespace: "shop", Name: "l", Holder: "laptop pid 7", Acquired: at, Expires: at.Add(time.Minute), Waited: 5 * time.Minute},
			want: `lease shop/l is held by "laptop pid 7" since 2025-03-04T05:06:07Z; it expires at 2025-03-04T05:07:07Z unless renewed (waited 5m0s for it). ` +
				`Only one promotion of an app in an environment runs at a time: wait for that run to finish, or, if it died, for its lease to expire; raise the lock-timeout config field to wait longer`,
		},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

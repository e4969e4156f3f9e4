package kubeapis

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/kubeversion"
	"github.com/shipgate/shipgate/internal/result"
)

func v(s string) kubeversion.Version { return kubeversion.MustParse(s) }

func TestTableParses(t *testing.T) {
	t.Parallel()
	ix, err := parse(apisYAML)
	if err != nil {
		t.Fatalf("apis.yaml: %v", err)
	}
	seen := map[key]bool{}
	for _, e := range ix.entries {
		k := key{e.APIVersion, e.Kind}
		if seen[k] {
			t.Errorf("duplicate entry %s %s", e.APIVersion, e.Kind)
		}
		seen[k] = true
	}
	// The guide's removals by release, counted by (apiVersion, kind).
	wantPerRelease := map[string]int{
		"v1.16": 12, "v1.22": 23, "v1.25": 7, "v1.26": 3, "v1.27": 1, "v1.29": 2, "v1.32": 2,
	}
	got := map[string]int{}
	for _, e := range ix.entries {
		got[e.RemovedIn.String()]++
	}
	if diff := cmp.Diff(wantPerRelease, got); diff != "" {
		t.Errorf("entries per removal release mismatch (-want +got):\n%s", diff)
	}
}

func TestRemovedAfterDeprecated(t *testing.T) {
	t.Parallel()
	for _, e := range Entries() {
		if e.RemovedIn.IsZero() {
			continue
		}
		if kubeversion.MinorsBetween(e.DeprecatedIn, e.RemovedIn) <= 0 {
			t.Errorf("%s %s: removedIn %s is not after deprecatedIn %s", e.APIVersion, e.Kind, e.RemovedIn, e.DeprecatedIn)
		}
		if !e.ReplacementSince.IsZero() && kubeversion.MinorsBetween(e.ReplacementSince, e.RemovedIn) < 0 {
			t.Errorf("%s %s: replacement served since %s, after the removal in %s", e.APIVersion, e.Kind, e.ReplacementSince, e.RemovedIn)
		}
	}
}

func TestEntriesWellFormed(t *testing.T) {
	t.Parallel()
	for _, e := range Entries() {
		name := e.APIVersion + " " + e.Kind
		if !strings.Contains(e.APIVersion, "/") {
			t.Errorf("%s: apiVersion is not group/version", name)
		}
		if e.Replacement != None && !strings.Contains(e.Replacement, "/") {
			t.Errorf("%s: replacement %q is not group/version or %q", name, e.Replacement, None)
		}
		// The guide's anchors end in the removal release: ingress-v122.
		if suffix := fmt.Sprintf("-v%d%d", e.RemovedIn.Major, e.RemovedIn.Minor); !strings.HasSuffix(e.Section, suffix) {
			t.Errorf("%s: section %q does not end in %s", name, e.Section, suffix)
		}
		if !strings.HasPrefix(e.URL(), GuideURL+"#") {
			t.Errorf("%s: URL %q", name, e.URL())
		}
		if e.RemovedIn.PatchKnown() || e.DeprecatedIn.PatchKnown() {
			t.Errorf("%s: versions should be minor releases (v1.22), not patches", name)
		}
	}
}

// TestCheckEveryEntry walks the whole table: below DeprecatedIn an API is
// OK, from DeprecatedIn it is Deprecated, from RemovedIn it is Removed.
func TestCheckEveryEntry(t *testing.T) {
	t.Parallel()
	at := func(base kubeversion.Version, dMinor, patch int) kubeversion.Version {
		return kubeversion.Version{Major: base.Major, Minor: base.Minor + dMinor, Patch: patch}
	}
	for _, e := range Entries() {
		t.Run(e.APIVersion+"/"+e.Kind, func(t *testing.T) {
			t.Parallel()
			tests := []struct {
				target kubeversion.Version
				want   Status
			}{
				{at(e.DeprecatedIn, -1, 9), OK},
				{at(e.DeprecatedIn, 0, 0), Deprecated},
				{at(e.DeprecatedIn, 0, kubeversion.UnknownPatch), Deprecated},
				{at(e.RemovedIn, -1, 12), Deprecated},
				{at(e.RemovedIn, 0, 0), Removed},
				{at(e.RemovedIn, 0, kubeversion.UnknownPatch), Removed},
				{at(e.RemovedIn, 5, 3), Removed},
			}
			for _, tt := range tests {
				got, entry := Check(e.APIVersion, e.Kind, tt.target)
				if got != tt.want {
					t.Errorf("Check(%s, %s, %s) = %s, want %s", e.APIVersion, e.Kind, tt.target, got, tt.want)
				}
				if diff := cmp.Diff(e, entry); diff != "" {
					t.Errorf("Check returned another entry (-want +got):\n%s", diff)
				}
				_, ok := Finding("a.yaml", 1, 1, "", e.APIVersion, e.Kind, tt.target)
				if ok != (tt.want != OK) {
					t.Errorf("Finding at %s: ok = %v for status %s", tt.target, ok, tt.want)
				}
			}
		})
	}
}

// TestGuideSpotChecks pins entries against the Deprecated API Migration Guide.
func TestGuideSpotChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		apiVersion, kind string
		removedIn        string
		replacement      string
	}{
		{"extensions/v1beta1", "Ingress", "v1.22", "networking.k8s.io/v1"},
		{"networking.k8s.io/v1beta1", "Ingress", "v1.22", "networking.k8s.io/v1"},
		{"policy/v1beta1", "PodSecurityPolicy", "v1.25", None},
		{"batch/v1beta1", "CronJob", "v1.25", "batch/v1"},
		{"autoscaling/v2beta2", "HorizontalPodAutoscaler", "v1.26", "autoscaling/v2"},
		{"storage.k8s.io/v1beta1", "CSIStorageCapacity", "v1.27", "storage.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "v1.29", "flowcontrol.apiserver.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", "v1.29", "flowcontrol.apiserver.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "v1.32", "flowcontrol.apiserver.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", "v1.32", "flowcontrol.apiserver.k8s.io/v1"},
		{"apps/v1beta2", "Deployment", "v1.16", "apps/v1"},
		{"extensions/v1beta1", "NetworkPolicy", "v1.16", "networking.k8s.io/v1"},
		{"apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "v1.22", "apiextensions.k8s.io/v1"},
		{"rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding", "v1.22", "rbac.authorization.k8s.io/v1"},
		{"policy/v1beta1", "PodDisruptionBudget", "v1.25", "policy/v1"},
		{"events.k8s.io/v1beta1", "Event", "v1.25", "events.k8s.io/v1"},
	}
	for _, tt := range tests {
		e, ok := Lookup(tt.apiVersion, tt.kind)
		if !ok {
			t.Errorf("Lookup(%s, %s): not found", tt.apiVersion, tt.kind)
			continue
		}
		if e.RemovedIn != v(tt.removedIn) || e.Replacement != tt.replacement {
			t.Errorf("%s %s: removed in %s → %s, want %s → %s", tt.apiVersion, tt.kind, e.RemovedIn, e.Replacement, tt.removedIn, tt.replacement)
		}
	}
	for _, miss := range [][2]string{{"apps/v1", "Deployment"}, {"networking.k8s.io/v1", "Ingress"}, {"extensions/v1beta1", "ingress"}, {"", ""}} {
		if _, ok := Lookup(miss[0], miss[1]); ok {
			t.Errorf("Lookup(%q, %q) found an entry", miss[0], miss[1])
		}
		if s, _ := Check(miss[0], miss[1], v("v1.31.0")); s != OK {
			t.Errorf("Check(%q, %q) = %s, want ok", miss[0], miss[1], s)
		}
	}
}

func TestFinding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		apiVersion, kind string
		target           string
		want             result.Finding
		wantOK           bool
	}{
		{
			name: "removed ingress", apiVersion: "extensions/v1beta1", kind: "Ingress", target: "v1.31.0", wantOK: true,
			want: result.Finding{
				Check: CheckRemoved, Level: result.Failure, Path: "deploy/ingress.yaml", Line: 1, Column: 13, Object: "Ingress/web/site",
				Title: "extensions/v1beta1 Ingress removed in v1.22",
				Message: "extensions/v1beta1 Ingress is no longer served as of Kubernetes v1.22 (deprecated since v1.14); the target version is v1.31.0. " +
					"Migrate to networking.k8s.io/v1 Ingress, served since v1.19. " +
					"spec.backend is renamed spec.defaultBackend; backend serviceName becomes service.name and servicePort becomes service.port.number or service.port.name; " +
					"pathType is required for each path (ImplementationSpecific matches the v1beta1 behaviour). " +
					"See https://kubernetes.io/docs/reference/using-api/deprecation-guide/#ingress-v122",
			},
		},
		{
			name: "deprecated cronjob", apiVersion: "batch/v1beta1", kind: "CronJob", target: "v1.23.4", wantOK: true,
			want: result.Finding{
				Check: CheckDeprecated, Level: result.Warning, Path: "deploy/ingress.yaml", Line: 1, Column: 13, Object: "Ingress/web/site",
				Title: "batch/v1beta1 CronJob deprecated in v1.21, removed in v1.25",
				Message: "batch/v1beta1 CronJob is deprecated since Kubernetes v1.21 and no longer served as of v1.25; the target version is v1.23.4. " +
					"Migrate to batch/v1 CronJob, served since v1.21. " +
					"See https://kubernetes.io/docs/reference/using-api/deprecation-guide/#cronjob-v125",
			},
		},
		{
			name: "PodSecurityPolicy has no replacement", apiVersion: "policy/v1beta1", kind: "PodSecurityPolicy", target: "v1.25", wantOK: true,
			want: result.Finding{
				Check: CheckRemoved, Level: result.Failure, Path: "deploy/ingress.yaml", Line: 1, Column: 13, Object: "Ingress/web/site",
				Title: "policy/v1beta1 PodSecurityPolicy removed in v1.25",
				Message: "policy/v1beta1 PodSecurityPolicy is no longer served as of Kubernetes v1.25 (deprecated since v1.21); the target version is v1.25. " +
					"There is no replacement API version. " +
					"The PodSecurityPolicy admission controller is removed too. Migrate to Pod Security Admission " +
					"(https://kubernetes.io/docs/tasks/configure-pod-container/migrate-from-psp/) or a third-party admission webhook. " +
					"See https://kubernetes.io/docs/reference/using-api/deprecation-guide/#psp-v125",
			},
		},
		{
			name: "replacement chain ends in none", apiVersion: "extensions/v1beta1", kind: "PodSecurityPolicy", target: "v1.30.0", wantOK: true,
			want: result.Finding{
				Check: CheckRemoved, Level: result.Failure, Path: "deploy/ingress.yaml", Line: 1, Column: 13, Object: "Ingress/web/site",
				Title: "extensions/v1beta1 PodSecurityPolicy removed in v1.16",
				Message: "extensions/v1beta1 PodSecurityPolicy is no longer served as of Kubernetes v1.16 (deprecated since v1.11); the target version is v1.30.0. " +
					"The guide's replacement, policy/v1beta1, is itself removed as of v1.25, and has no successor. " +
					"The PodSecurityPolicy admission controller is removed too. Migrate to Pod Security Admission " +
					"(https://kubernetes.io/docs/tasks/configure-pod-container/migrate-from-psp/) or a third-party admission webhook. " +
					"See https://kubernetes.io/docs/reference/using-api/deprecation-guide/#psp-v116",
			},
		},
		{
			name: "replacement chain to v1", apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1", kind: "PriorityLevelConfiguration", target: "v1.30.0", wantOK: true,
			want: result.Finding{
				Check: CheckRemoved, Level: result.Failure, Path: "deploy/ingress.yaml", Line: 1, Column: 13, Object: "Ingress/web/site",
				Title: "flowcontrol.apiserver.k8s.io/v1beta1 PriorityLevelConfiguration removed in v1.26",
				Message: "flowcontrol.apiserver.k8s.io/v1beta1 PriorityLevelConfiguration is no longer served as of Kubernetes v1.26 (deprecated since v1.23); the target version is v1.30.0. " +
					"Migrate to flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration, served since v1.29 " +
					"(the guide's replacement, flowcontrol.apiserver.k8s.io/v1beta2, is itself removed as of v1.29). " +
					"spec.limited.assuredConcurrencyShares is renamed to spec.limited.nominalConcurrencyShares; " +
					"in v1 it only defaults to 30 when unspecified, and an explicit 0 is not changed to 30. " +
					"See https://kubernetes.io/docs/reference/using-api/deprecation-guide/#flowcontrol-resources-v126",
			},
		},
		{
			name: "deprecated, replacement not served yet", apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", kind: "FlowSchema", target: "v1.27.3", wantOK: true,
			want: result.Finding{
				Check: CheckDeprecated, Level: result.Warning, Path: "deploy/ingress.yaml", Line: 1, Column: 13, Object: "Ingress/web/site",
				Title: "flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema deprecated in v1.26, removed in v1.29",
				Message: "flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema is deprecated since Kubernetes v1.26 and no longer served as of v1.29; the target version is v1.27.3. " +
					"Migrate to flowcontrol.apiserver.k8s.io/v1 FlowSchema, which is first served in v1.29: move to it together with the upgrade to v1.29. " +
					"flowcontrol.apiserver.k8s.io/v1beta3 (since v1.26) also works until v1.32. " +
					"See https://kubernetes.io/docs/reference/using-api/deprecation-guide/#flowcontrol-resources-v129",
			},
		},
		{name: "not yet deprecated", apiVersion: "batch/v1beta1", kind: "CronJob", target: "v1.20.0"},
		{name: "not in the table", apiVersion: "apps/v1", kind: "Deployment", target: "v1.31.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Finding("deploy/ingress.yaml", 1, 13, "Ingress/web/site", tt.apiVersion, tt.kind, v(tt.target))
			if ok != tt.wantOK {
				t.Fatalf("Finding ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Finding mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	const head = "schema: 1\nchecked: \"2026-11-22\"\napis:\n"
	tests := []struct {
		name, yaml, wantErr string
	}{
		{
			name: "duplicate",
			yaml: head + "- {apiVersion: a/v1beta1, kind: K, deprecatedIn: v1.1, removedIn: v1.2, replacement: a/v1}\n" +
				"- {apiVersion: a/v1beta1, kind: K, deprecatedIn: v1.1, removedIn: v1.2, replacement: a/v1}\n",
			wantErr: "entry 2 (a/v1beta1 K): duplicate of entry 1",
		},
		{
			name:    "removal not after deprecation",
			yaml:    head + "- {apiVersion: a/v1beta1, kind: K, deprecatedIn: v1.2, removedIn: v1.2, replacement: a/v1}\n",
			wantErr: "entry 1 (a/v1beta1 K): removedIn v1.2 is not after deprecatedIn v1.2",
		},
		{
			name:    "no replacement",
			yaml:    head + "- {apiVersion: a/v1beta1, kind: K, deprecatedIn: v1.1}\n",
			wantErr: `entry 1 (a/v1beta1 K): replacement is required (an apiVersion, or "none")`,
		},
		{
			name:    "bad version",
			yaml:    head + "- {apiVersion: a/v1beta1, kind: K, deprecatedIn: one, replacement: a/v1}\n",
			wantErr: `"one" is not a version; use the form v1.31.0`,
		},
		{
			name:    "unknown field",
			yaml:    head + "- {apiVersion: a/v1beta1, kind: K, deprecatedIn: v1.1, replacement: a/v1, removed: v1.4}\n",
			wantErr: "field removed not found",
		},
		{name: "schema", yaml: "schema: 2\n", wantErr: "schema 2, want 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parse error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	// An entry without removedIn is deprecated for good.
	ix, err := parse([]byte(head + "- {apiVersion: a/v1beta1, kind: K, deprecatedIn: v1.30, replacement: a/v1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := statusAt(ix.entries[0], v("v1.40.0")); s != Deprecated {
		t.Errorf("status without removal = %s, want deprecated", s)
	}
}

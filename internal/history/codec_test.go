package history

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestSecretName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		app, env string
		n        int
		want     string // empty: only check validity
	}{
		{"web", "production", 3, "sh.shipgate.web.production.v3"},
		{"shop-api", "eu-1", 12, "sh.shipgate.shop-api.eu-1.v12"},
		{"Web", "production", 1, ""},
		{"web.app", "prod_eu", 1, ""},
		{strings.Repeat("x", 200), strings.Repeat("y", 200), 99999, ""},
		{"ü", "-", 1, ""},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := SecretName(tt.app, tt.env, tt.n)
		if tt.want != "" && got != tt.want {
			t.Errorf("SecretName(%q, %q, %d) = %q, want %q", tt.app, tt.env, tt.n, got, tt.want)
		}
		if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
			t.Errorf("SecretName(%q, %q, %d) = %q is not a valid name: %v", tt.app, tt.env, tt.n, got, errs)
		}
		if seen[got] {
			t.Errorf("SecretName(%q, %q, %d) = %q twice", tt.app, tt.env, tt.n, got)
		}
		seen[got] = true
		for _, v := range []string{tt.app, tt.env} {
			if errs := validation.IsValidLabelValue(labelValue(v)); len(errs) > 0 {
				t.Errorf("labelValue(%q) = %q is not a valid label value: %v", v, labelValue(v), errs)
			}
		}
	}
	if labelValue("Web_1.x") != "Web_1.x" {
		t.Errorf("labelValue changed a valid label value: %q", labelValue("Web_1.x"))
	}
}

func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	r := Revision{
		Number: 4, App: "web", Environment: "production", Strategy: "blue-green",
		Image: "ghcr.io/octo/web@sha256:abc", SHA: "0123abcd", Ref: "refs/heads/main", RunURL: "https://ci.example/1", Actor: "octocat",
		State: Failed, Reason: "error rate 3% > 1%", Previous: 3,
		Started: at, Switched: at.Add(time.Minute), Finished: at.Add(2 * time.Minute),
		Objects: []json.RawMessage{json.RawMessage(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"data":{"p":"cw=="}}`)},
		Names:   map[string]string{"Deployment/shop/web": "web-r4"},
		Events:  []Event{{Time: at, State: Promoting, Message: "revision recorded"}, {Time: at.Add(2 * time.Minute), State: Failed, Message: "error rate"}},
	}
	data, err := encode(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decode(&corev1.Secret{Type: SecretType, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := encode(Revision{Number: 1, Objects: []json.RawMessage{json.RawMessage(`{`)}}); err == nil || !strings.Contains(err.Error(), "Objects[0] is not valid JSON") {
		t.Errorf("encode of broken JSON: %v, want an error naming Objects[0]", err)
	}
}

func TestEncodeTooLarge(t *testing.T) {
	t.Parallel()
	noise := make([]byte, 1200<<10)
	_, _ = rand.Read(noise)
	big, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]string{"name": "assets", "namespace": "shop"},
		"binaryData": map[string]string{"blob": base64.StdEncoding.EncodeToString(noise)},
	})
	r := Revision{Number: 2, App: "web", Environment: "production", State: Promoting,
		Objects: []json.RawMessage{json.RawMessage(`{"kind":"Service","metadata":{"name":"web"}}`), big}}
	_, err := encode(r)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("encode: %v, want a *TooLargeError", err)
	}
	if tl.Size <= MaxSecretSize || tl.Limit != MaxSecretSize {
		t.Errorf("Size %d, Limit %d: want a size over the limit %d", tl.Size, tl.Limit, MaxSecretSize)
	}
	for _, want := range []string{"revision 2 of web in production is 1.2 MiB after compression", "over the 1.0 MiB one Secret can hold",
		"largest objects: ConfigMap/shop/assets (1.6 MiB), Service/web (", "keep bulky data"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	good, err := encode(Revision{Number: 1, App: "a", Environment: "e", State: Live})
	if err != nil {
		t.Fatal(err)
	}
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name   string
		typ    corev1.SecretType
		data   map[string][]byte
		want   string
		schema bool
	}{
		{name: "wrong type", typ: corev1.SecretTypeOpaque, data: good, want: `type is "Opaque"`},
		{name: "no schema", data: map[string][]byte{DataKey: good[DataKey]}, want: `no "schema" key`},
		{name: "schema not a number", data: map[string][]byte{DataKey: good[DataKey], SchemaKey: []byte("one")}, want: `"schema" is "one"`},
		{name: "schema too new", data: map[string][]byte{DataKey: []byte("whatever"), SchemaKey: []byte("2")}, schema: true,
			want: "was written by a newer shipgate (schema 2; this one reads up to 1): upgrade shipgate"},
		{name: "no data", data: map[string][]byte{SchemaKey: []byte("1")}, want: `no "revision.json.gz" key`},
		{name: "not gzip", data: map[string][]byte{DataKey: []byte("{\"number\": 1}"), SchemaKey: []byte("1")}, want: "revision.json.gz: gzip: invalid header"},
		{name: "not JSON", data: map[string][]byte{DataKey: gz("{"), SchemaKey: []byte("1")}, want: "revision.json.gz: unexpected end of JSON input"},
		{name: "no number", data: map[string][]byte{DataKey: gz(`{"state":"live"}`), SchemaKey: []byte("1")}, want: "number 0"},
		{name: "unknown state", data: map[string][]byte{DataKey: gz(`{"number":1,"state":"weird"}`), SchemaKey: []byte("1")}, want: `state "weird"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			typ := tt.typ
			if typ == "" {
				typ = SecretType
			}
			_, err := decode(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "sh.shipgate.a.e.v1"}, Type: typ, Data: tt.data})
			if err == nil {
				t.Fatal("decode succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "shop/sh.shipgate.a.e.v1") {
				t.Errorf("error %q does not contain %q and the secret's name", err, tt.want)
			}
			var se *SchemaError
			var ce *CorruptError
			if tt.schema != errors.As(err, &se) || tt.schema == errors.As(err, &ce) {
				t.Errorf("error %T: want a SchemaError %v, a CorruptError %v", err, tt.schema, !tt.schema)
			}
		})
	}
}

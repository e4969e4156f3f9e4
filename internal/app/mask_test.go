package app

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/actionio"
)

// TestMaskKubeconfig reads a kubeconfig input in each form a user may pass
// and applies the masks the step registered the way the runner does: no
// credential may survive in the log, the server must.
func TestMaskKubeconfig(t *testing.T) {
	t.Parallel()
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKeyBodyLine1secret\nKeyBodyLine2secretAwEHoUQDQgAE\n-----END EC PRIVATE KEY-----\n"
	cert := "-----BEGIN CERTIFICATE-----\nMIIBcertBodyLine1secret\n-----END CERTIFICATE-----\n"
	key64, cert64 := base64.StdEncoding.EncodeToString([]byte(key)), base64.StdEncoding.EncodeToString([]byte(cert))
	const head = `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster: {server: "https://prod.example:6443"}
contexts:
- name: prod
  context: {cluster: prod, user: admin}
`
	tests := []struct {
		name       string
		kubeconfig string
		secrets    []string
	}{
		{
			name: "yaml token and client certificate",
			kubeconfig: head + `users:
- name: admin
  user:
    token: "sha256~yamlTokenSecret"
    client-certificate-data: ` + cert64 + `
    client-key-data: ` + key64 + `
`,
			secrets: []string{"sha256~yamlTokenSecret", cert64, key64, "MHcCAQEEIKeyBodyLine1secret", "KeyBodyLine2secretAwEHoUQDQgAE", "MIIBcertBodyLine1secret"},
		},
		{
			name: "json password and token",
			kubeconfig: `{"apiVersion":"v1","kind":"Config","current-context":"prod",` +
				`"clusters":[{"name":"prod","cluster":{"server":"https://prod.example:6443"}}],` +
				`"contexts":[{"name":"prod","context":{"cluster":"prod","user":"admin"}}],` +
				`"users":[{"name":"admin","user":{"username":"admin","password":"jsonPasswordSecret"}},` +
				`{"name":"bot","user":{"token":"jsonTokenSecret","client-key-data":"` + key64 + `"}}]}`,
			secrets: []string{"jsonPasswordSecret", "jsonTokenSecret", key64},
		},
		{
			name: "exec plugin env",
			kubeconfig: head + `users:
- name: admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env:
      - name: AWS_SECRET_ACCESS_KEY
        value: execEnvSecretValue
      - {name: AWS_SESSION_TOKEN, value: 'execSessionSecret'}
`,
			secrets: []string{"execEnvSecretValue", "execSessionSecret"},
		},
		{
			name: "auth provider config",
			kubeconfig: head + `users:
- name: admin
  user:
    auth-provider:
      name: oidc
      config:
        client-id: shipgate
        client-secret: oidcClientSecret
        id-token: eyJhbGciOiJSUzI1NiJ9.idTokenSecret
        refresh-token: refreshTokenSecret
        idp-issuer-url: https://issuer.example
`,
			secrets: []string{"oidcClientSecret", "eyJhbGciOiJSUzI1NiJ9.idTokenSecret", "refreshTokenSecret"},
		},
		{
			name:       "not a kubeconfig: every line masked",
			kubeconfig: "server https://prod.example:6443\ntoken brokenTokenSecret\n\tpassword: [unclosed",
			secrets:    []string{"token brokenTokenSecret", "password: [unclosed"},
		},
		{
			name:       "not a kubeconfig: no users",
			kubeconfig: "apiVersion: v1\nkind: Config\ntoken: strayTokenSecret\n",
			secrets:    []string{"token: strayTokenSecret"},
		},
	}
	for _, tc := range tests {
		for _, input := range []string{"INPUT_KUBECONFIG", "INPUT_PRODUCTION-KUBECONFIG"} {
			t.Run(tc.name+" "+input, func(t *testing.T) {
				t.Parallel()
				var out bytes.Buffer
				env := map[string]string{"GITHUB_ACTIONS": "true", input: tc.kubeconfig}
				rt := actionio.New(func(k string) string { return env[k] }, &out)
				if _, err := readInputs(rt, nil, &out); err != nil {
					t.Fatal(err)
				}
				var masks []string
				for _, line := range strings.Split(out.String(), "\n") {
					if m, ok := strings.CutPrefix(line, "::add-mask::"); ok {
						masks = append(masks, m)
					}
				}
				// The runner replaces every registered value in later output.
				log := tc.kubeconfig + "\n" + strings.Join(tc.secrets, " ")
				for _, m := range masks {
					log = strings.ReplaceAll(log, m, "***")
				}
				for _, s := range tc.secrets {
					if strings.Contains(log, s) {
						t.Errorf("%q reaches the log; masks: %q", s, masks)
					}
				}
				if !strings.HasPrefix(tc.name, "not a kubeconfig") && !strings.Contains(log, "https://prod.example:6443") {
					t.Errorf("the server is masked; masks: %q", masks)
				}
			})
		}
	}
}

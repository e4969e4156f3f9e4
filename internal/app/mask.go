package app

import (
	"encoding/base64"
	"strings"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/shipgate/shipgate/internal/actionio"
)

// maskKubeconfig masks the credentials of a kubeconfig input, YAML or JSON:
// tokens, passwords, client keys and certificates (as written, base64, and
// decoded), exec plugins' env values and auth-provider config values, each
// on its own so none shows in a log even when quoted alone. The rest
// (server, names) stays readable. A kubeconfig that does not parse, or has
// no users, is masked whole, line by line.
func maskKubeconfig(rt *actionio.Runtime, kubeconfig string) {
	if strings.TrimSpace(kubeconfig) == "" {
		return
	}
	cfg, err := clientcmd.Load([]byte(kubeconfig))
	if err != nil || len(cfg.AuthInfos) == 0 {
		rt.Mask(kubeconfig)
		return
	}
	for _, a := range cfg.AuthInfos {
		rt.Mask(a.Token)
		rt.Mask(a.Password)
		maskData(rt, a.ClientKeyData)
		maskData(rt, a.ClientCertificateData)
		if a.Exec != nil {
			for _, e := range a.Exec.Env {
				rt.Mask(e.Value)
			}
		}
		if a.AuthProvider != nil {
			for _, v := range a.AuthProvider.Config {
				rt.Mask(v)
			}
		}
	}
}

// maskData masks key or certificate data both as the kubeconfig writes it
// (base64) and decoded (PEM), leaving out PEM's BEGIN and END lines, which
// every certificate shares.
func maskData(rt *actionio.Runtime, data []byte) {
	if len(data) == 0 {
		return
	}
	rt.Mask(base64.StdEncoding.EncodeToString(data))
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "-----") {
			rt.Mask(line)
		}
	}
}

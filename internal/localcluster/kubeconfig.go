package localcluster

import (
	"os"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// contextName names the cluster, user and context in the kubeconfig.
const contextName = "shipgate-local"

// The subset of the kubeconfig format (clientcmd/api/v1) that
// writeKubeconfig fills. client-go's clientcmd package would pull in
// spf13/pflag, which the module does not require.
type (
	kubeconfig struct {
		APIVersion     string         `json:"apiVersion"`
		Kind           string         `json:"kind"`
		CurrentContext string         `json:"current-context"`
		Clusters       []namedCluster `json:"clusters"`
		Users          []namedUser    `json:"users"`
		Contexts       []namedContext `json:"contexts"`
	}
	namedCluster struct {
		Name    string `json:"name"`
		Cluster struct {
			Server                   string `json:"server"`
			CertificateAuthorityData []byte `json:"certificate-authority-data"`
		} `json:"cluster"`
	}
	namedUser struct {
		Name string `json:"name"`
		User struct {
			Token string `json:"token"`
		} `json:"user"`
	}
	namedContext struct {
		Name    string `json:"name"`
		Context struct {
			Cluster   string `json:"cluster"`
			User      string `json:"user"`
			Namespace string `json:"namespace"`
		} `json:"context"`
	}
)

// writeKubeconfig writes a kubeconfig (mode 0600) for the static admin token.
func writeKubeconfig(l *layout) error {
	var cl namedCluster
	cl.Name = contextName
	cl.Cluster.Server = l.apiURL()
	cl.Cluster.CertificateAuthorityData = l.pki.caCert
	var u namedUser
	u.Name = contextName
	u.User.Token = l.pki.token
	var ctx namedContext
	ctx.Name = contextName
	ctx.Context.Cluster, ctx.Context.User, ctx.Context.Namespace = contextName, contextName, "default"
	data, err := yaml.Marshal(kubeconfig{
		APIVersion: "v1", Kind: "Config", CurrentContext: contextName,
		Clusters: []namedCluster{cl}, Users: []namedUser{u}, Contexts: []namedContext{ctx},
	})
	if err != nil {
		return err
	}
	return os.WriteFile(l.kubeconfig, data, 0o600)
}

// restConfig is the client-go configuration for the admin token. Its rate
// limit is above client-go's default (5 QPS), which throttles tests.
func restConfig(l *layout) *rest.Config {
	return &rest.Config{
		Host:            l.apiURL(),
		BearerToken:     l.pki.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: l.pki.caCert},
		QPS:             50,
		Burst:           100,
	}
}

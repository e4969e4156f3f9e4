package kubeversion

import (
	"testing"
)

func TestCheckSkew(t *testing.T) {
	t.Parallel()
	vs := func(ss ...string) []Version {
		out := make([]Version, len(ss))
		for i, s := range ss {
			out[i] = MustParse(s)
		}
		return out
	}
	tests := []struct {
		name       string
		c          Component
		v          string
		apiservers []Version
		wantErr    string
	}{
		{name: "no apiservers", c: Kubelet, v: "v1.20.0"},
		{name: "kubelet same", c: Kubelet, v: "v1.31.0", apiservers: vs("v1.31.2")},
		{name: "kubelet newer patch only", c: Kubelet, v: "v1.31.5", apiservers: vs("v1.31.0")},
		{name: "kubelet three older", c: Kubelet, v: "v1.28.0", apiservers: vs("v1.31.0")},
		{name: "kubelet 1.25 three older than 1.28", c: Kubelet, v: "v1.25.0", apiservers: vs("v1.28.0")},
		{
			name: "kubelet four older", c: Kubelet, v: "v1.27.0", apiservers: vs("v1.31.0"),
			wantErr: "kubelet v1.27.0 is 4 minor versions older than kube-apiserver v1.31.0; kubelet may be at most three minor versions older",
		},
		{
			name: "kubelet 1.24 three older than 1.27", c: Kubelet, v: "v1.24.0", apiservers: vs("v1.27.0"),
			wantErr: "kubelet v1.24.0 is 3 minor versions older than kube-apiserver v1.27.0; kubelet may be at most two minor versions older when it is older than v1.25",
		},
		{name: "kubelet 1.24 two older than 1.26", c: Kubelet, v: "v1.24.0", apiservers: vs("v1.26.0")},
		{
			name: "kubelet newer", c: Kubelet, v: "v1.32.0", apiservers: vs("v1.31.0"),
			wantErr: "kubelet v1.32.0 is newer than kube-apiserver v1.31.0; kubelet must not be newer than kube-apiserver",
		},
		{
			name: "HA narrows kubelet: newer than the older apiserver", c: Kubelet, v: "v1.31.0", apiservers: vs("v1.31.0", "v1.30.0"),
			wantErr: "kubelet v1.31.0 is newer than kube-apiserver v1.30.0; kubelet must not be newer than kube-apiserver",
		},
		{name: "HA kubelet three older than the newest", c: Kubelet, v: "v1.28.0", apiservers: vs("v1.31.0", "v1.30.0")},
		{
			name: "kube-proxy four older", c: KubeProxy, v: "v1.26.1", apiservers: vs("v1.30.0"),
			wantErr: "kube-proxy v1.26.1 is 4 minor versions older than kube-apiserver v1.30.0; kube-proxy may be at most three minor versions older",
		},
		{name: "apiservers one apart", c: APIServer, v: "v1.31.0", apiservers: vs("v1.30.9")},
		{
			name: "apiservers two apart", c: APIServer, v: "v1.29.0", apiservers: vs("v1.30.0", "v1.31.0"),
			wantErr: "kube-apiserver instances at v1.29 and v1.31 are 2 minor versions apart; the newest and oldest must be within one minor version",
		},
		{name: "scheduler one older", c: Scheduler, v: "v1.30.0", apiservers: vs("v1.31.0")},
		{
			name: "controller-manager two older", c: ControllerManager, v: "v1.29.0", apiservers: vs("v1.31.0"),
			wantErr: "kube-controller-manager v1.29.0 is 2 minor versions older than kube-apiserver v1.31.0; it may be at most one minor version older",
		},
		{
			name: "cloud-controller-manager newer", c: CloudControllerManager, v: "v1.31.0", apiservers: vs("v1.30.0"),
			wantErr: "cloud-controller-manager v1.31.0 is newer than kube-apiserver v1.30.0; it must not be newer than the kube-apiserver instances it talks to",
		},
		{name: "kubectl one newer", c: Kubectl, v: "v1.32.0", apiservers: vs("v1.31.0")},
		{
			name: "kubectl two older", c: Kubectl, v: "v1.29.0", apiservers: vs("v1.31.0"),
			wantErr: "kubectl v1.29.0 is 2 minor versions away from kube-apiserver v1.31.0; kubectl is supported within one minor version of kube-apiserver",
		},
		{name: "unknown component", c: "etcd", v: "v3.5.0", apiservers: vs("v1.31.0"), wantErr: `unknown component "etcd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckSkew(tt.c, MustParse(tt.v), tt.apiservers...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckSkew: %v, want nil", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("CheckSkew error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestMaxOlderMinors(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]int{"v1.24.17": 2, "v1.25.0": 3, "v1.31.0": 3, "v1.9.0": 2} {
		if got := MaxOlderMinors(MustParse(v)); got != want {
			t.Errorf("MaxOlderMinors(%s) = %d, want %d", v, got, want)
		}
	}
}

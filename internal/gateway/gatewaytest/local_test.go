package gatewaytest

import (
	"net/netip"
	"strings"
	"testing"
)

func TestCheckLocal(t *testing.T) {
	t.Parallel()
	pods := netip.MustParsePrefix("198.18.130.0/25")
	podNet := pods.Contains
	tests := []struct {
		url     string
		wantErr string
	}{
		{url: "http://127.0.0.1:8080/"},
		{url: "http://[::1]:8080/checkout"},
		{url: "http://localhost:9000/"},
		{url: "http://198.18.130.7:8080/"},
		{url: "http://10.0.0.1/", wantErr: "10.0.0.1 is neither"},
		{url: "https://93.184.215.14/", wantErr: "93.184.215.14 is neither"},
		{url: "http://198.18.131.7/", wantErr: "198.18.131.7 is neither"},
		{url: "https://shop.example.com/", wantErr: `"shop.example.com" is a name, not an address`},
		{url: "not a url", wantErr: "is not an absolute URL"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			t.Parallel()
			err := CheckLocal(tc.url, podNet)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("CheckLocal(%q) = %v, want %q", tc.url, err, tc.wantErr)
			}
		})
	}
}

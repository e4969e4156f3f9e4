package pass

import "testing"

func TestHealthz(t *testing.T) {
	t.Log("GET /healthz: 200")
}

func TestVersion(t *testing.T) {
	t.Log("version v2")
}

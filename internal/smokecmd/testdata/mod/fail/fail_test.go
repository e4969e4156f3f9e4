package fail

import "testing"

func TestCheckout(t *testing.T) {
	t.Log("POST /checkout")
	t.Errorf("status 500, want 200")
}

func TestRoutes(t *testing.T) {
	t.Run("home", func(t *testing.T) {})
	t.Run("cart", func(t *testing.T) {
		t.Fatal("GET /cart: 404")
	})
}

func TestCluster(t *testing.T) {
	t.Skip("needs a cluster")
}

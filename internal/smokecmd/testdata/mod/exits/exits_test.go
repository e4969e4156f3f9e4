package exits

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	m.Run()
	fmt.Println("teardown: could not delete namespace smoke-1")
	os.Exit(1)
}

func TestOK(t *testing.T) {}

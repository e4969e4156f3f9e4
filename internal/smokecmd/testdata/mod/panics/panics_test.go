package panics

import "testing"

func TestFine(t *testing.T) {}

func TestNilMap(t *testing.T) {
	var m map[string]int
	m["x"] = 1
}

package manifest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shipgate/shipgate/internal/manifest"
)

func TestDuplicatesGolden(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir("testdata/duplicates")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata/duplicates", d.Name())
			golden(t, dir+".golden", manifest.Duplicates(readDir(t, dir)))
		})
	}
}

func TestDuplicatesNone(t *testing.T) {
	t.Parallel()
	if got := manifest.Duplicates(nil); got != nil {
		t.Errorf("Duplicates(nil) = %v, want nil", got)
	}
}

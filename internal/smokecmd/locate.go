package smokecmd

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var (
	// logLine is t.Log, t.Error or t.Fatal output: "    file_test.go:12: text",
	// the file named by its base name within the test's package.
	logLine = regexp.MustCompile(`^\s*([^\s:/]+\.go):(\d+): `)
	// frameLine is a stack frame's place: "\t/abs/dir/file.go:12 +0x1d", or
	// "\tmodule/dir/file.go:12 +0x1d" when built with -trimpath.
	frameLine = regexp.MustCompile(`^\s+(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$`)
	// compileLine is a compiler or vet error, relative to the command's directory:
	// "dir/file.go:6:2: undefined: x".
	compileLine = regexp.MustCompile(`^(\S+\.go):(\d+)(?::(\d+))?: `)
)

// locator finds the place a failure names in the repository.
type locator struct {
	// root is where finding paths start; dir is the command's directory.
	root, dir string
	// modRoot and modPath are the directory and path of the Go module dir
	// is in; empty when there is none.
	modRoot, modPath string
}

func newLocator(dir, repoRoot string) locator {
	var l locator
	l.dir, _ = filepath.Abs(dir)
	if repoRoot == "" {
		repoRoot = dir
	}
	l.root, _ = filepath.Abs(repoRoot)
	l.modRoot, l.modPath = findModule(l.dir)
	return l
}

// inTest finds where a test failed in its output: the first frame in the
// repository after a panic, else the last line the test logged. Path is
// empty when the output names no file of the repository.
func (l locator) inTest(pkg string, output []string) (path string, line int) {
	panicked := false
	for _, s := range output {
		if strings.HasPrefix(strings.TrimSpace(s), "panic: ") {
			panicked = true
		} else if m := frameLine.FindStringSubmatch(s); panicked && m != nil {
			file := m[1]
			if !filepath.IsAbs(file) {
				file = l.inModule(filepath.Dir(file), filepath.Base(file))
			}
			if p := l.rel(file); p != "" {
				return p, atoi(m[2])
			}
		}
	}
	for i := len(output) - 1; i >= 0; i-- {
		if m := logLine.FindStringSubmatch(output[i]); m != nil {
			if p := l.rel(l.inModule(pkg, m[1])); p != "" {
				return p, atoi(m[2])
			}
		}
	}
	return "", 0
}

// inBuild finds the first compiler error of build output in the repository.
func (l locator) inBuild(output []string) (path string, line, col int) {
	for _, s := range output {
		if m := compileLine.FindStringSubmatch(s); m != nil {
			file := m[1]
			if !filepath.IsAbs(file) {
				file = filepath.Join(l.dir, file)
			}
			if p := l.rel(file); p != "" {
				return p, atoi(m[2]), atoi(m[3])
			}
		}
	}
	return "", 0, 0
}

// inModule returns the file named base in the package with import path pkg,
// when the package is in the command's module; empty otherwise.
func (l locator) inModule(pkg, base string) string {
	switch {
	case l.modPath == "":
		return ""
	case pkg == l.modPath:
		return filepath.Join(l.modRoot, base)
	case strings.HasPrefix(pkg, l.modPath+"/"):
		return filepath.Join(l.modRoot, filepath.FromSlash(pkg[len(l.modPath)+1:]), base)
	}
	return ""
}

// rel returns file relative to the repository root, slash-separated, when it
// exists there; empty otherwise.
func (l locator) rel(file string) string {
	if file == "" {
		return ""
	}
	if fi, err := os.Stat(file); err != nil || fi.IsDir() {
		return ""
	}
	p, err := filepath.Rel(l.root, file)
	if err != nil || p == ".." || strings.HasPrefix(p, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(p)
}

// findModule returns the directory and module path of the go.mod at or
// above dir; empty strings when there is none.
func findModule(dir string) (root, path string) {
	for d := dir; ; d = filepath.Dir(d) {
		if f, err := os.Open(filepath.Join(d, "go.mod")); err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				line, _, _ := strings.Cut(sc.Text(), "//")
				if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
					return d, strings.Trim(f[1], `"`+"`")
				}
			}
			return "", ""
		}
		if filepath.Dir(d) == d {
			return "", ""
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

package manifest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/manifest"
	"github.com/shipgate/shipgate/internal/result"
)

// addSeeds adds every YAML file under testdata to a fuzz corpus.
func addSeeds(f *testing.F) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !manifest.IsManifestPath(path) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f.Add(filepath.ToSlash(path), data)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"a: |\n---\n", "--- |\n  x\n---\n", "a: \"x\n---\ny\"\n", "%YAML 1.1\n---\na: 1\n...\n",
		"a: 1\rb: 2\n", "a: \"x\u2028y\"\nb: *c\n", "- &a [*a]\n", "{<<: *a}\n", "\xef\xbb\xbf---\r\n",
		"<<<<<<< HEAD\na: 1\n=======\n>>>>>>> x\n",
	} {
		f.Add("kustomization.yaml", []byte(s))
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		lines := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		inFile := func(line int) bool { return line >= 1 && line <= lines }

		objs, findings := manifest.Parse(path, data)
		for _, f := range findings {
			switch {
			case f.Check != manifest.CheckSyntax && f.Check != manifest.CheckRequiredFields:
				t.Errorf("finding has check %q", f.Check)
			case f.Level != result.Failure || f.Path != path || f.Title == "" || f.Message == "":
				t.Errorf("finding is incomplete: %+v", f)
			case !inFile(f.Line) || f.Column < 1:
				t.Errorf("finding at %d:%d, outside the file's %d lines: %+v", f.Line, f.Column, lines, f)
			}
		}
		if !hasSyntax(findings) && !validYAML(data) {
			t.Errorf("the YAML decoder rejects the file but Parse reports no syntax error: %v", findings)
		}
		for _, o := range objs {
			if !inFile(o.Line) || !inFile(o.EndLine) || o.Line > o.EndLine {
				t.Errorf("%s: lines %d-%d, outside the file's %d lines", o, o.Line, o.EndLine, lines)
			}
			for _, p := range []manifest.Pos{o.APIVersionPos, o.KindPos, o.NamePos} {
				if p != (manifest.Pos{}) && (!inFile(p.Line) || p.Column < 1) {
					t.Errorf("%s: position %v outside the file's %d lines", o, p, lines)
				}
			}
			if o.Node == nil || o.Path != path || o.ListIndex < -1 || o.Kind == "" || o.APIVersion == "" {
				t.Errorf("object is incomplete: %+v", o)
			}
			if !o.LocalConfig && o.Name == "" && o.GenerateName == "" {
				t.Errorf("object has no name: %+v", o)
			}
		}
		for line := 0; line <= lines+1; line++ {
			if o, _ := manifest.FieldAt(objs, line); o != nil && (line < o.Line || line > o.EndLine) {
				t.Errorf("FieldAt(%d) = %s, whose lines are %d-%d", line, o, o.Line, o.EndLine)
			}
		}
		manifest.FieldsInRange(objs, 0, lines+1)
		for _, f := range manifest.Duplicates(objs) {
			if !inFile(f.Line) {
				t.Errorf("duplicate finding outside the file: %+v", f)
			}
		}

		// Parse is deterministic.
		objs2, findings2 := manifest.Parse(path, data)
		a, _ := json.Marshal(parsed{objs, findings})
		b, _ := json.Marshal(parsed{objs2, findings2})
		if !bytes.Equal(a, b) {
			t.Errorf("Parse is not deterministic:\n%s\n%s", a, b)
		}
	})
}

// hasSyntax reports whether a syntax error is among findings.
func hasSyntax(findings []result.Finding) bool {
	for _, f := range findings {
		if f.Check == manifest.CheckSyntax {
			return true
		}
	}
	return false
}

// validYAML reports whether the YAML decoder reads every document of data.
func validYAML(data []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	data = bytes.ReplaceAll(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), []byte("\r\n"), []byte("\n"))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

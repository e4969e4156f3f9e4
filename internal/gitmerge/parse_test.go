package gitmerge

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	treeOID = "412b46d238d4338735c86b8bd6aca59c9118f8ea"
	blobA   = "f584f4041fdb85307f985f76fce8c128a0d12921"
	blobB   = "6bf43ff3d587ad74038d677c18d19d07d7c9f76e"
)

// z joins fields, each followed by NUL, as merge-tree -z writes them.
func z(fields ...string) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		b.WriteString(f)
		b.WriteByte(0)
	}
	return b.Bytes()
}

func TestParseMergeTree(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want mergeTreeOutput
	}{{
		name: "clean without messages",
		in:   z(treeOID),
		want: mergeTreeOutput{Tree: treeOID},
	}, {
		name: "clean with --messages",
		in:   z(treeOID, ""),
		want: mergeTreeOutput{Tree: treeOID},
	}, {
		name: "binary, as git 2.39 writes it (testdata/mergetree/binary.z)",
		in:   readSeed(t, "binary.z"),
		want: mergeTreeOutput{
			Tree: treeOID,
			Stages: []Stage{
				{Mode: "100644", Object: blobA, Stage: 1, Path: "logo.png"},
				{Mode: "100644", Object: blobB, Stage: 2, Path: "logo.png"},
				{Mode: "100644", Object: "d41be67d2d9c4b8b71bd9cc5f3f2ed64c9a3a094", Stage: 3, Path: "logo.png"},
			},
			Messages: []Message{
				{Type: "CONFLICT (binary)", Paths: []string{"logo.png"}, Text: "warning: Cannot merge binary files: logo.png (refs/shipgate/base vs. refs/shipgate/head)"},
				{Type: "Auto-merging", Paths: []string{"logo.png"}, Text: "Auto-merging logo.png"},
				{Type: "CONFLICT (contents)", Paths: []string{"logo.png"}, Text: "CONFLICT (content): Merge conflict in logo.png"},
			},
		},
	}, {
		name: "paths with tabs, newlines and spaces are not quoted with -z",
		in: z(treeOID,
			"100644 "+blobA+" 2\ta\tb\nc d.yaml",
			"",
			"2", "a\tb\nc d.yaml", "x", "CONFLICT (rename/delete)", "CONFLICT (rename/delete): x renamed…\n"),
		want: mergeTreeOutput{
			Tree:     treeOID,
			Stages:   []Stage{{Mode: "100644", Object: blobA, Stage: 2, Path: "a\tb\nc d.yaml"}},
			Messages: []Message{{Type: "CONFLICT (rename/delete)", Paths: []string{"a\tb\nc d.yaml", "x"}, Text: "CONFLICT (rename/delete): x renamed…"}},
		},
	}, {
		name: "messages without conflicted file info",
		in:   z(treeOID, "", "0", "Path updated due to directory rename", "note\n"),
		want: mergeTreeOutput{Tree: treeOID, Messages: []Message{{Type: "Path updated due to directory rename", Paths: []string{}, Text: "note"}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseMergeTree(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMergeTreeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty (merge-tree's output for a bad revision)", nil, "no tree OID"},
		{"tree without NUL", []byte(treeOID), "no tree OID"},
		{"not an OID", z("fatal: oops"), `tree OID "fatal: oops" is not a hex object name`},
		{"short OID", z(treeOID[:12]), "is not a hex object name"},
		{"stage without tab", z(treeOID, "100644 "+blobA+" 2 a.yaml"), "want <mode> <object> <stage>TAB<path>"},
		{"stage 0", z(treeOID, "100644 "+blobA+" 0\ta.yaml"), "stage must be 1, 2 or 3"},
		{"bad mode", z(treeOID, "10064x "+blobA+" 1\ta.yaml"), "bad mode"},
		{"bad object", z(treeOID, "100644 xyz 1\ta.yaml"), "bad object name"},
		{"stage truncated", append(z(treeOID), "100644 "+blobA+" 1\ta.y"...), ""},
		{"count not a number", z(treeOID, "", "one", "a"), `message 1: bad path count "one"`},
		{"count too large", z(treeOID, "", "99999999999", "a"), "message 1: truncated: 99999999999 paths announced, 2 bytes left"},
		{"negative count", z(treeOID, "", "-1", "a"), "bad path count"},
		{"truncated in paths", z(treeOID, "", "2", "a"), "message 1: truncated in the path list"},
		{"truncated before type", z(treeOID, "", "1", "a"), "message 1: truncated before the type"},
		{"truncated before message", z(treeOID, "", "1", "a", "CONFLICT (contents)"), "message 1: truncated before the message"},
		{"second message truncated", z(treeOID, "", "1", "a", "Auto-merging", "Auto-merging a\n", "1"), "message 2: truncated: 1 paths announced, 0 bytes left"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseMergeTree(tc.in)
			// "stage truncated": a final field without NUL is not a stage,
			// so the output reads as having no messages section.
			if tc.want == "" {
				if err != nil || len(got.Stages) != 0 {
					t.Errorf("got %+v, %v; want the tree only", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestParseSeeds parses every output captured from real git.
func TestParseSeeds(t *testing.T) {
	t.Parallel()
	for _, name := range seedNames(t) {
		data := readSeed(t, name)
		got, err := parseMergeTree(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(encodeMergeTree(got), data) {
			t.Errorf("%s: parse then encode does not give the input back", name)
		}
		if name != "clean.z" && len(got.Messages) == 0 {
			t.Errorf("%s: no messages", name)
		}
	}
}

// FuzzParseMergeTree checks that no input makes the parser panic and that
// whatever it accepts encodes back to the same bytes.
func FuzzParseMergeTree(f *testing.F) {
	for _, name := range seedNames(f) {
		data := readSeed(f, name)
		f.Add(data)
		for _, cut := range []int{1, len(data) / 3, len(data) / 2, len(data) - 1} {
			f.Add(data[:cut])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseMergeTree(data)
		if err != nil {
			return
		}
		if !isOID(got.Tree) {
			t.Fatalf("accepted tree %q", got.Tree)
		}
		enc := encodeMergeTree(got)
		if !bytes.Equal(enc, data) && !acceptedVariant(data, enc) {
			t.Fatalf("encode(parse(%q)) = %q", data, enc)
		}
	})
}

// acceptedVariant covers inputs the parser reads leniently: trailing
// newlines, a final field without NUL after the stages, message text
// trailing newlines, and counts with leading zeros or a plus sign.
func acceptedVariant(data, enc []byte) bool {
	again, err := parseMergeTree(enc)
	if err != nil {
		return false
	}
	orig, _ := parseMergeTree(data)
	return cmp.Equal(orig, again, cmpopts.EquateEmpty())
}

// encodeMergeTree writes out the way git does (messages with a trailing
// newline, as git 2.39 prints them).
func encodeMergeTree(m mergeTreeOutput) []byte {
	var b bytes.Buffer
	b.WriteString(m.Tree)
	b.WriteByte(0)
	for _, s := range m.Stages {
		fmt.Fprintf(&b, "%s %s %d\t%s\x00", s.Mode, s.Object, s.Stage, s.Path)
	}
	if len(m.Stages) == 0 && len(m.Messages) == 0 && m.Tree != "" {
		// Clean: git prints the messages section's NUL only with
		// --messages; the seeds were captured with it.
		b.WriteByte(0)
		return b.Bytes()
	}
	b.WriteByte(0)
	for _, msg := range m.Messages {
		fmt.Fprintf(&b, "%d\x00", len(msg.Paths))
		for _, p := range msg.Paths {
			b.WriteString(p + "\x00")
		}
		fmt.Fprintf(&b, "%s\x00%s\n\x00", msg.Type, msg.Text)
	}
	return b.Bytes()
}

func seedNames(tb testing.TB) []string {
	tb.Helper()
	matches, err := filepath.Glob(filepath.Join("testdata", "mergetree", "*.z"))
	if err != nil || len(matches) == 0 {
		tb.Fatalf("no seeds in testdata/mergetree (run the tests with -update): %v", err)
	}
	for i, m := range matches {
		matches[i] = filepath.Base(m)
	}
	return matches
}

func readSeed(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "mergetree", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestConflictType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"CONFLICT (contents)", "contents", true},
		{"CONFLICT (rename/delete)", "rename/delete", true},
		{"CONFLICT(directory rename collision)", "directory rename collision", true},
		{"CONFLICT (submodule lacks merge base)", "submodule lacks merge base", true},
		{"Auto-merging", "", false},
		{"Path updated due to directory rename", "", false},
	}
	for _, tc := range tests {
		got, ok := conflictType(tc.in)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("conflictType(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

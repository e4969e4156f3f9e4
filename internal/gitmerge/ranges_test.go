package gitmerge

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestConflictRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []LineRange
	}{
		{"none", "a\nb\n", nil},
		{"one", "a\n<<<<<<< base\nb\n=======\nc\n>>>>>>> head\nd\n", []LineRange{{2, 6}}},
		{"two", "<<<<<<< base\nb\n=======\nc\n>>>>>>> head\nx\n<<<<<<< base\n=======\nc\n>>>>>>> head", []LineRange{{1, 5}, {7, 10}}},
		{"labels with paths after a rename", "<<<<<<< base:old.yaml\nb\n=======\nc\n>>>>>>> head:new.yaml\n", []LineRange{{1, 5}}},
		{"diff3 base section", "<<<<<<< base\nb\n||||||| ancestor\na\n=======\nc\n>>>>>>> head\n", []LineRange{{1, 7}}},
		{"empty side", "<<<<<<< base\n=======\nc\n>>>>>>> head\n", []LineRange{{1, 4}}},
		{"no label", "<<<<<<<\nb\n=======\nc\n>>>>>>>\n", []LineRange{{1, 5}}},
		{"crlf", "a\r\n<<<<<<< base\r\nb\r\n=======\r\nc\r\n>>>>>>> head\r\n", []LineRange{{2, 6}}},
		{"conflict-marker-size=10", "<<<<<<<<<< base\n<<<<<<< not a marker\n==========\n=======\n>>>>>>>>>> head\n", []LineRange{{1, 5}}},
		{"size must match", "<<<<<<< base\nb\n==========\nc\n>>>>>>> head\n", nil},
		{"closing size must match", "<<<<<<< base\nb\n=======\nc\n>>>>>>>> head\n", nil},
		{"separator needed", "<<<<<<< base\nb\n>>>>>>> head\n", nil},
		{"too short", "<<<<<< base\nb\n======\nc\n>>>>>> head\n", nil},
		{"marker must be followed by a space", "<<<<<<<x\nb\n=======\nc\n>>>>>>> head\n", nil},
		{"unclosed, then a real one", "<<<<<<< base\nb\n<<<<<<< base\nb\n=======\nc\n>>>>>>> head\n", []LineRange{{3, 7}}},
		{"no trailing newline", "<<<<<<< base\nb\n=======\nc\n>>>>>>> head", []LineRange{{1, 5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, conflictRanges([]byte(tc.in)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzConflictRanges(f *testing.F) {
	f.Add([]byte("a\n<<<<<<< base\nb\n=======\nc\n>>>>>>> head\nd\n"))
	f.Add([]byte("<<<<<<<<<< x\r\n==========\r\n>>>>>>>>>> y"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := strings.Count(string(data), "\n") + 1
		last := 0
		for _, r := range conflictRanges(data) {
			if r.Start <= last || r.End <= r.Start || r.End > n {
				t.Fatalf("range %v after line %d in %d lines", r, last, n)
			}
			last = r.End
		}
	})
}

func TestCheckVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		out, want string
	}{
		{"git version 2.39.5\n", ""},
		{"git version 2.38.0", ""},
		{"git version 3.0.0", ""},
		{"git version 2.41.0.windows.1", ""},
		{"git version 2.39.3 (Apple Git-146)", ""},
		{"git version 2.36.1", "git 2.36 is too old: merge-check needs git ≥ 2.38 for merge-tree --write-tree"},
		{"git version 1.99.0", "git 1.99 is too old"},
		{"hub version 2.14", `cannot parse git's version from "hub version 2.14"`},
	}
	for _, tc := range tests {
		err := checkVersion(tc.out)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("checkVersion(%q) = %v", tc.out, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("checkVersion(%q) = %v, want %q", tc.out, err, tc.want)
		}
	}
}

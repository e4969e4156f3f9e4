package smoke

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLineLog: the complete lines of a write go to the log in one call,
// CRLF endings as LF, and an unfinished line waits for its end or flush.
func TestLineLog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		writes []string
		want   []string
	}{
		{"one line", []string{"ok\n"}, []string{"ok"}},
		{"lines of one write", []string{"a\nb\nc\n"}, []string{"a\nb\nc"}},
		{"crlf", []string{"a\r\nb\r\n"}, []string{"a\nb"}},
		{"a line in pieces", []string{"par", "tial\nnext"}, []string{"partial", "next"}},
		{"unfinished at the end", []string{"no newline"}, []string{"no newline"}},
		{"nothing", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			l := &lineLog{logf: func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) }}
			for _, w := range tc.writes {
				if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			l.flush()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("log calls (-want +got):\n%s", diff)
			}
		})
	}
}

package smokecmd

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeEvent: the scanner reads what encoding/json reads, and says
// when it cannot tell.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		`{"Time":"2026-11-22T10:00:00.123Z","Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.01}`,
		`{"ImportPath":"p [p.test]","Action":"build-output","Output":"# p\n"}`,
		`{"Output":"tab\tquote\" slash\/ \u00e9 \ud83d\ude00 \ud800 x"}`,
		`{"Action":true,"Elapsed":-1.5e3,"X":null,"Y":false}`,
		` { } `, `{}x`, `{"a":{"b":1}}`, `{"a":[1]}`, `{"a":"\x"}`, "{\"a\":\"\xff\"}", `{"Action":"pass",}`, `{ this is a banner`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok, sure := scanEvent([]byte(s), interner{})
		if !sure {
			return
		}
		var want jsonEvent
		wantOK := json.Unmarshal([]byte(s), &want) == nil
		if ok != wantOK {
			t.Fatalf("scanEvent(%q) ok = %v, encoding/json says %v", s, ok, wantOK)
		}
		if ok {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("scanEvent(%q) (-encoding/json +scanEvent):\n%s", s, diff)
			}
		}
	})
}

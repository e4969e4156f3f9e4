package manifest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzChunks checks the fallback Parse uses for broken files: reading each
// chunk between --- lines on its own gives the documents, with the positions,
// that reading the whole stream gives whenever the stream is valid.
func FuzzChunks(f *testing.F) {
	for _, s := range []string{
		"a: 1\n---\nb: 2\n", "a: |\n  x\n  ---\n---\nb: 1\n", "%YAML 1.1\n---\na: 1\n...\n%YAML 1.1\n---\nb: 2\n",
		"--- |\n  x\n--- >\n  y\n", "a: \"x\u2028y\"\r---\nb: 1\n", "---\n---\n# c\n---\nc: [1,\n  2]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.ReplaceAll(bytes.TrimPrefix(data, bomUTF8), []byte("\r\n"), []byte("\n"))
		p := &parser{t: newText(data)}
		if p.t.lines() == 0 {
			return
		}
		whole, err := p.decode(segment{1, p.t.lines()})
		if err != nil {
			return
		}
		var chunked []*yaml.Node
		for _, c := range p.chunks() {
			docs, err := p.decode(c)
			if err != nil {
				if bytes.Contains(p.bytes(c), []byte("*")) || bytes.HasPrefix(p.bytes(c), []byte("%")) {
					// An alias to an anchor of an earlier document, or a
					// top-level plain scalar continued by a line that looks
					// like a directive: neither is a Kubernetes object.
					return
				}
				t.Fatalf("chunk %v fails on its own: %v", c, err)
			}
			chunked = append(chunked, docs...)
		}
		if got, want := dumpDocs(chunked), dumpDocs(whole); got != want {
			t.Errorf("chunks differ from the stream:\n got: %s\nwant: %s", got, want)
		}
	})
}

// dumpDocs renders the non-empty documents' trees with their positions.
func dumpDocs(docs []*yaml.Node) string {
	var b strings.Builder
	var dump func(n *yaml.Node)
	dump = func(n *yaml.Node) {
		fmt.Fprintf(&b, "(%d %s %q %d:%d", n.Kind, n.Tag, n.Value, n.Line, n.Column)
		for _, c := range n.Content {
			dump(c)
		}
		b.WriteString(")")
	}
	for _, d := range docs {
		if len(d.Content) > 0 && !isNull(d.Content[0]) {
			dump(d.Content[0])
			b.WriteString("\n")
		}
	}
	return b.String()
}

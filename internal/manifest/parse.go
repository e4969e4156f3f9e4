package manifest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/result"
)

// Parse reads the YAML documents of one file. path is only recorded in the
// objects and findings.
//
// It returns the well-formed objects, in file order, and a finding for each
// problem: a syntax error (manifest/syntax), or a document that is not a
// Kubernetes object (manifest/required-fields). A broken document does not
// hide the others: when the stream cannot be read as a whole, each part
// between --- lines is read on its own. Empty and comment-only documents are
// skipped. The items of a kind: List become objects of their own. A document
// with a duplicate key is reported and still returned. Lines are counted as
// git counts them, after a UTF-8 byte order mark; columns count characters.
func Parse(path string, data []byte) ([]Object, []result.Finding) {
	p := &parser{path: path}
	p.run(data)
	slices.SortStableFunc(p.findings, func(a, b result.Finding) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return p.objs, p.findings
}

// parser holds the state of one Parse.
type parser struct {
	path     string
	t        *text
	objs     []Object
	findings []result.Finding
	// docIndex counts the non-empty documents read so far.
	docIndex int
}

// segment is a range of whole lines of the file, from and to included.
type segment struct{ from, to int }

var (
	bomUTF8    = []byte("\xef\xbb\xbf")
	bomUTF16BE = []byte("\xfe\xff")
	bomUTF16LE = []byte("\xff\xfe")
)

func (p *parser) run(data []byte) {
	if bytes.HasPrefix(data, bomUTF16BE) || bytes.HasPrefix(data, bomUTF16LE) {
		p.add(CheckSyntax, Pos{1, 1}, "File is not UTF-8",
			"The file is UTF-16 encoded; save it as UTF-8, which kubectl and the other Kubernetes tools read.", "")
		return
	}
	data = bytes.TrimPrefix(data, bomUTF8)
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	p.t = newText(data)
	if p.t.lines() == 0 {
		return
	}

	// Read the file as one YAML stream: the decoder knows where documents
	// start and end.
	whole := segment{1, p.t.lines()}
	docs, streamErr := p.decode(whole)
	if streamErr == nil {
		p.documents(whole, docs)
		return
	}

	// The stream is broken. Read each chunk between --- lines on its own so
	// one broken document does not hide the others. A --- at column 0 always
	// starts a document in YAML (block scalar content is indented), so the
	// chunks are the documents.
	failed := false
	for _, c := range p.chunks() {
		docs, err := p.decode(c)
		p.documents(c, docs)
		if err != nil {
			failed = true
			p.syntaxError(c, err)
			p.docIndex++ // the broken document
		}
	}
	if !failed {
		// The chunks read well on their own but not together.
		p.syntaxError(whole, streamErr)
	}
}

// chunks splits the file before each --- line; directives (%YAML, %TAG)
// right above a --- go with the document they introduce.
func (p *parser) chunks() []segment {
	var cs []segment
	from := 1
	for n := 2; n <= p.t.lines(); n++ {
		if n == from || !isMarker(p.t.line(n), "---") {
			continue
		}
		start := n
		for m := n - 1; m >= from; m-- {
			if l := p.t.line(m); bytes.HasPrefix(l, []byte("%YAML")) || bytes.HasPrefix(l, []byte("%TAG")) {
				start = m
			} else if !p.t.filler(m) {
				break
			}
		}
		if start > from {
			cs = append(cs, segment{from, start - 1})
			from = start
		}
	}
	return append(cs, segment{from, p.t.lines()})
}

// bytes returns the text of a segment.
func (p *parser) bytes(s segment) []byte {
	return p.t.src[p.t.offset(s.from):p.t.offset(s.to+1)]
}

// decode reads the documents of a segment, with file positions. On error it
// returns the documents before the broken one.
func (p *parser) decode(s segment) ([]*yaml.Node, error) {
	src := p.bytes(s)
	docs, err := decodeAll(src)
	m := newPosMap(src, s.from)
	for _, d := range docs {
		translate(d, m)
	}
	return docs, err
}

// decodeAll reads every document of a YAML stream; on error it returns the
// documents before the broken one.
func decodeAll(src []byte) (docs []*yaml.Node, err error) {
	defer func() {
		// The decoder reads untrusted files: a crash in it is a finding
		// about this file, not a reason to stop.
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		docs = append(docs, &doc)
	}
}

// translate rewrites a decoded tree's positions into file positions.
func translate(n *yaml.Node, m posMap) {
	n.Line, n.Column = m.at(n.Line, n.Column)
	for _, c := range n.Content {
		translate(c, m)
	}
}

// documents reads the decoded documents of a segment; each one ends where the
// next one starts.
func (p *parser) documents(s segment, docs []*yaml.Node) {
	for i, d := range docs {
		end := s.to
		if i+1 < len(docs) {
			end = docs[i+1].Line - 1
		}
		if len(d.Content) == 0 || isNull(d.Content[0]) {
			continue // an empty or comment-only document
		}
		root := d.Content[0]
		p.duplicateKeys(root)
		p.object(root, p.spans(root, "", root.Line, min(max(end, root.Line), s.to)), -1)
		p.docIndex++
	}
}

// isNull reports whether a node is YAML's null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// add records a failure finding.
func (p *parser) add(check string, at Pos, title, msg, object string) {
	if p.t != nil && p.t.lines() > 0 {
		at.Line = p.t.clamp(at.Line)
	}
	p.findings = append(p.findings, result.Finding{
		Check:   check,
		Level:   result.Failure,
		Path:    p.path,
		Line:    at.Line,
		Column:  max(at.Column, 1),
		Title:   title,
		Message: msg,
		Object:  object,
	})
}

// posOf returns a node's position.
func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

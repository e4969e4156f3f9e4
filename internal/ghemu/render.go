package ghemu

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// Responses are built from GitHub's own examples in the OpenAPI subset
// (components/examples), with identities, URLs and state replaced, so they
// carry every field GitHub sends. Every response is validated anyway.

// exampleRepo is the repository GitHub's examples use.
const (
	exampleRepo    = "octocat/Hello-World"
	exampleAPIBase = "https://api.github.com"
	// exampleUser and exampleRepository name templates cut out of the pull
	// request example (its author and head repository) when loading.
	exampleUser       = "pull-request#/user"
	exampleRepository = "pull-request#/head/repo"
)

// fromExample decodes a components/examples value after textual
// replacements (old, new pairs) on its JSON.
func (s *Server) fromExample(name string, oldnew ...string) map[string]any {
	text := strings.NewReplacer(oldnew...).Replace(string(s.spec.example(name)))
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		panic(fmt.Sprintf("ghemu: example %s after replacements: %v", name, err))
	}
	return m
}

// renderUser is a simple-user for login, from the pull request example's
// author.
func (s *Server) renderUser(login string) map[string]any {
	u := s.fromExample(exampleUser, exampleAPIBase, s.URL(), "octocat", login)
	id := stableID(login)
	u["id"], u["node_id"] = id, nodeID("User", id)
	return u
}

// renderRepo is a repository (the schema in a pull request's head and base).
func (s *Server) renderRepo(r *repo) map[string]any {
	m := s.fromExample(exampleRepository, exampleAPIBase, s.URL(),
		exampleRepo, r.fullName(), `"Hello-World"`, quote(r.name))
	s.setRepoIdentity(m, r)
	return m
}

// renderFullRepo is a full-repository, as repos/get answers.
func (s *Server) renderFullRepo(r *repo) map[string]any {
	m := s.fromExample("full-repository-default-response", exampleAPIBase, s.URL(),
		exampleRepo, r.fullName(), `"Hello-World"`, quote(r.name))
	s.setRepoIdentity(m, r)
	// GitHub's example lacks "language", which the schema requires (null
	// is allowed), here and in its fork parent and source.
	m["language"] = "Go"
	// Not a fork and not from a template.
	delete(m, "parent")
	delete(m, "source")
	delete(m, "template_repository")
	m["organization"] = s.renderUser(r.owner)
	return m
}

func (s *Server) setRepoIdentity(m map[string]any, r *repo) {
	m["id"], m["node_id"] = r.id, nodeID("Repository", r.id)
	m["name"], m["full_name"] = r.name, r.fullName()
	m["owner"] = s.renderUser(r.owner)
	m["default_branch"] = r.defaultBranch
	m["private"], m["fork"] = false, false
}

// project keeps the top-level properties a component schema declares, to
// turn a full object into its smaller form (pull-request into
// pull-request-simple).
func (s *Server) project(m map[string]any, schema string) map[string]any {
	props := s.spec.doc.Components.Schemas[schema].Value.Properties
	out := make(map[string]any, len(props))
	for k, v := range m {
		if _, ok := props[k]; ok {
			out[k] = v
		}
	}
	return out
}

// nodeID is a legacy GraphQL node ID ("MDg6Q2hlY2tSdW40" is "08:CheckRun4").
func nodeID(typ string, id int64) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%02d:%s%d", len(typ), typ, id))
}

// stableID derives a plausible numeric ID from a name.
func stableID(name string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.ToLower(name)))
	return int64(h.Sum32()%90000000) + 1000000
}

// fakeSHA derives a 40-hex commit SHA from its parts.
func fakeSHA(parts ...any) string {
	h := fnv.New128a()
	_, _ = fmt.Fprint(h, parts...)
	sum := h.Sum(nil)
	return fmt.Sprintf("%x%x", sum, sum[:4])
}

// timestamp renders t as GitHub does, or null when t is zero.
func timestamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// nullable renders "" as null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

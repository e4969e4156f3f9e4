package ghemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// SpecPath is where the OpenAPI subset lives, relative to the module root.
const SpecPath = "testdata/github/openapi/api.github.com.subset.json"

// spec is the parsed OpenAPI subset, shared by every Server in the process.
// kin-openapi validates concurrently against one document; nothing here is
// written after loading.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	// templates maps the routed path templates back to the description's
	// (see multiSegmentPaths).
	templates map[string]string
	// examples holds components/examples by name, raw, as response templates.
	examples map[string]json.RawMessage
	loadTime time.Duration
}

// loadSpec reads and validates the subset once per process.
var loadSpec = sync.OnceValues(func() (*spec, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	return readSpec(filepath.Join(root, SpecPath))
})

// readSpec loads the description at path and builds a router that serves it
// under BasePath on any host.
func readSpec(path string) (*spec, error) {
	start := time.Now()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read OpenAPI subset: %w", err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	// GitHub's own examples do not all match their schemas (see
	// knownBadExamples); they are documentation, not contract, so the
	// document is validated without them. Responses built from them are
	// still validated in full.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", path, err)
	}
	// Route on a shallow copy whose only server is the relative BasePath,
	// so requests match on any host and only under BasePath.
	routed := *doc
	routed.Servers = openapi3.Servers{{URL: BasePath}}
	var templates map[string]string
	routed.Paths, templates = multiSegmentPaths(doc.Paths)
	router, err := gorillamux.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", path, err)
	}
	var raw struct {
		Components struct {
			Examples map[string]struct {
				Value json.RawMessage `json:"value"`
			} `json:"examples"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decode examples of %s: %w", path, err)
	}
	examples := make(map[string]json.RawMessage, len(raw.Components.Examples))
	for name, ex := range raw.Components.Examples {
		examples[name] = ex.Value
	}
	// The pull request example's author and head repository serve as user
	// and repository templates; kept apart so they decode on their own.
	var pull struct {
		User json.RawMessage `json:"user"`
		Head struct {
			Repo json.RawMessage `json:"repo"`
		} `json:"head"`
	}
	if err := json.Unmarshal(examples["pull-request"], &pull); err != nil || pull.User == nil || pull.Head.Repo == nil {
		return nil, fmt.Errorf("%s: components/examples/pull-request has no user or head.repo to use as templates (%v)", path, err)
	}
	examples[exampleUser], examples[exampleRepository] = pull.User, pull.Head.Repo
	return &spec{doc: &routed, router: router, templates: templates, examples: examples, loadTime: time.Since(start)}, nil
}

// multiSegmentPaths rewrites path templates for routing: GitHub marks
// parameters that may span several segments with x-multi-segment (a ref
// such as "heads/main", which go-github sends unescaped), which gorilla/mux
// only matches as {ref:.+}. It returns the new paths and a map from the new
// templates to the original ones.
func multiSegmentPaths(paths *openapi3.Paths) (*openapi3.Paths, map[string]string) {
	out := openapi3.NewPaths()
	templates := map[string]string{}
	for path, item := range paths.Map() {
		routed := path
		params := slices.Clone(item.Parameters)
		for _, op := range item.Operations() {
			params = append(params, op.Parameters...)
		}
		for _, p := range params {
			if p.Value != nil && p.Value.In == openapi3.ParameterInPath && p.Value.Extensions["x-multi-segment"] == true {
				routed = strings.ReplaceAll(routed, "{"+p.Value.Name+"}", "{"+p.Value.Name+":.+}")
			}
		}
		out.Set(routed, item)
		templates[routed] = path
	}
	return out, templates
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod, so tests in any package (and in the root) find the subset.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from inside the shipgate module")
		}
		dir = parent
	}
}

// example returns a template by name; a missing one is a bug in this package.
func (sp *spec) example(name string) json.RawMessage {
	ex, ok := sp.examples[name]
	if !ok {
		panic("ghemu: OpenAPI subset has no components/examples/" + name)
	}
	return ex
}

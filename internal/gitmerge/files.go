package gitmerge

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strings"
)

// Files reads the regular files (modes 100644 and 100755) of tree — a tree
// or commit — whose slash-separated paths pass filter (nil passes all), with
// one `git ls-tree -r -z` and one `git cat-file --batch-command` process
// however many files there are. Symlinks and submodules are skipped.
func (r *Repo) Files(ctx context.Context, tree string, filter func(path string) bool) (map[string][]byte, error) {
	entries, err := r.regularFiles(ctx, "read files of", tree)
	if err != nil {
		return nil, err
	}

	pathsOf := map[string][]string{} // blob → paths with that content
	var oids []string
	for _, e := range entries {
		if filter != nil && !filter(e.Path) {
			continue
		}
		if _, seen := pathsOf[e.OID]; !seen {
			oids = append(oids, e.OID)
		}
		pathsOf[e.OID] = append(pathsOf[e.OID], e.Path)
	}
	files := make(map[string][]byte, len(oids))
	if len(oids) == 0 {
		return files, nil
	}

	cat, err := r.startCatFile(ctx)
	if err != nil {
		return nil, fmt.Errorf("read files of %s: %w", tree, err)
	}
	err = cat.contentsAll(oids, func(oid string, data []byte) error {
		for i, p := range pathsOf[oid] {
			if i > 0 {
				data = bytes.Clone(data) // each path owns its slice
			}
			files[p] = data
		}
		return nil
	})
	if cerr := cat.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read files of %s: %w", tree, err)
	}
	return files, nil
}

// Paths lists the slash-separated paths of the regular files (modes 100644
// and 100755) of tree — a tree or commit — in git's order, without reading
// them: one `git ls-tree -r -z`.
func (r *Repo) Paths(ctx context.Context, tree string) ([]string, error) {
	entries, err := r.regularFiles(ctx, "list files of", tree)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(entries))
	for i, e := range entries {
		paths[i] = e.Path
	}
	return paths, nil
}

// regularFiles lists the regular files of tree; what names the action in
// errors.
func (r *Repo) regularFiles(ctx context.Context, what, tree string) ([]treeEntry, error) {
	if err := checkRev(what, tree); err != nil {
		return nil, err
	}
	out, err := r.output(ctx, nil, "ls-tree", "-r", "-z", "--full-tree", "--end-of-options", tree)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, tree, err)
	}
	entries, err := parseLsTree(out)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, tree, err)
	}
	regular := entries[:0]
	for _, e := range entries {
		if e.Type == "blob" && (e.Mode == "100644" || e.Mode == "100755") {
			regular = append(regular, e)
		}
	}
	return regular, nil
}

// ReadFile returns the content of the file at path in rev (a commit or
// tree). A path that does not exist gives an error wrapping fs.ErrNotExist.
func (r *Repo) ReadFile(ctx context.Context, rev, path string) (_ []byte, err error) {
	tree, err := r.ResolveTree(ctx, rev)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	cat, err := r.startCatFile(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s:%s: %w", rev, path, err)
	}
	defer func() {
		if cerr := cat.close(); err == nil && cerr != nil {
			err = fmt.Errorf("read %s:%s: %w", rev, path, cerr)
		}
	}()
	o, data, ok, err := cat.contents(tree + ":" + strings.TrimPrefix(path, "/"))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s:%s: %w", rev, path, err)
	case !ok:
		return nil, fmt.Errorf("read %s:%s: %w", rev, path, fs.ErrNotExist)
	case o.Type != "blob":
		return nil, fmt.Errorf("read %s:%s: a %s, not a file", rev, path, o.Type)
	}
	return data, nil
}

// treeEntry is one line of git ls-tree.
type treeEntry struct {
	Mode, Type, OID, Path string
}

// parseLsTree parses ls-tree -z output: "<mode> SP <type> SP <oid> TAB <path> NUL".
func parseLsTree(out []byte) ([]treeEntry, error) {
	var entries []treeEntry
	for len(out) > 0 {
		i := bytes.IndexByte(out, 0)
		if i < 0 {
			return nil, fmt.Errorf("git ls-tree: truncated output %q", truncate(string(out)))
		}
		line := string(out[:i])
		out = out[i+1:]
		meta, path, ok := strings.Cut(line, "\t")
		parts := strings.Split(meta, " ")
		if !ok || len(parts) != 3 || !isOID(parts[2]) {
			return nil, fmt.Errorf("git ls-tree: unexpected line %q", truncate(line))
		}
		entries = append(entries, treeEntry{Mode: parts[0], Type: parts[1], OID: parts[2], Path: path})
	}
	return entries, nil
}

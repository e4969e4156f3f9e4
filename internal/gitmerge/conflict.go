package gitmerge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// stageSet records which stages an unmerged path has: bit 1<<stage.
type stageSet uint8

func (s stageSet) has(stage int) bool { return s&(1<<stage) != 0 }

// conflicts turns merge-tree's records into Conflicts, reading the merged
// tree through one cat-file process to find where each conflict lives and
// the hunks of content conflicts.
func (r *Repo) conflicts(ctx context.Context, out mergeTreeOutput) (_ []Conflict, err error) {
	stages := map[string]stageSet{}
	for _, s := range out.Stages {
		stages[s.Path] |= 1 << s.Stage
	}
	list := conflictList(out.Messages, stages)

	cat, err := r.startCatFile(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := cat.close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	found := map[string]*object{} // path → entry in the merged tree, nil if absent
	lookup := func(path string) (*object, error) {
		if o, ok := found[path]; ok {
			return o, nil
		}
		if strings.ContainsAny(path, "\x00\n") {
			return nil, nil // cat-file cannot be asked; treat as absent
		}
		o, ok, err := cat.info(out.Tree + ":" + path)
		if err != nil {
			return nil, fmt.Errorf("look up %s in the merged tree: %w", path, err)
		}
		if !ok {
			found[path] = nil
			return nil, nil
		}
		found[path] = &o
		return &o, nil
	}

	for i := range list {
		c := &list[i]
		var entry *object
		for _, p := range c.Paths {
			if entry, err = lookup(p); err != nil {
				return nil, err
			}
			if entry != nil {
				c.Path = p
				break
			}
		}
		if c.Path == "" && len(c.Paths) > 0 {
			c.Path = c.Paths[0]
		}
		describe(c, stages)

		// Only a path with both sides' versions can hold conflict markers.
		at := stages[c.Path]
		if c.Binary || entry == nil || entry.Type != "blob" || !at.has(2) || !at.has(3) {
			continue
		}
		_, data, ok, err := cat.contents(entry.OID)
		if err != nil {
			return nil, fmt.Errorf("read %s from the merged tree: %w", c.Path, err)
		}
		if !ok {
			return nil, fmt.Errorf("read %s from the merged tree: %w", c.Path, errors.New("blob missing"))
		}
		c.Ranges = conflictRanges(data)
	}
	return list, nil
}

// conflictList makes one Conflict per CONFLICT record, folding git's
// "contents" record of a binary file into its "binary" one, and adds an
// "unmerged" conflict for any unmerged path no record mentions.
func conflictList(msgs []Message, stages map[string]stageSet) []Conflict {
	binary := map[string]bool{}
	for _, m := range msgs {
		if t, ok := conflictType(m.Type); ok && t == "binary" && len(m.Paths) > 0 {
			binary[m.Paths[0]] = true
		}
	}
	var list []Conflict
	mentioned := map[string]bool{}
	for _, m := range msgs {
		t, ok := conflictType(m.Type)
		if !ok {
			continue
		}
		for _, p := range m.Paths {
			mentioned[p] = true
		}
		if t == "contents" && len(m.Paths) > 0 && binary[m.Paths[0]] {
			continue
		}
		list = append(list, Conflict{Type: t, Paths: m.Paths, Message: m.Text, Binary: t == "binary"})
	}
	var unmentioned []string
	for p := range stages {
		if !mentioned[p] {
			unmentioned = append(unmentioned, p)
		}
	}
	slices.Sort(unmentioned)
	for _, p := range unmentioned {
		list = append(list, Conflict{Type: "unmerged", Paths: []string{p}, Message: "unmerged path " + p})
	}
	return list
}

// describe fills in the type details git gives only in prose: add/add, the
// side that deleted or renamed, and the old path.
func describe(c *Conflict, stages map[string]stageSet) {
	at := stages[c.Path]
	switch c.Type {
	case "contents":
		if !at.has(1) && at.has(2) && at.has(3) {
			c.Type = "add/add"
		}
	case "modify/delete":
		c.DeletedBy = missingSide(at)
	case "rename/delete":
		// Paths are [new, old]; the side with a version at the new path
		// renamed, the other deleted.
		c.DeletedBy = missingSide(at)
		c.RenamedBy = otherSide(c.DeletedBy)
		if len(c.Paths) > 1 {
			c.OldPath = c.Paths[1]
		}
	case "rename/rename":
		if len(c.Paths) > 0 {
			c.OldPath = c.Paths[0]
		}
	case "file/directory":
		if len(c.Paths) > 1 {
			c.OldPath = c.Paths[1]
		}
	}
}

// missingSide is the side without a stage at a path, if exactly one is.
func missingSide(at stageSet) Side {
	switch {
	case at.has(2) && !at.has(3):
		return HeadSide
	case at.has(3) && !at.has(2):
		return BaseSide
	}
	return ""
}

func otherSide(s Side) Side {
	switch s {
	case BaseSide:
		return HeadSide
	case HeadSide:
		return BaseSide
	}
	return ""
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// run parses args, reads the full description and writes the subset.
func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("openapi-subset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "path of the full description (api.github.com.json)")
	out := fs.String("out", "", "path of the subset to write")
	source := fs.String("source", "", "package and version the description comes from, e.g. @octokit/openapi@23.0.2")
	file := fs.String("file", "generated/api.github.com.json", "path of the description inside the package")
	ops := fs.String("ops", "", "comma-separated operationIds to keep, e.g. checks/create,pulls/get")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var missing []string
	for name, v := range map[string]string{"-in": *in, "-out": *out, "-source": *source, "-ops": *ops} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("missing flags %s (see -h)", strings.Join(missing, ", "))
	}
	if fs.NArg() > 0 {
		return errors.New("unexpected arguments: " + strings.Join(fs.Args(), " "))
	}

	full, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var ids []string
	for id := range strings.SplitSeq(*ops, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	subset, err := Subset(full, ids, Source{Package: *source, File: *file})
	if err != nil {
		return fmt.Errorf("subset %s: %w", *in, err)
	}
	return os.WriteFile(*out, subset, 0o644)
}

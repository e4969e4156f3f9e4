package app

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/stage"
)

// readInputs reads the action's inputs in GitHub Actions, or the command
// line outside it, as the table decls declares them. Secrets are masked
// before anything else is logged.
func readInputs(rt *actionio.Runtime, args []string, stderr io.Writer) (stage.Inputs, error) {
	if !rt.InActions() {
		return parseFlags(args, stderr)
	}
	var in stage.Inputs
	for _, d := range decls {
		if d.name == "" {
			continue
		}
		p := d.field(&in)
		*p = rt.Input(d.name)
		if d.secret && d.name != "kubeconfig" && d.name != "production-kubeconfig" {
			rt.Mask(*p)
		}
	}
	maskKubeconfig(rt, in.Kubeconfig)
	maskKubeconfig(rt, in.ProductionKubeconfig)
	in.Repo = cmp.Or(rt.Getenv("GITHUB_WORKSPACE"), ".")
	return in, nil
}

const usage = `shipgate %s — gates a Kubernetes change from pull request to production.

Usage:
  shipgate <stage> [flags]
  shipgate <stage> --help   the stage's flags
  shipgate version

Stages: %s

In GitHub Actions the same binary reads the action's inputs instead of flags.
`

const stageUsage = `Usage: shipgate %s [flags]

Boolean flags stand alone (--%s) or take =false.

Flags:
`

// parseFlags reads the command line: the stage first, then the flags that
// stage declares.
func parseFlags(args []string, stderr io.Writer) (stage.Inputs, error) {
	var in stage.Inputs
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, usage, Version, stageList())
		switch {
		case len(args) == 0:
			return in, fmt.Errorf("no stage given; use one of: %s", available())
		case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
			return in, flag.ErrHelp
		}
		return in, fmt.Errorf("the stage comes first: shipgate <stage> [flags]; stages: %s", available())
	}
	in.Stage = args[0]
	fs := flag.NewFlagSet("shipgate "+in.Stage, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error is reported once, by the caller
	example := "disruption"
	for _, d := range decls {
		name := d.flagName()
		if name == "" || !d.forStage(in.Stage) {
			continue
		}
		p := d.field(&in)
		*p = d.flagDefault()
		if d.boolean {
			fs.Var(boolFlag{p: p, name: name}, name, d.help)
			example = name
			continue
		}
		fs.StringVar(p, name, *p, d.help)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, stageUsage, in.Stage, example)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return in, err
	}
	if fs.NArg() > 0 {
		return in, strayArgument(args[1:], fs.Arg(0))
	}
	return in, nil
}

// strayArgument explains an argument left after the flags: most often the
// value of a boolean flag written apart from it.
func strayArgument(args []string, arg string) error {
	for i, a := range args[1:] {
		name := strings.TrimLeft(args[i], "-")
		if a == arg && strings.HasPrefix(args[i], "-") && isBoolFlag(name) {
			return fmt.Errorf("unexpected argument %q after --%s: a boolean flag stands alone (--%s) or takes its value with =, e.g. --%s=false", arg, name, name, name)
		}
	}
	return fmt.Errorf("unexpected argument %q; flags go after the stage, e.g. shipgate merge-check --base main", arg)
}

func isBoolFlag(name string) bool {
	for _, d := range decls {
		if d.boolean && d.flagName() == name {
			return true
		}
	}
	return false
}

// boolFlag is a true/false flag kept in a string input: it stands alone
// (--disruption) or takes =true or =false.
type boolFlag struct {
	p    *string
	name string
}

func (b boolFlag) String() string {
	if b.p == nil {
		return ""
	}
	return *b.p
}

func (b boolFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("use --%s alone for true, or --%s=false", b.name, b.name)
	}
	*b.p = strconv.FormatBool(v)
	return nil
}

// IsBoolFlag lets the flag package take the flag without a value.
func (b boolFlag) IsBoolFlag() bool { return true }

// stageList is available's list, with the stages this version lacks named
// apart.
func stageList() string {
	var later []string
	for n, st := range stages {
		if st == nil {
			later = append(later, n)
		}
	}
	if len(later) == 0 {
		return available()
	}
	slices.Sort(later)
	return fmt.Sprintf("%s (%s come in later versions)", available(), strings.Join(later, " and "))
}

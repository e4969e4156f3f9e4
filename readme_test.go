package main_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// TestReadmeDocumentsAction keeps the README's input and output tables
// equal to action.yml: every name, and every input's default.
func TestReadmeDocumentsAction(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Default  *string `yaml:"default"`
			Required bool    `yaml:"required"`
		} `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
		Runs    struct {
			Using string `yaml:"using"`
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "docker" || !strings.HasPrefix(action.Runs.Image, "docker://ghcr.io/shipgate/shipgate") {
		t.Errorf("action.yml runs %+v, want a docker action running the prebuilt docker://ghcr.io/shipgate/shipgate image", action.Runs)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	inputs := table(t, string(readme), "### Inputs")
	outputs := table(t, string(readme), "### Outputs")

	want := map[string]string{}
	for name, in := range action.Inputs {
		switch {
		case in.Required:
			want[name] = "(required)"
		case in.Default != nil:
			want[name] = *in.Default
		}
	}
	got := map[string]string{}
	for name, cells := range inputs {
		got[name] = strings.Trim(cells[0], "`")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README inputs differ from action.yml (-action.yml +README):\n%s", diff)
	}
	var wantOut, gotOut []string
	for name := range action.Outputs {
		wantOut = append(wantOut, name)
	}
	for name := range outputs {
		gotOut = append(gotOut, name)
	}
	if diff := cmp.Diff(wantOut, gotOut, cmpSorted); diff != "" {
		t.Errorf("README outputs differ from action.yml (-action.yml +README):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

var row = regexp.MustCompile("^\\| `([a-z-]+)` \\|(.*)\\|$")

// table returns the rows of the markdown table under heading: name → cells.
func table(t *testing.T, doc, heading string) map[string][]string {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(after, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		if m := row.FindStringSubmatch(line); m != nil {
			var cells []string
			for _, c := range strings.Split(m[2], " | ") {
				cells = append(cells, strings.TrimSpace(c))
			}
			rows[m[1]] = cells
		}
	}
	if len(rows) == 0 {
		t.Fatalf("README section %q has no table rows", heading)
	}
	return rows
}

// TestReadmeTestCommand keeps the README's test command, the second command
// of the quick start, equal to what .ci/run runs last and to the command
// the Tests section names.
func TestReadmeTestCommand(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	commands := shellCommands(fencedBlocks(t, section(t, string(readme), "## Quick start"), "sh")[0])
	if len(commands) != 2 {
		t.Fatalf("the quick start has commands %q, want two: the sample and the tests", commands)
	}
	readmeCmd := commands[1]
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	ciCommands := shellCommands(string(ci))
	if got := ciCommands[len(ciCommands)-1]; got != readmeCmd {
		t.Errorf(".ci/run ends with %q; the README's test command is %q", got, readmeCmd)
	}
	if tests := section(t, string(readme), "## Tests"); !strings.HasPrefix(strings.TrimSpace(tests), "`"+readmeCmd+"`") {
		t.Errorf("the Tests section does not start with the README's test command %q:\n%s", readmeCmd, firstLines(tests, 3))
	}
}

// section returns the text under heading up to the next heading of the
// same or a higher level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	level := strings.Index(heading, " ")
	inFence := false
	lines := strings.Split(after, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if !inFence && strings.HasPrefix(line, "#") {
			if n := strings.Index(line, " "); n > 0 && n <= level && strings.Trim(line[:n], "#") == "" {
				return strings.Join(lines[:i], "\n")
			}
		}
	}
	return after
}

// fencedBlocks returns the contents of the ```lang blocks of text, in
// order; it fails the test when there is none.
func fencedBlocks(t *testing.T, text, lang string) []string {
	t.Helper()
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case !in && line == "```"+lang:
			in, cur = true, nil
		case in && line == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, line)
		}
	}
	if len(blocks) == 0 {
		t.Fatalf("no ```%s block in:\n%s", lang, firstLines(text, 5))
	}
	return blocks
}

var shellComment = regexp.MustCompile(`(^|\s+)#.*$`)

// shellCommands returns the lines of a shell script that are commands:
// comments and blank lines dropped, spaces trimmed.
func shellCommands(script string) []string {
	var out []string
	for _, line := range strings.Split(script, "\n") {
		if line = strings.TrimSpace(shellComment.ReplaceAllString(line, "")); line != "" {
			out = append(out, line)
		}
	}
	return out
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

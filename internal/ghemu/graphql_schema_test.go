package ghemu

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func TestGitHubGraphQLSchema(t *testing.T) {
	t.Parallel()
	schema, err := loadGraphQLSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"enablePullRequestAutoMerge", "mergePullRequest"} {
		if schema.Mutation.Fields.ForName(name) == nil {
			t.Errorf("Mutation.%s missing", name)
		}
	}
	owner := schema.Types["EnterpriseOwnerInfo"]
	for name := range knownDuplicateFields {
		_, field, _ := strings.Cut(name, ".")
		n := 0
		for _, f := range owner.Fields {
			if f.Name == field {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s appears %d times after loading, want once", name, n)
		}
	}
}

func TestDropKnownDuplicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sdl, err string
	}{
		{name: "known and identical", sdl: `type EnterpriseOwnerInfo {
  "first" repositoryDeployKeySetting: String!
  other: Int
  "second, other words" repositoryDeployKeySetting: String!
}`},
		{name: "known but different", sdl: "type EnterpriseOwnerInfo { repositoryDeployKeySetting: String!\n repositoryDeployKeySetting: Int }",
			err: "declared twice, differently"},
		{name: "unknown", sdl: "type Repository { name: String\n name: String }", err: "Repository.name is declared twice and is not a known duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := parser.ParseSchema(&ast.Source{Input: tt.sdl})
			if err != nil {
				t.Fatal(err)
			}
			err = dropKnownDuplicates(doc)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			case tt.err == "":
				var names []string
				for _, f := range doc.Definitions[0].Fields {
					names = append(names, f.Name)
				}
				if got := strings.Join(names, ","); got != "repositoryDeployKeySetting,other" {
					t.Errorf("fields after dropping = %s, want the first copy kept in place", got)
				}
			}
		})
	}
}

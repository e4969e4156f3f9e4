package ghemu

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// GraphQLSchemaPath is where GitHub's GraphQL schema lives, gzipped,
// relative to the module root (see testdata/github/graphql/README.md).
const GraphQLSchemaPath = "testdata/github/graphql/schema.graphql.gz"

// knownDuplicateFields are fields GitHub's published schema declares twice,
// identically ("Type.field"). gqlparser refuses any duplicate; these are
// dropped after the first copy, and any other duplicate fails loading so a
// new schema version with new defects is noticed.
var knownDuplicateFields = map[string]bool{
	"EnterpriseOwnerInfo.repositoryDeployKeySetting":              true,
	"EnterpriseOwnerInfo.repositoryDeployKeySettingOrganizations": true,
}

// loadGraphQLSchema reads and validates the schema once per process.
var loadGraphQLSchema = sync.OnceValues(func() (*ast.Schema, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	return readGraphQLSchema(filepath.Join(root, GraphQLSchemaPath))
})

// readGraphQLSchema loads a gzipped SDL file: parse, drop the known
// duplicate fields, validate.
func readGraphQLSchema(path string) (*ast.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read GraphQL schema: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read GraphQL schema %s: %w", path, err)
	}
	sdl, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read GraphQL schema %s: %w", path, err)
	}
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: filepath.Base(path), Input: string(sdl)})
	if err != nil {
		return nil, fmt.Errorf("parse GraphQL schema %s: %w", path, err)
	}
	if err := dropKnownDuplicates(doc); err != nil {
		return nil, fmt.Errorf("GraphQL schema %s: %w", path, err)
	}
	schema, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("validate GraphQL schema %s: %w", path, err)
	}
	return schema, nil
}

// dropKnownDuplicates removes the second copy of each field listed in
// knownDuplicateFields, after checking it is identical to the first.
func dropKnownDuplicates(doc *ast.SchemaDocument) error {
	for _, def := range doc.Definitions {
		seen := map[string]*ast.FieldDefinition{}
		kept := def.Fields[:0:0]
		for _, f := range def.Fields {
			first, dup := seen[f.Name]
			if !dup {
				seen[f.Name] = f
				kept = append(kept, f)
				continue
			}
			name := def.Name + "." + f.Name
			if !knownDuplicateFields[name] {
				return fmt.Errorf("field %s is declared twice and is not a known duplicate; see testdata/github/graphql/README.md", name)
			}
			if sdlOf(first) != sdlOf(f) {
				return fmt.Errorf("field %s is declared twice, differently; decide which one GitHub serves", name)
			}
		}
		def.Fields = kept
	}
	return nil
}

// sdlOf renders a field definition without descriptions, to compare two
// declarations.
func sdlOf(f *ast.FieldDefinition) string {
	var buf bytes.Buffer
	def := &ast.Definition{Kind: ast.Object, Name: "T", Fields: ast.FieldList{f}}
	formatter.NewFormatter(&buf, formatter.WithoutDescription()).FormatSchemaDocument(&ast.SchemaDocument{Definitions: ast.DefinitionList{def}})
	return strings.TrimSpace(buf.String())
}

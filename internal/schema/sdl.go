package schema

import (
	"strings"

	"github.com/vektah/gqlparser/v2/formatter"
)

// SDL prints the role's schema as GraphQL SDL (without the built-in types
// and directives), for debugging and golden tests.
func (s *Schema) SDL() string {
	var sb strings.Builder
	formatter.NewFormatter(&sb, formatter.WithIndent("  ")).FormatSchema(s.AST)
	return sb.String()
}

package sqlgen

import "github.com/postgate/postgate/internal/ir"

// Mutation compiles one root mutation field (see the package documentation
// for the statement's two output columns).
func Mutation(r *ir.MutationRoot) (Statement, error) {
	return Statement{}, errorf("mutations are not supported yet")
}

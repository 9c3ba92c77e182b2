package schema

import "github.com/vektah/gqlparser/v2/ast"

// named returns the nullable named type n.
func named(n string) *ast.Type { return &ast.Type{NamedType: n} }

// nonNull returns the non-null named type n!.
func nonNull(n string) *ast.Type { return &ast.Type{NamedType: n, NonNull: true} }

// listOf returns [elem].
func listOf(elem *ast.Type) *ast.Type { return &ast.Type{Elem: elem} }

// nonNullList returns [elem]!.
func nonNullList(elem *ast.Type) *ast.Type { return &ast.Type{Elem: elem, NonNull: true} }

// field returns a field definition.
func field(name string, t *ast.Type, desc string, args ...*ast.ArgumentDefinition) *ast.FieldDefinition {
	return &ast.FieldDefinition{Name: name, Type: t, Description: desc, Arguments: args}
}

// arg returns an argument definition.
func arg(name string, t *ast.Type, desc string) *ast.ArgumentDefinition {
	return &ast.ArgumentDefinition{Name: name, Type: t, Description: desc}
}

// enumValues returns enum value definitions with one description.
func enumValues(desc string, names ...string) ast.EnumValueList {
	l := make(ast.EnumValueList, len(names))
	for i, n := range names {
		l[i] = &ast.EnumValueDefinition{Name: n, Description: desc}
	}
	return l
}

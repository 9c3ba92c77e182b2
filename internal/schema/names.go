package schema

// isGraphQLName reports whether s is a valid GraphQL name
// (/[_A-Za-z][_0-9A-Za-z]*/). Hasura reports tables, columns and
// relationships whose names are not as inconsistent and leaves them out of
// the schema; Build does the same.
func isGraphQLName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// isEnumValueName reports whether s can be a GraphQL enum value.
func isEnumValueName(s string) bool {
	return isGraphQLName(s) && s != "true" && s != "false" && s != "null"
}

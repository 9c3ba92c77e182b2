package sqlgen

import (
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// QuoteIdent returns name as a PostgreSQL quoted identifier: always in double
// quotes, with embedded double quotes doubled. NUL bytes, which PostgreSQL
// cannot store in a name, are removed. It is the only identifier quoting
// function in the product.
func QuoteIdent(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 2)
	writeIdent(&b, name)
	return b.String()
}

// QuoteTable returns the schema-qualified, quoted name of t. An empty schema
// leaves the name unqualified.
func QuoteTable(t ir.Table) string {
	var b strings.Builder
	writeTable(&b, t)
	return b.String()
}

func writeIdent(b *strings.Builder, name string) {
	b.WriteByte('"')
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch c {
		case 0:
			continue
		case '"':
			b.WriteString(`""`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func writeTable(b *strings.Builder, t ir.Table) {
	if t.Schema != "" {
		writeIdent(b, t.Schema)
		b.WriteByte('.')
	}
	writeIdent(b, t.Name)
}

// writeLiteral writes s as a SQL string literal that means s whatever the
// setting of standard_conforming_strings: strings holding a backslash use the
// E” form with backslashes doubled. NUL bytes are removed.
func writeLiteral(b *strings.Builder, s string) {
	if strings.IndexByte(s, '\\') >= 0 {
		b.WriteByte('E')
	}
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case 0:
			continue
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
}

// validType reports whether t can be written into SQL as a type name: the
// characters format_type produces (letters, digits, _, $, space, ., comma,
// parentheses, brackets and balanced double quotes), nothing that could end
// the cast or start a comment.
func validType(t string) bool {
	if t == "" {
		return false
	}
	quoted := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			if c == 0 {
				return false
			}
			continue
		}
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		case c == '_' || c == '$' || c == ' ' || c == '.' || c == ',' || c == '(' || c == ')' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return !quoted
}

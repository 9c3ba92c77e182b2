package schema

import (
	"strings"

	"github.com/postgate/postgate/internal/catalog"
)

// pgScalarNames maps Postgres type names (pg_type.typname and the SQL
// spellings) to the GraphQL scalar Hasura names them by. Types absent from
// the map keep their own type name.
var pgScalarNames = map[string]string{
	"int4": "Int", "integer": "Int", "int": "Int", "serial": "Int", "serial4": "Int",
	"bool": "Boolean", "boolean": "Boolean",
	"float4": "Float", "real": "Float",
	"text": "String", "varchar": "String", "character varying": "String",
	"int2": "smallint", "smallint": "smallint",
	"int8": "bigint", "bigint": "bigint", "bigserial": "bigint", "serial8": "bigint",
	"float8": "float8", "double precision": "float8",
	"numeric": "numeric", "decimal": "numeric",
	"bpchar": "bpchar", "char": "bpchar", "character": "bpchar",
	"timestamp": "timestamp", "timestamp without time zone": "timestamp",
	"timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
	"timetz": "timetz", "time with time zone": "timetz",
}

// scalarKind classifies a scalar for the operators and aggregates Hasura
// generates for it.
type scalarKind struct {
	numeric    bool // sum/avg/stddev/variance
	comparable bool // max/min
	str        bool // _like, _ilike, _regex, ...
	jsonb      bool
	json       bool
	geometry   bool
	geography  bool
	boolean    bool
}

// scalarName returns the GraphQL scalar for a Postgres column type.
func scalarName(t catalog.ColumnType) string {
	if t.Kind == 'd' && t.Base != nil {
		return scalarName(*t.Base)
	}
	if t.IsArray() || t.Category == 'A' {
		if strings.HasPrefix(t.UDT, "_") || t.Elem == nil {
			return t.UDT
		}
		return "_" + t.Elem.UDT
	}
	udt := t.UDT
	if udt == "" {
		udt = t.Name
		if i := strings.LastIndexByte(udt, '.'); i >= 0 {
			udt = udt[i+1:]
		}
	}
	if n, ok := pgScalarNames[udt]; ok {
		return n
	}
	return udt
}

// kindOf returns the operator/aggregate class of a GraphQL scalar produced
// by scalarName. Like Hasura, types it does not know (arrays, time,
// interval, user enums, ...) only get equality and ordering operators.
func kindOf(scalar string) scalarKind {
	switch scalar {
	case "Int", "Float", "smallint", "bigint", "float8", "numeric", "money":
		return scalarKind{numeric: true, comparable: true}
	case "String", "bpchar", "citext":
		return scalarKind{str: true, comparable: true}
	case "Boolean":
		return scalarKind{boolean: true}
	case "jsonb":
		return scalarKind{jsonb: true}
	case "json":
		return scalarKind{json: true}
	case "geometry":
		return scalarKind{geometry: true}
	case "geography":
		return scalarKind{geography: true}
	case "date", "timestamp", "timestamptz", "timetz", "uuid", "ltree", "lquery", "ltxtquery":
		return scalarKind{comparable: true}
	}
	return scalarKind{}
}

// builtinScalars are the scalars the GraphQL prelude already declares.
var builtinScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

package metadata

import (
	"encoding/json"
	"strconv"

	"github.com/postgate/postgate/internal/catalog"
)

// display writes a name as Hasura shows it in messages: the bare name in
// schema public, schema.name elsewhere.
func (t TableName) display() string {
	if t.Schema == "public" || t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// quoted is display in double quotes, as Hasura's messages quote names.
func (t TableName) quoted() string { return strconv.Quote(t.display()) }

// qname converts a metadata name to a catalog name.
func (t TableName) qname() catalog.QName { return catalog.QName{Schema: t.Schema, Name: t.Name} }

// fromQName converts a catalog name to a metadata name.
func fromQName(q catalog.QName) TableName { return TableName{Schema: q.Schema, Name: q.Name} }

// q quotes s in double quotes.
func q(s string) string { return strconv.Quote(s) }

// rawJSON encodes v, for definitions in inconsistency reports.
func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

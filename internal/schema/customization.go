package schema

import (
	"encoding/json"
	"fmt"
)

// CustomizationError reports a source customization Build cannot read.
type CustomizationError struct {
	Err error
}

func (e *CustomizationError) Error() string {
	return fmt.Sprintf("invalid source customization: %v", e.Err)
}

func (e *CustomizationError) Unwrap() error { return e.Err }

// customization is a source's root field and type name customisation
// (namespace, prefixes and suffixes; naming conventions other than
// hasura-default are not supported yet).
type customization struct {
	namespace              string
	rootPrefix, rootSuffix string
	typePrefix, typeSuffix string
}

// parseCustomization reads a source's "customization" object.
func parseCustomization(raw json.RawMessage) (customization, error) {
	var c customization
	if len(raw) == 0 || string(raw) == "null" {
		return c, nil
	}
	var v struct {
		RootFields *struct {
			Namespace *string `json:"namespace"`
			Prefix    *string `json:"prefix"`
			Suffix    *string `json:"suffix"`
		} `json:"root_fields"`
		TypeNames *struct {
			Prefix *string `json:"prefix"`
			Suffix *string `json:"suffix"`
		} `json:"type_names"`
		NamingConvention *string `json:"naming_convention"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return c, &CustomizationError{Err: err}
	}
	if r := v.RootFields; r != nil {
		c.namespace, c.rootPrefix, c.rootSuffix = deref(r.Namespace), deref(r.Prefix), deref(r.Suffix)
	}
	if t := v.TypeNames; t != nil {
		c.typePrefix, c.typeSuffix = deref(t.Prefix), deref(t.Suffix)
	}
	return c, nil
}

// rootField applies the root field prefix and suffix.
func (c customization) rootField(name string) string { return c.rootPrefix + name + c.rootSuffix }

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// typeName applies the source's type name prefix and suffix to a type
// generated for it.
func (b *builder) typeName(base string) string {
	return b.custom.typePrefix + base + b.custom.typeSuffix
}

package apierr

import (
	"encoding/json"
	"errors"
	"reflect"
)

// JSONTypeError describes a JSON value of the wrong type the way Hasura's
// JSON parser does ("expected String, but encountered Number"), at the
// value's path below base. It returns nil when err is not a type error.
func JSONTypeError(err error, base string) *Error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return nil
	}
	path := base
	if te.Field != "" {
		path += "." + te.Field
	}
	want := "Object"
	if te.Type != nil {
		want = JSONTypeName(te.Type.Kind())
	}
	return Newf(ParseFailed, "expected %s, but encountered %s", want, JSONValueName(te.Value)).WithPath(path).Wrap(err)
}

// JSONTypeName names the JSON type a Go kind is decoded from.
func JSONTypeName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "Boolean"
	case reflect.Slice, reflect.Array:
		return "Array"
	case reflect.Map, reflect.Struct, reflect.Pointer, reflect.Interface:
		return "Object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "Number"
	}
	return k.String()
}

// JSONValueName names a JSON value kind as encoding/json reports it
// ("number", "string", ...) the way Hasura's messages do ("Number", ...).
func JSONValueName(v string) string {
	switch v {
	case "string":
		return "String"
	case "number":
		return "Number"
	case "bool":
		return "Boolean"
	case "array":
		return "Array"
	case "object":
		return "Object"
	}
	if len(v) > 7 && v[:7] == "number " {
		return "Number"
	}
	return v
}

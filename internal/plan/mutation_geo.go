package plan

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/perm"
)

// Input paths. Hasura reports a malformed input value where it was
// written: in the query (the argument's path) or, for values that come
// from a variable, inside the variables ($.variableValues.v[0].location).

// varOrigin is the variables path of v when v is (a part of) a variable,
// else cur.
func varOrigin(v any, cur string) string {
	x, ok := v.(perm.Var)
	if !ok {
		return cur
	}
	out := "$.variableValues." + x.Name
	for _, step := range x.Path {
		switch s := step.(type) {
		case string:
			out += "." + s
		case int:
			out += "[" + strconv.Itoa(s) + "]"
		}
	}
	return out
}

// elem is origin's element i ("" stays "").
func elem(origin string, i int) string {
	if origin == "" {
		return ""
	}
	return origin + "[" + strconv.Itoa(i) + "]"
}

// member is origin's field name ("" stays "").
func member(origin, name string) string {
	if origin == "" {
		return ""
	}
	return origin + "." + name
}

// checkGeo validates a GeoJSON value for a geometry or geography column as
// Hasura's input parser does, so that malformed geometries are refused
// with its parse-failed messages before anything runs. path is the value's
// path in the query, origin its path in the variables ("" when none).
func (m *mutPlanner) checkGeo(v any, c *catalog.Column, path, origin string) error {
	if c.Type.UDT != "geometry" && c.Type.UDT != "geography" {
		return nil
	}
	origin = varOrigin(v, origin)
	pv, err := perm.Plain(v, m.resolve)
	if err != nil {
		return nil
	}
	if origin != "" {
		path = origin
	}
	return geoJSON(pv, path)
}

// geoJSON checks a GeoJSON geometry object (plain JSON values).
func geoJSON(v any, path string) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	typ, _ := obj["type"].(string)
	coords, hasCoords := obj["coordinates"]
	cp := path + ".coordinates"
	switch typ {
	case "Point":
		if hasCoords {
			return position(coords, cp)
		}
	case "MultiPoint":
		return each(coords, cp, position)
	case "LineString":
		return lineString(coords, cp)
	case "MultiLineString":
		return each(coords, cp, lineString)
	case "Polygon":
		return each(coords, cp, linearRing)
	case "MultiPolygon":
		return each(coords, cp, func(p any, path string) error { return each(p, path, linearRing) })
	case "GeometryCollection":
		return each(obj["geometries"], path+".geometries", geoJSON)
	default:
		return parseFailed(path, "unexpected geometry type: "+typ)
	}
	return nil
}

// each applies check to every element of list v (non-lists are left to
// the database).
func each(v any, path string, check func(any, string) error) error {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	for i, e := range l {
		if err := check(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

func position(v any, path string) error {
	if l, ok := v.([]any); ok && len(l) < 2 {
		return parseFailed(path, "A Position needs at least 2 elements")
	}
	return nil
}

func lineString(v any, path string) error {
	if err := each(v, path, position); err != nil {
		return err
	}
	if l, ok := v.([]any); ok && len(l) < 2 {
		return parseFailed(path, "A LineString needs at least 2 Positions")
	}
	return nil
}

func linearRing(v any, path string) error {
	if err := each(v, path, position); err != nil {
		return err
	}
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	if len(l) < 4 {
		return parseFailed(path, "A LinearRing needs at least 4 Positions")
	}
	if !samePosition(l[0], l[len(l)-1]) {
		return parseFailed(path, "the first and last locations have to be equal for a LinearRing")
	}
	return nil
}

// samePosition compares two positions numerically.
func samePosition(a, b any) bool {
	la, ok1 := a.([]any)
	lb, ok2 := b.([]any)
	if !ok1 || !ok2 || len(la) != len(lb) {
		return false
	}
	for i := range la {
		if number(la[i]) != number(lb[i]) {
			return false
		}
	}
	return true
}

func number(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case float64:
		return x
	}
	return 0
}

func parseFailed(path, msg string) error {
	return apierr.New(apierr.ParseFailed, msg).WithPath(path)
}

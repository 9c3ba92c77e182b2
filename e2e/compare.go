package e2e

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// maxDiffs bounds the differences reported for one comparison.
const maxDiffs = 6

// Diff is the outcome of comparing an expected body with an actual one:
// Failures make the case fail; Warnings are tolerated drift (error messages).
type Diff struct {
	Failures []string
	Warnings []string
}

// OK reports whether the bodies match.
func (d *Diff) OK() bool { return len(d.Failures) == 0 }

func (d *Diff) fail(format string, args ...any) {
	if len(d.Failures) < maxDiffs {
		d.Failures = append(d.Failures, fmt.Sprintf(format, args...))
	}
}

func (d *Diff) warn(format string, args ...any) {
	if len(d.Warnings) < maxDiffs {
		d.Warnings = append(d.Warnings, fmt.Sprintf(format, args...))
	}
}

// CompareBody compares a response body with the expected one by Hasura's
// harness rules: object keys in any order, arrays in order and of the same
// length, numbers by value. When both sides are error bodies the error codes
// and paths must match while messages (and other error details) only warn;
// a batched (array) body is checked element by element.
func CompareBody(want, got any) Diff {
	var d Diff
	wa, wok := want.([]any)
	ga, gok := got.([]any)
	if wok && gok && len(wa) == len(ga) {
		for i := range wa {
			compareOne(&d, wa[i], ga[i], fmt.Sprintf("$[%d]", i))
		}
		return d
	}
	compareOne(&d, want, got, "$")
	return d
}

func compareOne(d *Diff, want, got any, path string) {
	wo, _ := want.(*Object)
	gobj, _ := got.(*Object)
	if isErrorBody(wo) && isErrorBody(gobj) {
		compareErrors(d, wo, gobj, path)
		return
	}
	compareValues(d.fail, want, got, path)
}

// isErrorBody reports whether o is an error response: GraphQL's
// {"errors": [...]} or the metadata API's {"error", "code", "path"}.
func isErrorBody(o *Object) bool {
	return o != nil && (o.Has("errors") || o.Has("error"))
}

// IsErrorBody reports whether a decoded response is an error body.
func IsErrorBody(v any) bool {
	o, _ := v.(*Object)
	return isErrorBody(o)
}

func compareErrors(d *Diff, want, got *Object, path string) {
	if want.Has("errors") != got.Has("errors") {
		d.fail("%s: error body shape differs: want %s, got %s", path, clip(EncodeJSON(want)), clip(EncodeJSON(got)))
		return
	}
	if want.Has("errors") {
		we, _ := want.Vals["errors"].([]any)
		ge, _ := got.Vals["errors"].([]any)
		if len(we) != len(ge) {
			d.fail("%s.errors: %d errors, want %d: got %s", path, len(ge), len(we), clip(EncodeJSON(got.Vals["errors"])))
			return
		}
		for i := range we {
			p := fmt.Sprintf("%s.errors[%d]", path, i)
			wi, _ := we[i].(*Object)
			gi, _ := ge[i].(*Object)
			if wi == nil || gi == nil {
				compareValues(d.fail, we[i], ge[i], p)
				continue
			}
			compareErrorEntry(d, wi, gi, p)
		}
		// Other top-level keys (a "data": null beside the errors) only warn.
		compareValues(d.warn, without(want, "errors"), without(got, "errors"), path)
		return
	}
	compareErrorEntry(d, want, got, path)
}

// errorFields are the parts of one error compared specially.
var errorFields = []string{"message", "error", "code", "path"}

func compareErrorEntry(d *Diff, want, got *Object, path string) {
	for _, f := range []string{"code", "path"} {
		wv, wwhere := errorField(want, f)
		if wwhere == "" {
			continue
		}
		gv, gwhere := errorField(got, f)
		loc := path + "." + f
		if wwhere == "extensions" {
			loc = path + ".extensions." + f
		}
		if gwhere != wwhere {
			d.fail("%s missing, got %s", loc, clip(EncodeJSON(got)))
			continue
		}
		compareValues(d.fail, wv, gv, loc)
	}
	wm, wmWhere := errorField(want, "message")
	if wmWhere == "" {
		wm, wmWhere = errorField(want, "error")
	}
	gm, _ := errorField(got, "message")
	if gm == nil {
		gm, _ = errorField(got, "error")
	}
	if wmWhere != "" && !valuesEqual(wm, gm) {
		d.warn("%s: message %s, want %s", path, clip(EncodeJSON(gm)), clip(EncodeJSON(wm)))
	}
	// Whatever else the error carries (internal, locations, extension
	// details) is informative only.
	compareValues(d.warn, stripErrorFields(want), stripErrorFields(got), path)
}

// errorField finds field f of an error either at its top level (the
// metadata API and the legacy GraphQL shape; where is "top") or under
// "extensions" (where is "extensions"). where is "" when f is absent.
func errorField(o *Object, f string) (any, string) {
	if f != "message" && f != "error" {
		if ext, ok := o.Vals["extensions"].(*Object); ok {
			if v, ok := ext.Get(f); ok {
				return v, "extensions"
			}
		}
	}
	if v, ok := o.Get(f); ok {
		return v, "top"
	}
	return nil, ""
}

func stripErrorFields(o *Object) *Object {
	out := without(o, errorFields...)
	if ext, ok := out.Vals["extensions"].(*Object); ok {
		ext = without(ext, "code", "path")
		if len(ext.Keys) == 0 {
			out = without(out, "extensions")
		} else {
			out.Vals["extensions"] = ext
		}
	}
	return out
}

func without(o *Object, keys ...string) *Object {
	out := NewObject()
	for _, k := range o.Keys {
		skip := false
		for _, s := range keys {
			skip = skip || k == s
		}
		if !skip {
			out.Set(k, o.Vals[k])
		}
	}
	return out
}

func valuesEqual(want, got any) bool {
	ok := true
	compareValues(func(string, ...any) { ok = false }, want, got, "$")
	return ok
}

// compareValues reports every difference between want and got through
// report, with a JSONPath-like location.
func compareValues(report func(string, ...any), want, got any, path string) {
	switch w := want.(type) {
	case *Object:
		g, ok := got.(*Object)
		if !ok {
			report("%s: got %s, want an object %s", path, clip(EncodeJSON(got)), clip(EncodeJSON(want)))
			return
		}
		for _, k := range w.Keys {
			gv, ok := g.Get(k)
			if !ok {
				report("%s: missing key %q (got keys %s)", path, k, strings.Join(g.Keys, ","))
				continue
			}
			compareValues(report, w.Vals[k], gv, path+"."+k)
		}
		for _, k := range g.Keys {
			if !w.Has(k) {
				report("%s: unexpected key %q = %s", path, k, clip(EncodeJSON(g.Vals[k])))
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			report("%s: got %s, want an array %s", path, clip(EncodeJSON(got)), clip(EncodeJSON(want)))
			return
		}
		if len(w) != len(g) {
			report("%s: %d elements, want %d: got %s", path, len(g), len(w), clip(EncodeJSON(got)))
			return
		}
		for i := range w {
			compareValues(report, w[i], g[i], fmt.Sprintf("%s[%d]", path, i))
		}
	case json.Number:
		g, ok := got.(json.Number)
		if !ok || !numbersEqual(w, g) {
			report("%s: got %s, want %s", path, clip(EncodeJSON(got)), w)
		}
	default:
		if want != got {
			report("%s: got %s, want %s", path, clip(EncodeJSON(got)), clip(EncodeJSON(want)))
		}
	}
}

// numbersEqual compares numbers by value as Python does: integers exactly,
// anything with a fraction or exponent as float64 (so 1 equals 1.0).
func numbersEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	ai, aok := new(big.Int).SetString(string(a), 10)
	bi, bok := new(big.Int).SetString(string(b), 10)
	if aok && bok {
		return ai.Cmp(bi) == 0
	}
	af, err1 := strconv.ParseFloat(string(a), 64)
	bf, err2 := strconv.ParseFloat(string(b), 64)
	return err1 == nil && err2 == nil && af == bf
}

// HeadersSubset checks that every expected header is present with the
// expected value (resp_headers).
func HeadersSubset(want *Object, got http.Header) []string {
	if want == nil {
		return nil
	}
	var out []string
	keys := append([]string(nil), want.Keys...)
	sort.Strings(keys)
	for _, k := range keys {
		wv := scalarText(want.Vals[k])
		if gv := got.Values(k); len(gv) == 0 {
			out = append(out, fmt.Sprintf("response header %s missing, want %q", k, wv))
		} else if strings.Join(gv, ", ") != wv {
			out = append(out, fmt.Sprintf("response header %s = %q, want %q", k, strings.Join(gv, ", "), wv))
		}
	}
	return out
}

// scalarText renders a header value as text, as the harness's str() does.
func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return string(EncodeJSON(v))
	}
}

// clip shortens a JSON rendering for a one-line report.
func clip(b []byte) string {
	const n = 160
	s := string(b)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

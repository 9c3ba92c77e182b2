package plan

import (
	"encoding/json"
	"testing"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/perm"
)

func TestGeoJSONValidation(t *testing.T) {
	cases := []struct {
		in, path, msg string
	}{
		{`{"type": "Point", "coordinates": [1, 2]}`, "", ""},
		{`{"type": "Point", "coordinates": [1]}`, "$.v.coordinates", "A Position needs at least 2 elements"},
		{`{"type": "LineString", "coordinates": [[1, 2]]}`, "$.v.coordinates", "A LineString needs at least 2 Positions"},
		{`{"type": "MultiLineString", "coordinates": [[[1, 2], [3, 4]], [[1, 2], [3]]]}`, "$.v.coordinates[1][1]", "A Position needs at least 2 elements"},
		{`{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}`, "$.v.coordinates[0]", "A LinearRing needs at least 4 Positions"},
		{`{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}`, "$.v.coordinates[0]", "the first and last locations have to be equal for a LinearRing"},
		{`{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0.0, 0]]]}`, "", ""},
		{`{"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[0, 0]]]]}`, "$.v.coordinates[1][0]", "A LinearRing needs at least 4 Positions"},
		{`{"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1, 2]}, {"type": "Blob"}]}`, "$.v.geometries[1]", "unexpected geometry type: Blob"},
		{`{"type": "Random", "coordinates": [1, 2]}`, "$.v", "unexpected geometry type: Random"},
	}
	for _, c := range cases {
		tree, err := perm.DecodeJSON([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := perm.Plain(tree, nil)
		err = geoJSON(v, "$.v")
		if c.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", c.in, err)
			}
			continue
		}
		ae := apierr.As(err)
		if ae == nil || ae.Code != apierr.ParseFailed || ae.Path != c.path || ae.Message != c.msg {
			b, _ := json.Marshal(ae)
			t.Errorf("%s: got %v %s, want %s at %s", c.in, err, b, c.msg, c.path)
		}
	}
}

func TestVarOrigin(t *testing.T) {
	got := varOrigin(perm.Var{Name: "rows", Path: []any{0, "location"}}, "x")
	if got != "$.variableValues.rows[0].location" {
		t.Fatal(got)
	}
	if varOrigin("literal", "x") != "x" {
		t.Fatal("literal origin")
	}
}

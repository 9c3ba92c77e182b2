package schema

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pgtest"
)

// pgFixture mirrors the column types of Hasura's graphql_query/basic
// test_types table plus an enum table, a domain, a Postgres enum and a
// tracked function.
const pgFixture = `
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE color (value text PRIMARY KEY, comment text);
INSERT INTO color VALUES ('red', 'Red'), ('blue', NULL);
CREATE TABLE test_types (
  c1_smallint smallint PRIMARY KEY, c2_integer integer, c3_bigint bigint, c4_decimal decimal,
  c5_numeric numeric, c6_real real, c7_double_precision double precision, c8_smallserial smallserial,
  c9_serial serial, c10_bigserial bigserial, c11_varchar_3 varchar(3), c12_char_4 char(4), c13_text text,
  c14_timestamp timestamp, c15_timestamptz timestamptz, c16_date date, c17_time time, c18_time_with_zone timetz,
  c19_interval interval, c20_boolean boolean, c21_point point, c32_json json, c33_jsonb jsonb,
  c34_text_array text[], c35_integer_2d_array integer[][], c36_uuid uuid, c45_money money,
  c46_posint posint, c47_mood mood, c48_color text REFERENCES color(value), c49_bytea bytea
);
CREATE FUNCTION test_types_double(t test_types) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT t.c3_bigint * 2 $$;
CREATE FUNCTION all_types(lim integer DEFAULT 10) RETURNS SETOF test_types LANGUAGE sql STABLE AS $$ SELECT * FROM test_types LIMIT lim $$;
`

func TestBuildFromDatabaseCatalog(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, pgFixture); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var src metadata.Source
	if err := json.Unmarshal([]byte(`{"name": "default", "kind": "postgres", "tables": [
	  {"table": "test_types", "computed_fields": [{"name": "double", "definition": {"function": "test_types_double"}}]},
	  {"table": "color", "is_enum": true}
	], "functions": [{"function": "all_types"}]}`), &src); err != nil {
		t.Fatal(err)
	}
	enums, err := LoadEnumValues(ctx, pool, cat, &src)
	if err != nil {
		t.Fatal(err)
	}
	if got := enums[catalog.QName{Schema: "public", Name: "color"}]; len(got) != 2 || got[0] != (EnumValue{Value: "blue"}) || got[1] != (EnumValue{Value: "red", Description: "Red"}) {
		t.Errorf("enum values: %+v", got)
	}
	opts := Options{EnumValues: enums}
	s, err := Build(cat, &src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"c1_smallint": "smallint!", "c2_integer": "Int", "c3_bigint": "bigint", "c4_decimal": "numeric",
		"c5_numeric": "numeric", "c6_real": "Float", "c7_double_precision": "float8", "c8_smallserial": "smallint!",
		"c9_serial": "Int!", "c10_bigserial": "bigint!", "c11_varchar_3": "String", "c12_char_4": "bpchar",
		"c13_text": "String", "c14_timestamp": "timestamp", "c15_timestamptz": "timestamptz", "c16_date": "date",
		"c17_time": "time", "c18_time_with_zone": "timetz", "c19_interval": "interval", "c20_boolean": "Boolean",
		"c21_point": "point", "c32_json": "json", "c33_jsonb": "jsonb", "c34_text_array": "_text",
		"c35_integer_2d_array": "_int4", "c36_uuid": "uuid", "c45_money": "money", "c46_posint": "Int",
		"c47_mood": "mood", "c48_color": "color_enum", "c49_bytea": "bytea", "double": "bigint",
	}
	obj := s.AST.Types["test_types"]
	for f, ty := range want {
		fd := obj.Fields.ForName(f)
		if fd == nil {
			t.Errorf("test_types.%s missing", f)
			continue
		}
		if got := fd.Type.String(); got != ty {
			t.Errorf("test_types.%s: %s, want %s", f, got, ty)
		}
	}
	if e := s.AST.Types["color_enum"]; e == nil || len(e.EnumValues) != 2 || e.EnumValues[1].Description != "Red" {
		t.Errorf("color_enum: %+v", e)
	}
	if s.Query["all_types"] == nil || s.Query["all_types_aggregate"] == nil || s.Query["test_types_by_pk"] == nil {
		t.Errorf("root fields: %v", s.Query)
	}
	if a := s.AST.Query.Fields.ForName("all_types").Arguments.ForName("args"); a == nil || a.Type.String() != "all_types_args" {
		t.Errorf("all_types args: %+v", a)
	}
	// Aggregates follow Hasura: sum keeps the column type, avg is Float,
	// max/min skip booleans, json, arrays and unknown types.
	if got := s.AST.Types["test_types_sum_fields"].Fields.ForName("c3_bigint").Type.String(); got != "bigint" {
		t.Errorf("sum bigint: %s", got)
	}
	if got := s.AST.Types["test_types_avg_fields"].Fields.ForName("c45_money").Type.String(); got != "Float" {
		t.Errorf("avg money: %s", got)
	}
	maxf := s.AST.Types["test_types_max_fields"]
	for _, f := range []string{"c20_boolean", "c33_jsonb", "c34_text_array", "c17_time", "c48_color"} {
		if maxf.Fields.ForName(f) != nil {
			t.Errorf("max has %s", f)
		}
	}
	for _, f := range []string{"c12_char_4", "c15_timestamptz", "c36_uuid", "c46_posint"} {
		if maxf.Fields.ForName(f) == nil {
			t.Errorf("max lacks %s", f)
		}
	}
	if s.AST.Types["bpchar_comparison_exp"].Fields.ForName("_ilike") == nil {
		t.Errorf("bpchar lacks text operators")
	}
	if s.AST.Types["color_enum_comparison_exp"].Fields.ForName("_gt") != nil {
		t.Errorf("enum comparison has _gt")
	}
}

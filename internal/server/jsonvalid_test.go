package server

import (
	"encoding/json"
	"strings"
	"testing"
)

var validSamples = []string{
	`{"query":"query Q1 { artist(limit: 10, order_by: {artist_id: asc}) { artist_id name } }"}`,
	` [1, -0.5e+10, 0, -0, 1E3, true, false, null, "a\"\\\/\b\f\n\r\t\u00e9", {}, [], {"a":{"b":[{}]}}] `,
	"\"\xff\xfe é \"", `01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `tru`, `nul`, `"\x"`, `"\u12"`, `"\u12G4"`,
	"\"a\x01\"", `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{a:1}`, `{"a":1}}`, `{} {}`, ``, ` `, `"`,
	strings.Repeat("[", 200) + strings.Repeat("]", 200), strings.Repeat("[", 200) + strings.Repeat("]", 199),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001), "\ufeff{}", "{}\x00",
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range validSamples {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%.60q) = %v, json.Valid %v", s, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range validSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid %v", b, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	body := []byte(validSamples[0])
	b.Run("validJSON", func(b *testing.B) {
		for b.Loop() {
			validJSON(body)
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		for b.Loop() {
			json.Valid(body)
		}
	})
}

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFromYAML(t *testing.T) {
	tests := []struct {
		name, yaml, json string
	}{
		{"scalars", "a: 1\nb: 1.50\nc: true\nd: null\ne: '1'\nf: hello\ng: ~\nh: 1.0.0\ni: 12-21",
			`{"a":1,"b":1.50,"c":true,"d":null,"e":"1","f":"hello","g":null,"h":"1.0.0","i":"12-21"}`},
		{"integer keys", "body:\n  1: 2\n  2: 3\n", `{"body":{"1":2,"2":3}}`},
		{"other scalar keys", "true: 1\n~: 2\n0x10: 3\n", `{"true":1,"null":2,"16":3}`},
		{"key order kept", "z: 1\na: 2\nm: 3\n", `{"z":1,"a":2,"m":3}`},
		{"anchors and aliases", "a: &x\n  k: [1, 2]\nb: *x\n", `{"a":{"k":[1,2]},"b":{"k":[1,2]}}`},
		{"merge key, explicit wins", "base: &b\n  x: 1\n  y: 2\nd:\n  <<: *b\n  y: 3\n",
			`{"base":{"x":1,"y":2},"d":{"y":3,"x":1}}`},
		{"merge list, first wins", "a: &a {k: 1, p: 1}\nb: &b {k: 2, q: 2}\nc:\n  <<: [*a, *b]\n",
			`{"a":{"k":1,"p":1},"b":{"k":2,"q":2},"c":{"k":1,"p":1,"q":2}}`},
		{"literal block", "q: |\n  query {\n    a\n  }\n", `{"q":"query {\n  a\n}\n"}`},
		{"strip block", "q: |-\n  x\n  y\n", `{"q":"x\ny"}`},
		{"folded plain scalar", "m: a long\n  message here\n", `{"m":"a long message here"}`},
		{"tab inside string", "q: \"a\\tb\"\nr: |\n  x\ty\n", `{"q":"a\tb","r":"x\ty\n"}`},
		{"trailing spaces", "a: b   \nc: d\t\n", `{"a":"b","c":"d"}`},
		{"list document", "- a: 1\n- a: 2\n", `[{"a":1},{"a":2}]`},
		{"empty document", "", `null`},
		{"exponent float", "a: 1e3\nb: .5\n", `{"a":1e3,"b":0.5}`},
		{"big integer", "a: 123456789012345678901234567890\n", `{"a":123456789012345678901234567890}`},
		{"html characters kept", "a: \"<&>\"\n", `{"a":"<&>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := FromYAML([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(EncodeJSON(v)); got != tt.json {
				t.Errorf("got  %s\nwant %s", got, tt.json)
			}
		})
	}
}

func TestFromYAMLErrors(t *testing.T) {
	for _, y := range []string{"a: *nope\n", "a: [1,\n", "a: .inf\n"} {
		if _, err := FromYAML([]byte(y)); err == nil {
			t.Errorf("%q: no error", y)
		}
	}
}

func TestParseJSON(t *testing.T) {
	v, err := ParseJSON([]byte(` {"b": [1, 2.50, "x", null, true], "a": {"c": {}}} `))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(EncodeJSON(v)), `{"b":[1,2.50,"x",null,true],"a":{"c":{}}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for _, bad := range []string{``, `{"a":1} {}`, `{"a":}`, `[1,`} {
		if _, err := ParseJSON([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestCorpusParses loads every file of the shared conformance folder, so a
// YAML feature the converter lacks shows up here first.
func TestCorpusParses(t *testing.T) {
	root := conformanceRoot(t)
	manifest, err := LoadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := LoadCorpus(root, manifest)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		for _, c := range d.Cases {
			n++
			if c.LoadErr != nil {
				t.Errorf("%s: %v", c.ID, c.LoadErr)
			}
			if !c.Manifest {
				t.Errorf("%s is not in MANIFEST.tsv", c.ID)
			}
		}
	}
	err = filepath.WalkDir(filepath.Join(root, queriesDir), func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".yaml") || !fixtureNames[e.Name()] {
			return err
		}
		if _, err := LoadYAMLFile(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("only %d cases found", n)
	}
	// Spot checks of files that use the harder YAML features.
	want := map[string]string{
		"graphql_validation/json_column_value":                           `"body":{"1":2,"2":3}`,
		"graphql_query/boolexp/basic/select_author_article_where_not_lt": `"name":"Author 2"`,
	}
	for _, d := range dirs {
		for _, c := range d.Cases {
			if w, ok := want[c.ID]; ok {
				var body string
				for _, s := range c.Steps {
					body += string(EncodeJSON(s.Query)) + string(EncodeJSON(s.Response))
				}
				if !strings.Contains(body, w) {
					t.Errorf("%s: %s not found in %s", c.ID, w, body)
				}
			}
		}
	}
}

func TestDeviationsFile(t *testing.T) {
	dev, err := LoadDeviations(deviationsFile)
	if err != nil {
		t.Fatal(err)
	}
	for id, reason := range dev {
		if strings.TrimSpace(reason) == "" {
			t.Errorf("%s has no reason", id)
		}
	}
}

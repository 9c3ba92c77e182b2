package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// queriesDir is where the case files live inside the conformance folder.
const queriesDir = "server/tests-py/queries"

// ManifestEntry is one row of MANIFEST.tsv: a corpus file, the Hasura test
// it belongs to and its area label.
type ManifestEntry struct {
	Path      string // relative to queriesDir
	Commit    string
	TestClass string
	Area      string
}

// Notes returns the markers the MANIFEST puts on a file: "legacy",
// "SETUP-GAP", "http only", "status-only".
func (m ManifestEntry) Notes() []string {
	var out []string
	lc := strings.ToLower(m.TestClass)
	if strings.Contains(lc, "legacy") || strings.HasSuffix(m.Area, "-legacy") {
		out = append(out, "legacy")
	}
	for _, n := range []string{"SETUP-GAP", "http only", "status-only"} {
		if strings.Contains(m.TestClass, n) {
			out = append(out, n)
		}
	}
	return out
}

// LoadManifest reads MANIFEST.tsv from the conformance folder, keyed by the
// path relative to queriesDir.
func LoadManifest(root string) (map[string]ManifestEntry, error) {
	f, err := os.Open(filepath.Join(root, "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]ManifestEntry{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if strings.HasPrefix(line, "path\t") {
				continue
			}
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 4 {
			continue
		}
		rel := strings.TrimPrefix(cols[0], queriesDir+"/")
		out[rel] = ManifestEntry{Path: rel, Commit: cols[1], TestClass: cols[2], Area: cols[3]}
	}
	return out, sc.Err()
}

// FixtureKind says which of Hasura's database-state fixtures a directory's
// test class uses, and so which files run when.
type FixtureKind int

const (
	// PerClass runs setup.yaml once before the directory's cases and
	// teardown.yaml after them (query classes).
	PerClass FixtureKind = iota
	// PerMethod runs setup.yaml before and teardown.yaml after every case
	// (the v1 metadata classes).
	PerMethod
	// Mutation runs schema_setup.yaml once, and values_setup.yaml /
	// values_teardown.yaml around every case (mutation classes).
	Mutation
)

func (k FixtureKind) String() string {
	switch k {
	case PerMethod:
		return "per-method"
	case Mutation:
		return "mutation"
	}
	return "per-class"
}

// Dir is one corpus directory: its cases and the fixture files around them.
type Dir struct {
	Rel     string // relative to queriesDir, e.g. "graphql_query/basic"
	Abs     string
	Queries string // the queriesDir of the corpus, absolute
	Kind    FixtureKind
	Cases   []*Case
}

// standIns name, for fixture files the corpus lacks, the file of another
// directory that HARNESS_NOTES.md says the missing one most likely matched:
// offset used the schema of limits, and delete/constraints' values_setup is
// probably identical to delete/basic's.
var standIns = map[string]string{
	"graphql_query/offset/setup.yaml":                       "graphql_query/limits/setup.yaml",
	"graphql_mutation/delete/constraints/values_setup.yaml": "graphql_mutation/delete/basic/values_setup.yaml",
}

// Fixture returns the absolute path of a fixture file of the directory, its
// stand-in when the corpus lacks it and one is known, or "" (a missing
// fixture is skipped, as Hasura's harness does).
func (d *Dir) Fixture(name string) string {
	p := filepath.Join(d.Abs, name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if alt, ok := standIns[d.Rel+"/"+name]; ok {
		p = filepath.Join(d.Queries, filepath.FromSlash(alt))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// StandIns lists the fixtures of the directory replaced by a stand-in, as
// "missing ← used".
func (d *Dir) StandIns() []string {
	var out []string
	for _, name := range []string{"setup.yaml", "teardown.yaml", "schema_setup.yaml", "values_setup.yaml", "values_teardown.yaml"} {
		if alt, ok := standIns[d.Rel+"/"+name]; ok {
			if _, err := os.Stat(filepath.Join(d.Abs, name)); err != nil {
				out = append(out, d.Rel+"/"+name+" ← "+alt)
			}
		}
	}
	return out
}

// Case is one case file: one Hasura test method, run as a whole.
type Case struct {
	ID       string // path relative to queriesDir without ".yaml"
	File     string
	Area     string
	Notes    []string
	Steps    []*Step
	LoadErr  error // the file could not be read or understood
	Manifest bool  // the file is listed in MANIFEST.tsv
}

// Name is the case's file name without extension.
func (c *Case) Name() string { return path.Base(c.ID) }

// HasNote reports whether the MANIFEST marks the case with note.
func (c *Case) HasNote(note string) bool {
	for _, n := range c.Notes {
		if n == note {
			return true
		}
	}
	return false
}

// Step is one request of a case with what it must answer.
type Step struct {
	Description string
	URL         string
	Status      int
	Query       any         // the request body
	Headers     [][2]string // request headers, values as text
	Response    any
	HasResponse bool
	Allowed     []Alternative // allowed_responses
	RespHeaders *Object
}

// Alternative is one acceptable answer of allowed_responses.
type Alternative struct {
	Response    any
	HasResponse bool
	RespHeaders *Object
}

// IsGraphQL reports whether the step posts to a GraphQL endpoint.
func (s *Step) IsGraphQL() bool { return strings.HasSuffix(s.URL, "/graphql") }

// fixtureNames are the per-directory state files; they are not cases.
var fixtureNames = map[string]bool{
	"setup.yaml": true, "teardown.yaml": true,
	"schema_setup.yaml": true, "schema_teardown.yaml": true,
	"values_setup.yaml": true, "values_teardown.yaml": true,
	"pre_setup.yaml": true, "post_teardown.yaml": true,
	"clear_db.yaml": true,
}

// otherBackend matches files for backends other than Postgres.
var otherBackend = regexp.MustCompile(`_(mssql|citus|bigquery)\.yaml$`)

// LoadCorpus walks the conformance folder and returns its directories in
// path order, each with its cases in file order.
func LoadCorpus(root string, manifest map[string]ManifestEntry) ([]*Dir, error) {
	base := filepath.Join(root, queriesDir)
	byDir := map[string]*Dir{}
	err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return nil
		}
		name := e.Name()
		if fixtureNames[name] || otherBackend.MatchString(name) {
			return nil
		}
		rel, _ := filepath.Rel(base, p)
		rel = filepath.ToSlash(rel)
		dirRel := path.Dir(rel)
		d := byDir[dirRel]
		if d == nil {
			d = &Dir{Rel: dirRel, Abs: filepath.Dir(p), Queries: base}
			byDir[dirRel] = d
		}
		c := &Case{ID: strings.TrimSuffix(rel, ".yaml"), File: p, Area: "unlisted"}
		if m, ok := manifest[rel]; ok {
			c.Area, c.Notes, c.Manifest = m.Area, m.Notes(), true
		}
		c.Steps, c.LoadErr = loadSteps(p)
		d.Cases = append(d.Cases, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var dirs []*Dir
	for _, d := range byDir {
		switch {
		case strings.HasPrefix(d.Rel, "v1/"):
			d.Kind = PerMethod
		case d.Fixture("schema_setup.yaml") != "":
			d.Kind = Mutation
		default:
			d.Kind = PerClass
		}
		sort.Slice(d.Cases, func(i, j int) bool { return d.Cases[i].ID < d.Cases[j].ID })
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Rel < dirs[j].Rel })
	return dirs, nil
}

// LoadYAMLFile reads a YAML file into a JSON value.
func LoadYAMLFile(p string) (any, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	v, err := FromYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(p), err)
	}
	return v, nil
}

func loadSteps(p string) ([]*Step, error) {
	v, err := LoadYAMLFile(p)
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	if len(items) == 0 {
		return nil, errors.New("no test steps in file")
	}
	steps := make([]*Step, 0, len(items))
	for i, it := range items {
		o, ok := it.(*Object)
		if !ok {
			return nil, fmt.Errorf("step %d is not a mapping", i)
		}
		s, err := stepFrom(o)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i, err)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

func stepFrom(o *Object) (*Step, error) {
	s := &Step{}
	s.Description, _ = o.Vals["description"].(string)
	if s.Description == "" {
		s.Description, _ = o.Vals["descriptions"].(string)
	}
	s.URL, _ = o.Vals["url"].(string)
	if s.URL == "" {
		return nil, errors.New("no url")
	}
	st, ok := o.Vals["status"].(json.Number)
	if !ok {
		return nil, errors.New("no integer status")
	}
	n, err := strconv.Atoi(st.String())
	if err != nil {
		return nil, fmt.Errorf("status %s: %w", st, err)
	}
	s.Status = n
	if !o.Has("query") {
		return nil, errors.New("no query")
	}
	s.Query = o.Vals["query"]
	if h, ok := o.Vals["headers"].(*Object); ok {
		for _, k := range h.Keys {
			s.Headers = append(s.Headers, [2]string{k, scalarText(h.Vals[k])})
		}
	}
	s.Response, s.HasResponse = o.Get("response")
	s.RespHeaders, _ = o.Vals["resp_headers"].(*Object)
	if alts, ok := o.Vals["allowed_responses"].([]any); ok {
		for _, a := range alts {
			ao, ok := a.(*Object)
			if !ok {
				return nil, errors.New("allowed_responses entry is not a mapping")
			}
			alt := Alternative{}
			alt.Response, alt.HasResponse = ao.Get("response")
			alt.RespHeaders, _ = ao.Vals["resp_headers"].(*Object)
			s.Allowed = append(s.Allowed, alt)
		}
	}
	return s, nil
}

// LoadDeviations reads the deviations file: case id → reason.
func LoadDeviations(p string) (map[string]string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(p), err)
	}
	return out, nil
}

// LoadBaseline reads the list of case ids that passed when the baseline was
// last written; a missing file is an empty baseline.
func LoadBaseline(p string) (map[string]bool, error) {
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	return out, nil
}

// WriteBaseline writes the sorted list of passing case ids.
func WriteBaseline(p string, ids map[string]bool) error {
	var list []string
	for id, ok := range ids {
		if ok {
			list = append(list, id)
		}
	}
	sort.Strings(list)
	var b bytes.Buffer
	b.WriteString("# Hasura conformance cases that pass (written by `go test ./e2e/ -run TestConformance -update`).\n")
	b.WriteString("# TestConformance fails when one of them stops passing.\n")
	for _, id := range list {
		b.WriteString(id)
		b.WriteByte('\n')
	}
	return os.WriteFile(p, b.Bytes(), 0o644)
}

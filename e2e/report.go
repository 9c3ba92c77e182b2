package e2e

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
)

// Verdict is how a case counts in the report.
type Verdict string

// Verdicts.
const (
	Pass      Verdict = "PASS"
	Fail      Verdict = "FAIL"      // fails and is not listed as a deviation
	Deviation Verdict = "DEVIATION" // fails and is listed as a deviation
)

// Report summarises a conformance run against the baseline and the
// deviations.
type Report struct {
	Results     []Result
	Deviations  map[string]string // case id → reason
	Baseline    map[string]bool   // case ids that passed before
	Regressions []Result          // baseline cases that no longer pass
}

// NewReport classifies results against the deviations and the baseline.
func NewReport(results []Result, deviations map[string]string, baseline map[string]bool) *Report {
	r := &Report{Results: results, Deviations: deviations, Baseline: baseline}
	for _, res := range results {
		if !res.Passed && baseline[res.Case.ID] {
			r.Regressions = append(r.Regressions, res)
		}
	}
	return r
}

// Verdict returns how res counts.
func (r *Report) Verdict(res Result) Verdict {
	switch {
	case res.Passed:
		return Pass
	case r.Deviations[res.Case.ID] != "":
		return Deviation
	}
	return Fail
}

// Counts returns the number of passing, failing and deviating cases.
func (r *Report) Counts() (pass, fail, dev int) {
	for _, res := range r.Results {
		switch r.Verdict(res) {
		case Pass:
			pass++
		case Fail:
			fail++
		case Deviation:
			dev++
		}
	}
	return
}

// Summary is the one-line result of the run.
func (r *Report) Summary() string {
	pass, fail, dev := r.Counts()
	warned := 0
	for _, res := range r.Results {
		if res.Passed && len(res.Warnings) > 0 {
			warned++
		}
	}
	return fmt.Sprintf("conformance: %d passed, %d failed, %d deviations (of %d cases; %d passed with warnings; %d regressions)",
		pass, fail, dev, len(r.Results), warned, len(r.Regressions))
}

// AreaTable renders pass counts per MANIFEST area, then per area group
// (the part before the slash).
func (r *Report) AreaTable() string {
	type row struct{ total, pass, fail, dev int }
	areas := map[string]*row{}
	groups := map[string]*row{}
	add := func(m map[string]*row, k string, v Verdict) {
		x := m[k]
		if x == nil {
			x = &row{}
			m[k] = x
		}
		x.total++
		switch v {
		case Pass:
			x.pass++
		case Fail:
			x.fail++
		case Deviation:
			x.dev++
		}
	}
	for _, res := range r.Results {
		v := r.Verdict(res)
		add(areas, res.Case.Area, v)
		g, _, _ := strings.Cut(res.Case.Area, "/")
		add(groups, g, v)
	}
	var b strings.Builder
	render := func(title string, m map[string]*row) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\tcases\tpassed\tfailed\tdeviations\n", title)
		for _, k := range keys {
			x := m[k]
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", k, x.total, x.pass, x.fail, x.dev)
		}
		tw.Flush()
	}
	render("area", areas)
	b.WriteString("\n")
	render("group", groups)
	return b.String()
}

// reasonCode pulls a Hasura error code out of a failure text.
var reasonCode = regexp.MustCompile(`"code":\s*"([^"]+)"`)

// stepPrefix is the "step N: " put before failures of multi-step cases.
var stepPrefix = regexp.MustCompile(`^step \d+: `)

// ReasonGroup reduces a failure reason to a short key shared by cases that
// fail the same way.
func ReasonGroup(reason string) string {
	reason = stepPrefix.ReplaceAllString(reason, "")
	code := ""
	if m := reasonCode.FindStringSubmatch(reason); m != nil {
		code = " (" + m[1] + ")"
	}
	switch {
	case strings.Contains(reason, "failed: /v1/query answered"),
		strings.Contains(reason, "failed: /v2/query answered"):
		fixture, rest, _ := strings.Cut(reason, " failed: ")
		status, _, _ := strings.Cut(rest, ":")
		return fixture + " failed: " + status + code
	case strings.Contains(reason, ".yaml failed: "):
		fixture, rest, _ := strings.Cut(reason, " failed: ")
		return fixture + " failed: " + rest[strings.LastIndex(rest, ": ")+2:]
	case strings.HasPrefix(reason, "status "):
		st, _, _ := strings.Cut(reason, ":")
		return st + code
	case strings.HasPrefix(reason, "request failed"),
		strings.HasPrefix(reason, "cannot load case"),
		strings.HasPrefix(reason, "response is not JSON"),
		strings.HasPrefix(reason, "error case answered without"):
		h, _, _ := strings.Cut(reason, ":")
		return h
	case strings.Contains(reason, "error body shape differs"):
		return "error body shape differs"
	case strings.Contains(reason, ".code: got"):
		return "error code differs"
	case strings.Contains(reason, ".path: got"):
		return "error path differs"
	case strings.Contains(reason, "errors: ") && strings.Contains(reason, " errors, want "):
		return "number of errors differs"
	case strings.Contains(reason, "missing key"), strings.Contains(reason, "unexpected key"):
		return "response keys differ"
	}
	return "response values differ"
}

// ReasonTable lists the failure groups of non-deviation failures, most
// frequent first, with a few example cases each.
func (r *Report) ReasonTable(includeDeviations bool) string {
	type group struct {
		key   string
		cases []string
	}
	byKey := map[string]*group{}
	for _, res := range r.Results {
		v := r.Verdict(res)
		if v == Pass || (v == Deviation && !includeDeviations) {
			continue
		}
		k := ReasonGroup(res.Reason)
		g := byKey[k]
		if g == nil {
			g = &group{key: k}
			byKey[k] = g
		}
		g.cases = append(g.cases, res.Case.ID)
	}
	list := make([]*group, 0, len(byKey))
	for _, g := range byKey {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i].cases) != len(list[j].cases) {
			return len(list[i].cases) > len(list[j].cases)
		}
		return list[i].key < list[j].key
	})
	var b strings.Builder
	for _, g := range list {
		ex := g.cases
		more := ""
		if len(ex) > 3 {
			more = fmt.Sprintf(", … %d more", len(ex)-3)
			ex = ex[:3]
		}
		fmt.Fprintf(&b, "%4d  %s\n      e.g. %s%s\n", len(g.cases), g.key, strings.Join(ex, ", "), more)
	}
	return b.String()
}

// CaseLines lists every case with its verdict and, for failures, the reason.
func (r *Report) CaseLines() string {
	var b strings.Builder
	for _, res := range r.Results {
		v := r.Verdict(res)
		fmt.Fprintf(&b, "%-9s %s", v, res.Case.ID)
		switch v {
		case Pass:
			if dev := r.Deviations[res.Case.ID]; dev != "" {
				b.WriteString("  [passes but is listed as a deviation]")
			}
			if n := len(res.Warnings); n > 0 {
				fmt.Fprintf(&b, "  [%d warnings: %s]", n, oneLine(res.Warnings[0]))
			}
		case Deviation:
			fmt.Fprintf(&b, "  [%s] %s", r.Deviations[res.Case.ID], oneLine(res.Reason))
		case Fail:
			b.WriteString("  " + oneLine(res.Reason))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Text is the full report written to conformance-results.txt.
func (r *Report) Text() string {
	var b strings.Builder
	b.WriteString("# Hasura conformance results (written by `go test ./e2e/ -run TestConformance -update`).\n\n")
	b.WriteString(r.Summary() + "\n\n")
	b.WriteString(r.AreaTable())
	b.WriteString("\nFailure reasons (failures not listed as deviations):\n")
	b.WriteString(r.ReasonTable(false))
	b.WriteString("\nFailure reasons (all failing cases, deviations included):\n")
	b.WriteString(r.ReasonTable(true))
	b.WriteString("\nCases:\n")
	b.WriteString(r.CaseLines())
	return b.String()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 240 {
		s = s[:240] + "…"
	}
	return s
}

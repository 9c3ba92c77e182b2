package e2e

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Runner applies corpus directories to a running server the way Hasura's
// Python harness does, and judges every case.
type Runner struct {
	// BaseURL is the server's root, e.g. "http://127.0.0.1:1234".
	BaseURL string
	// Client sends the requests; nil means a client with RequestTimeout.
	Client *http.Client
	// RequestTimeout bounds one request (default 30s).
	RequestTimeout time.Duration
	// ResetDB drops and re-creates the public and hge_tests schemas and the
	// extensions the corpus needs, straight in the database.
	ResetDB func(ctx context.Context) error
	// StrictSelectionOrder fails a case whose response objects do not list
	// their fields in the query's selection order; otherwise that only warns.
	StrictSelectionOrder bool
	// AdminSecret, when the server was started with one, is sent with every
	// fixture and case; each case is first checked to be refused without it
	// and with a wrong one, as Hasura's harness does in admin-secret mode.
	AdminSecret string
	// AdminRoleHalf adds X-Hasura-Role: admin to the header-less steps of
	// half of the cases (chosen by a hash of the case id, so runs repeat),
	// as Hasura's harness does at random: admin stays admin with the header.
	AdminRoleHalf bool
	// Transport is TransportHTTP (the default when empty),
	// TransportWebSocket, which sends the GraphQL query cases Hasura's
	// harness parametrizes over transports through
	// subscriptions-transport-ws instead, or TransportBoth, which sends
	// those (mutations excepted) over HTTP and then over the websocket.
	Transport string
	// Logf receives progress notes (fixture failures, resets).
	Logf func(format string, args ...any)
}

// Result is the verdict on one case.
type Result struct {
	Case     *Case
	Passed   bool
	Reason   string   // why it failed, one line
	Details  []string // further differences
	Warnings []string // tolerated drift, e.g. error messages
}

// response is one HTTP answer, its body decoded when it is JSON.
type response struct {
	Status  int
	Header  http.Header
	Body    []byte
	JSON    any
	JSONErr error
}

func (r *Runner) logf(format string, args ...any) {
	if r.Logf != nil {
		r.Logf(format, args...)
	}
}

func (r *Runner) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return http.DefaultClient
}

// slowRequest is the duration past which a request is noted in the log.
const slowRequest = time.Second

// requestKind names a request body for the log: its "type" (metadata and
// query APIs) or "graphql".
func requestKind(body any) string {
	if o, ok := body.(*Object); ok {
		if t, ok := o.Vals["type"].(string); ok {
			return t
		}
	}
	return "graphql"
}

// post sends body as JSON to url with the given headers.
func (r *Runner) post(ctx context.Context, url string, body any, headers [][2]string) (*response, error) {
	timeout := r.RequestTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.BaseURL+url, bytes.NewReader(EncodeJSON(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	began := time.Now()
	resp, err := r.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if took := time.Since(began); took > slowRequest {
		r.logf("slow request: %s %s took %s", url, requestKind(body), took.Round(time.Millisecond))
	}
	out := &response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	out.JSON, out.JSONErr = ParseJSON(data)
	return out, nil
}

// ApplyFixture posts a setup or teardown file to /v1/query and requires 200.
func (r *Runner) ApplyFixture(ctx context.Context, file string) error {
	v, err := LoadYAMLFile(file)
	if err != nil {
		return err
	}
	return r.postOK(ctx, "/v1/query", v)
}

func (r *Runner) postOK(ctx context.Context, url string, body any) error {
	resp, err := r.post(ctx, url, body, r.withSecret(nil, r.AdminSecret))
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", url, resp.Status, clip(bytes.TrimSpace(resp.Body)))
	}
	return nil
}

// Reset returns the server and database to an empty state: clear_metadata,
// then fresh public and hge_tests schemas.
func (r *Runner) Reset(ctx context.Context) error {
	clear := NewObject()
	clear.Set("type", "clear_metadata")
	clear.Set("args", NewObject())
	var errs []string
	if err := r.postOK(ctx, "/v1/metadata", clear); err != nil {
		if err2 := r.postOK(ctx, "/v1/query", clear); err2 != nil {
			errs = append(errs, "clear_metadata: "+err.Error())
		}
	}
	if r.ResetDB != nil {
		if err := r.ResetDB(ctx); err != nil {
			errs = append(errs, "schemas: "+err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("reset: %s", strings.Join(errs, "; "))
	}
	return nil
}

// CaseFunc is called for every case of a directory, in file order. It
// calls run to execute the case (with its per-case fixtures) or skips the
// case by not calling it.
type CaseFunc func(c *Case, run func() Result)

// RunDir resets the server, applies a directory's fixtures as its Hasura
// test class does, and hands each case to each.
func (r *Runner) RunDir(ctx context.Context, d *Dir, each CaseFunc) {
	if err := r.Reset(ctx); err != nil {
		r.logf("%s: %v", d.Rel, err)
	}
	for _, s := range d.StandIns() {
		r.logf("fixture missing from the corpus, stand-in used: %s", s)
	}
	bestEffort := func(name string) {
		if f := d.Fixture(name); f != "" {
			if err := r.ApplyFixture(ctx, f); err != nil {
				r.logf("%s/%s (ignored): %v", d.Rel, name, err)
			}
		}
	}
	// classErr fails every case when the once-per-directory setup fails.
	classErr := ""
	classSetup := map[FixtureKind]string{PerClass: "setup.yaml", Mutation: "schema_setup.yaml"}[d.Kind]
	if classSetup != "" {
		if f := d.Fixture(classSetup); f != "" {
			if err := r.ApplyFixture(ctx, f); err != nil {
				classErr = classSetup + " failed: " + err.Error()
			}
		}
	}
	dirty := false // a per-method case ran since the last reset
	for _, c := range d.Cases {
		each(c, func() Result {
			if classErr != "" {
				return Result{Case: c, Reason: classErr}
			}
			switch d.Kind {
			case Mutation:
				defer bestEffort("values_teardown.yaml")
				if f := d.Fixture("values_setup.yaml"); f != "" {
					if err := r.ApplyFixture(ctx, f); err != nil {
						return Result{Case: c, Reason: "values_setup.yaml failed: " + err.Error()}
					}
				}
			case PerMethod:
				// The stored teardowns do not always undo their setup;
				// start every case from an empty state.
				if dirty {
					if err := r.Reset(ctx); err != nil {
						r.logf("%s: %v", d.Rel, err)
					}
				}
				dirty = true
				defer bestEffort("teardown.yaml")
				if f := d.Fixture("setup.yaml"); f != "" {
					if err := r.ApplyFixture(ctx, f); err != nil {
						return Result{Case: c, Reason: "setup.yaml failed: " + err.Error()}
					}
				}
			}
			return r.RunCase(ctx, c)
		})
	}
	switch d.Kind {
	case PerClass:
		bestEffort("teardown.yaml")
	case Mutation:
		bestEffort("schema_teardown.yaml")
	}
}

// RunCase runs the steps of one case in order, stopping at the first that
// does not answer as expected.
func (r *Runner) RunCase(ctx context.Context, c *Case) Result {
	res := Result{Case: c}
	if c.LoadErr != nil {
		res.Reason = "cannot load case: " + c.LoadErr.Error()
		return res
	}
	for i, s := range c.Steps {
		fails, warns := r.runStep(ctx, c, s)
		prefix := ""
		if len(c.Steps) > 1 {
			prefix = fmt.Sprintf("step %d: ", i+1)
		}
		for _, w := range warns {
			res.Warnings = append(res.Warnings, prefix+w)
		}
		if len(fails) > 0 {
			res.Reason = prefix + fails[0]
			res.Details = fails[1:]
			return res
		}
	}
	res.Passed = true
	return res
}

// errorCase matches names and descriptions of cases that expect an error.
var errorCase = regexp.MustCompile(`(?i)error|_err\b|_err_|fail|cannot`)

// expectsError reports whether a status-only step is an error case.
func expectsError(c *Case, s *Step) bool {
	return s.Status >= 400 || errorCase.MatchString(c.Name()) || errorCase.MatchString(s.Description)
}

// adminSecretHeader carries the admin secret.
const adminSecretHeader = "X-Hasura-Admin-Secret"

// withSecret returns headers plus the admin secret header when secret is
// set.
func (r *Runner) withSecret(headers [][2]string, secret string) [][2]string {
	if secret == "" {
		return headers
	}
	return append(append([][2]string(nil), headers...), [2]string{adminSecretHeader, secret})
}

// checkRefused sends a step without the admin secret and with a wrong one
// and requires the server to refuse both: GraphQL endpoints answer 200
// with errors (or 404 when the case expects 404), the others 401 or 404.
func (r *Runner) checkRefused(ctx context.Context, s *Step) []string {
	graphql := s.URL == "/v1/graphql" || s.URL == "/v1beta1/relay"
	for _, attempt := range []struct{ name, secret string }{
		{"without the admin secret", ""},
		{"with a wrong admin secret", "wrong-" + r.AdminSecret},
	} {
		resp, err := r.post(ctx, s.URL, s.Query, r.withSecret(s.Headers, attempt.secret))
		if err != nil {
			return []string{attempt.name + ": request failed: " + err.Error()}
		}
		refused := false
		switch {
		case graphql && s.Status == http.StatusNotFound:
			refused = resp.Status == http.StatusNotFound
		case graphql:
			refused = resp.Status == http.StatusOK && resp.JSONErr == nil && hasErrors(resp.JSON)
		default:
			refused = resp.Status == http.StatusUnauthorized || resp.Status == http.StatusNotFound
		}
		if !refused {
			return []string{fmt.Sprintf("%s: not refused (status %d): %s", attempt.name, resp.Status, clip(bytes.TrimSpace(resp.Body)))}
		}
	}
	return nil
}

// adminRoleFor reports whether the header-less steps of c carry
// X-Hasura-Role: admin.
func (r *Runner) adminRoleFor(c *Case) bool {
	if !r.AdminRoleHalf {
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(c.ID))
	return h.Sum32()%2 == 1
}

func (r *Runner) runStep(ctx context.Context, c *Case, s *Step) (fails, warns []string) {
	if len(s.Headers) == 0 && r.adminRoleFor(c) {
		st := *s
		st.Headers = [][2]string{{"X-Hasura-Role", "admin"}}
		s = &st
	}
	switch {
	case r.Transport == TransportWebSocket && overWebSocket(c, s):
		return r.runStepWS(ctx, c, s)
	case r.Transport == TransportBoth && overWebSocket(c, s) && !isMutation(s.Query):
		if fails, warns = r.runStepHTTP(ctx, c, s); len(fails) > 0 {
			return fails, warns
		}
		wf, ww := r.runStepWS(ctx, c, s)
		for _, w := range ww {
			warns = append(warns, "websocket: "+w)
		}
		for _, f := range wf {
			if !strings.HasPrefix(f, "websocket: ") {
				f = "websocket: " + f
			}
			fails = append(fails, f)
		}
		return fails, warns
	}
	return r.runStepHTTP(ctx, c, s)
}

// runStepHTTP sends one step over HTTP and judges the answer.
func (r *Runner) runStepHTTP(ctx context.Context, c *Case, s *Step) (fails, warns []string) {
	if r.AdminSecret != "" {
		if f := r.checkRefused(ctx, s); f != nil {
			return f, nil
		}
	}
	resp, err := r.post(ctx, s.URL, s.Query, r.withSecret(s.Headers, r.AdminSecret))
	if err != nil {
		return []string{"request failed: " + err.Error()}, nil
	}
	if resp.Status != s.Status {
		return []string{fmt.Sprintf("status %d, want %d: %s", resp.Status, s.Status, clip(bytes.TrimSpace(resp.Body)))}, nil
	}
	needBody := s.HasResponse || len(s.Allowed) > 0 || s.IsGraphQL()
	if needBody && resp.JSONErr != nil {
		return []string{fmt.Sprintf("response is not JSON (%v): %s", resp.JSONErr, clip(bytes.TrimSpace(resp.Body)))}, nil
	}
	switch {
	case len(s.Allowed) > 0:
		var first []string
		for _, alt := range s.Allowed {
			f, w := r.check(s, alt.HasResponse, alt.Response, alt.RespHeaders, resp)
			if len(f) == 0 {
				return nil, w
			}
			if first == nil {
				first = f
			}
		}
		return append([]string{"none of the allowed_responses matched"}, first...), nil
	case s.HasResponse:
		return r.check(s, true, s.Response, s.RespHeaders, resp)
	default:
		fails = HeadersSubset(s.RespHeaders, resp.Header)
		if s.IsGraphQL() {
			has := hasErrors(resp.JSON)
			if expectsError(c, s) && !has {
				fails = append([]string{"error case answered without an errors key: " + clip(resp.Body)}, fails...)
			} else if !expectsError(c, s) && has {
				warns = append(warns, "status-only case answered errors: "+clip(resp.Body))
			}
		}
		return fails, warns
	}
}

func (r *Runner) check(s *Step, hasResponse bool, want any, wantHeaders *Object, resp *response) (fails, warns []string) {
	if hasResponse {
		d := CompareBody(want, resp.JSON)
		fails, warns = d.Failures, d.Warnings
	}
	fails = append(fails, HeadersSubset(wantHeaders, resp.Header)...)
	if s.IsGraphQL() && len(fails) == 0 {
		order := selectionOrder(s.Query, resp.JSON)
		if r.StrictSelectionOrder {
			fails = append(fails, order...)
		} else {
			warns = append(warns, order...)
		}
	}
	return fails, warns
}

// selectionOrder checks field order in a single or batched GraphQL answer.
func selectionOrder(request, response any) []string {
	reqs, ok1 := request.([]any)
	resps, ok2 := response.([]any)
	if !ok1 || !ok2 {
		return SelectionOrder(request, response)
	}
	var out []string
	for i := range reqs {
		if i < len(resps) {
			for _, d := range SelectionOrder(reqs[i], resps[i]) {
				out = append(out, fmt.Sprintf("[%d] %s", i, d))
			}
		}
	}
	return out
}

// hasErrors reports whether a GraphQL answer (or any answer of a batch)
// carries an errors key.
func hasErrors(v any) bool {
	switch v := v.(type) {
	case *Object:
		return v.Has("errors")
	case []any:
		for _, e := range v {
			if hasErrors(e) {
				return true
			}
		}
	}
	return false
}

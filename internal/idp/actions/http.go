package actions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/postgate/postgate/internal/apierr"
)

// Authorizer decides whether a management request may proceed; scope is
// the Auth0 scope the route needs (read:actions, create:actions,
// update:actions, delete:actions). A returned error wrapping
// [ErrForbidden] answers 403, any other error 401.
type Authorizer func(r *http.Request, scope string) error

// ErrForbidden is wrapped by an Authorizer refusing an authenticated caller.
var ErrForbidden = errors.New("insufficient scope")

// HandlerOptions configures [NewHandler].
type HandlerOptions struct {
	// Authorize checks every request; nil means the mount point already
	// authorised it.
	Authorize Authorizer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// handler serves the Actions part of the Management API v2.
type handler struct {
	st   *Store
	rt   *Runtime
	opts HandlerOptions
	mux  *http.ServeMux
}

// NewHandler serves Auth0's Management API v2 for Actions. Paths are
// relative to <issuer>api/v2/actions, so mount it with
//
//	mux.Handle(issuerPath+"api/v2/actions/", http.StripPrefix(issuerPath+"api/v2/actions", h))
//
// Routes: GET/POST /actions, GET/PATCH/DELETE /actions/{id},
// POST /actions/{id}/deploy, GET /actions/{id}/versions[/{versionId}],
// POST /actions/{id}/versions/{versionId}/deploy (roll back),
// POST /actions/{id}/test, GET /triggers and GET/PATCH
// /triggers/{triggerId}/bindings.
func NewHandler(st *Store, rt *Runtime, opts HandlerOptions) http.Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &handler{st: st, rt: rt, opts: opts, mux: http.NewServeMux()}
	route := func(pattern, scope string, fn http.HandlerFunc) {
		h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if opts.Authorize != nil {
				if err := opts.Authorize(r, scope); err != nil {
					if errors.Is(err, ErrForbidden) {
						writeError(w, http.StatusForbidden, "Insufficient scope, expected any of: "+scope)
						return
					}
					writeError(w, http.StatusUnauthorized, "Invalid token")
					return
				}
			}
			fn(w, r)
		})
	}
	route("GET /actions", "read:actions", h.listActions)
	route("POST /actions", "create:actions", h.createAction)
	route("GET /actions/{id}", "read:actions", h.getAction)
	route("PATCH /actions/{id}", "update:actions", h.updateAction)
	route("DELETE /actions/{id}", "delete:actions", h.deleteAction)
	route("POST /actions/{id}/deploy", "create:actions", h.deploy)
	route("GET /actions/{id}/versions", "read:actions", h.listVersions)
	route("GET /actions/{id}/versions/{vid}", "read:actions", h.getVersion)
	route("POST /actions/{id}/versions/{vid}/deploy", "create:actions", h.rollback)
	route("POST /actions/{id}/test", "create:actions", h.test)
	route("GET /triggers", "read:actions", h.triggers)
	route("GET /triggers/{trigger}/bindings", "read:actions", h.getBindings)
	route("PATCH /triggers/{trigger}/bindings", "update:actions", h.setBindings)
	return h
}

// ServeHTTP implements http.Handler; unknown paths answer Auth0's 404.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/") {
		r.URL.Path = "/" + r.URL.Path
	}
	r.URL.Path = strings.TrimSuffix(r.URL.Path, "/")
	if _, pattern := h.mux.Handler(r); pattern == "" {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// apiError is Auth0's Management API error body.
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{StatusCode: status, Error: http.StatusText(status), Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail maps store errors to Auth0's statuses; internal errors never leak.
func (h *handler) fail(w http.ResponseWriter, err error) {
	var ve *ValidationError
	switch {
	case errors.As(err, &ve):
		writeError(w, http.StatusBadRequest, ve.Message)
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, strings.TrimPrefix(err.Error(), ErrNotFound.Error()+": "))
	case errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, strings.TrimPrefix(err.Error(), ErrConflict.Error()+": "))
	default:
		h.rt.cfg.Logger.Error("actions management API", "type", "auth", "error", err.Error())
		writeError(w, http.StatusInternalServerError, "Internal error")
	}
}

// decode reads a JSON body strictly. Its errors are Auth0's payload
// validation messages; Go's decoder wording never reaches the caller.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return invalidf("Invalid request payload JSON format")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return invalidf("Payload validation error: 'Additional properties not allowed: %s'.", strings.Trim(name, `"`))
		}
		if msg, ok := typeErrorMessage(err, body); ok {
			return invalidf("%s", msg)
		}
		return invalidf("Invalid request payload JSON format")
	}
	return nil
}

// typeErrorMessage words a JSON value of the wrong type as Auth0 does:
// "Payload validation error: 'Expected type string but found type
// integer' on property name." It reports false for other errors.
func typeErrorMessage(err error, body []byte) (string, bool) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return "", false
	}
	want := "object"
	if te.Type != nil {
		want = schemaType(te.Type.Kind())
	}
	found := strings.ToLower(apierr.JSONValueName(te.Value))
	if found == "number" && integerLiteralEndingAt(body, te.Offset) {
		found = "integer"
	}
	msg := fmt.Sprintf("Payload validation error: 'Expected type %s but found type %s'", want, found)
	if prop := propertyPath(te.Field); prop != "" {
		msg += " on property " + prop
	}
	return msg + ".", true
}

// propertyPath is the decoder's field path without the Go names of
// embedded structs (capitalised; every property of this API is
// lower-case).
func propertyPath(field string) string {
	var out []string
	for _, seg := range strings.Split(field, ".") {
		if seg != "" && (seg[0] < 'A' || seg[0] > 'Z') {
			out = append(out, seg)
		}
	}
	return strings.Join(out, ".")
}

// schemaType names the JSON Schema type a Go kind is decoded from
// (apierr's JSON type names, with integer told from number).
func schemaType(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	}
	return strings.ToLower(apierr.JSONTypeName(k))
}

// integerLiteralEndingAt reports whether the number literal that ends at
// offset end of body has no fraction or exponent.
func integerLiteralEndingAt(body []byte, end int64) bool {
	if end <= 0 || end > int64(len(body)) {
		return false
	}
	i := end
	for i > 0 && strings.IndexByte("0123456789.eE+-", body[i-1]) >= 0 {
		i--
	}
	lit := body[i:end]
	return len(lit) > 0 && !bytes.ContainsAny(lit, ".eE")
}

// page applies Auth0's page/per_page/include_totals query parameters.
func page[T any](r *http.Request, items []T) (out []T, pageNo, perPage, total int) {
	total = len(items)
	perPage = 50
	if v, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && v > 0 && v <= 100 {
		perPage = v
	}
	if v, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && v >= 0 {
		pageNo = v
	}
	start := min(pageNo*perPage, total)
	end := min(start+perPage, total)
	return items[start:end], pageNo, perPage, total
}

// JSON shapes (Auth0's).

type secretJSON struct {
	Name      string    `json:"name"`
	UpdatedAt time.Time `json:"updated_at"`
}

type actionSummaryJSON struct {
	ID                 string       `json:"id"`
	Name               string       `json:"name"`
	SupportedTriggers  []TriggerRef `json:"supported_triggers"`
	AllChangesDeployed bool         `json:"all_changes_deployed"`
	CreatedAt          time.Time    `json:"created_at"`
	UpdatedAt          time.Time    `json:"updated_at"`
}

type actionJSON struct {
	actionSummaryJSON
	Code            string       `json:"code"`
	Dependencies    []Dependency `json:"dependencies"`
	Runtime         string       `json:"runtime"`
	Status          string       `json:"status"`
	Secrets         []secretJSON `json:"secrets"`
	DeployedVersion *versionJSON `json:"deployed_version,omitempty"`
	BuiltAt         time.Time    `json:"built_at"`
}

type versionJSON struct {
	ID                string             `json:"id"`
	ActionID          string             `json:"action_id"`
	Code              string             `json:"code"`
	Dependencies      []Dependency       `json:"dependencies"`
	Deployed          bool               `json:"deployed"`
	Runtime           string             `json:"runtime"`
	Secrets           []secretJSON       `json:"secrets"`
	Status            string             `json:"status"`
	Number            int                `json:"number"`
	Errors            []any              `json:"errors"`
	Action            *actionSummaryJSON `json:"action,omitempty"`
	BuiltAt           time.Time          `json:"built_at"`
	CreatedAt         time.Time          `json:"created_at"`
	UpdatedAt         time.Time          `json:"updated_at"`
	SupportedTriggers []TriggerRef       `json:"supported_triggers"`
}

type bindingJSON struct {
	ID          string      `json:"id"`
	TriggerID   string      `json:"trigger_id"`
	DisplayName string      `json:"display_name"`
	Action      *actionJSON `json:"action"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

func secretsJSON(list []Secret) []secretJSON {
	out := make([]secretJSON, len(list))
	for i, s := range list {
		out[i] = secretJSON{Name: s.Name, UpdatedAt: s.UpdatedAt}
	}
	return out
}

func summary(a *ActionRecord) *actionSummaryJSON {
	return &actionSummaryJSON{ID: a.ID, Name: a.Name, SupportedTriggers: a.SupportedTriggers,
		AllChangesDeployed: a.allChangesDeployed(), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func toActionJSON(a *ActionRecord) *actionJSON {
	out := &actionJSON{actionSummaryJSON: *summary(a), Code: a.Code, Dependencies: a.Dependencies, Runtime: a.Runtime,
		Status: "built", Secrets: secretsJSON(a.Secrets), BuiltAt: a.UpdatedAt}
	if a.Deployed != nil {
		out.DeployedVersion = toVersionJSON(a.Deployed, nil)
	}
	return out
}

func toVersionJSON(v *VersionRecord, a *ActionRecord) *versionJSON {
	out := &versionJSON{ID: v.ID, ActionID: v.ActionID, Code: v.Code, Dependencies: v.Dependencies, Deployed: v.Deployed,
		Runtime: v.Runtime, Secrets: secretsJSON(v.Secrets), Status: "built", Number: v.Number, Errors: []any{},
		BuiltAt: v.CreatedAt, CreatedAt: v.CreatedAt, UpdatedAt: v.CreatedAt, SupportedTriggers: v.SupportedTriggers}
	if a != nil {
		out.Action = summary(a)
	}
	return out
}

// Handlers.

func (h *handler) listActions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := ListFilter{TriggerID: q.Get("triggerId"), ActionName: q.Get("actionName")}
	if d := q.Get("deployed"); d != "" {
		b := d == "true"
		f.Deployed = &b
	}
	list, err := h.st.List(r.Context(), f)
	if err != nil {
		h.fail(w, err)
		return
	}
	items, p, pp, total := page(r, list)
	out := make([]*actionJSON, len(items))
	for i, a := range items {
		out[i] = toActionJSON(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"actions": out, "total": total, "page": p, "per_page": pp})
}

func (h *handler) createAction(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ActionInput
		Deploy bool `json:"deploy"`
	}
	if err := decode(r, &in); err != nil {
		h.fail(w, err)
		return
	}
	switch {
	case in.Name == nil:
		h.fail(w, invalidf("Payload validation error: 'Missing required property: name'."))
		return
	case in.SupportedTriggers == nil:
		h.fail(w, invalidf("Payload validation error: 'Missing required property: supported_triggers'."))
		return
	}
	a, err := h.st.Create(r.Context(), in.ActionInput)
	if err != nil {
		h.fail(w, err)
		return
	}
	if in.Deploy {
		if _, err := h.st.Deploy(r.Context(), a.ID); err != nil {
			h.fail(w, err)
			return
		}
		if a, err = h.st.Get(r.Context(), a.ID); err != nil {
			h.fail(w, err)
			return
		}
	}
	writeJSON(w, http.StatusCreated, toActionJSON(a))
}

func (h *handler) getAction(w http.ResponseWriter, r *http.Request) {
	a, err := h.st.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toActionJSON(a))
}

func (h *handler) updateAction(w http.ResponseWriter, r *http.Request) {
	var in ActionInput
	if err := decode(r, &in); err != nil {
		h.fail(w, err)
		return
	}
	a, err := h.st.Update(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toActionJSON(a))
}

func (h *handler) deleteAction(w http.ResponseWriter, r *http.Request) {
	if err := h.st.Delete(r.Context(), r.PathValue("id"), r.URL.Query().Get("force") == "true"); err != nil {
		h.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) deploy(w http.ResponseWriter, r *http.Request) {
	v, err := h.st.Deploy(r.Context(), r.PathValue("id"))
	h.deployed(w, r, v, err)
}

func (h *handler) rollback(w http.ResponseWriter, r *http.Request) {
	v, err := h.st.Rollback(r.Context(), r.PathValue("id"), r.PathValue("vid"))
	h.deployed(w, r, v, err)
}

// deployed answers a deploy or rollback that made v the deployed version
// (or failed with err).
func (h *handler) deployed(w http.ResponseWriter, r *http.Request, v *VersionRecord, err error) {
	if err != nil {
		h.fail(w, err)
		return
	}
	a, err := h.st.Get(r.Context(), v.ActionID)
	if err != nil {
		h.fail(w, err)
		return
	}
	// Auth0 answers 202 Accepted: the version is built and deployed.
	writeJSON(w, http.StatusAccepted, toVersionJSON(v, a))
}

func (h *handler) listVersions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	list, err := h.st.Versions(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	a, err := h.st.Get(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	items, p, pp, total := page(r, list)
	out := make([]*versionJSON, len(items))
	for i, v := range items {
		out[i] = toVersionJSON(v, a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out, "total": total, "page": p, "per_page": pp})
}

func (h *handler) getVersion(w http.ResponseWriter, r *http.Request) {
	a, err := h.st.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	v, err := h.st.Version(r.Context(), a.ID, r.PathValue("vid"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toVersionJSON(v, a))
}

func (h *handler) triggers(w http.ResponseWriter, r *http.Request) {
	var out []map[string]any
	for _, t := range []Trigger{PostLogin, CredentialsExchange, PreUserRegistration, PostUserRegistration} {
		out = append(out, map[string]any{"id": string(t), "version": triggerVersions[t], "status": "CURRENT",
			"runtimes": []string{"node18", "node22"}, "default_runtime": "node22", "compatible_triggers": []any{}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"triggers": out})
}

func (h *handler) bindingsJSON(list []*BindingRecord) []*bindingJSON {
	out := make([]*bindingJSON, len(list))
	for i, b := range list {
		out[i] = &bindingJSON{ID: b.ID, TriggerID: b.TriggerID, DisplayName: b.DisplayName, Action: toActionJSON(b.Action),
			CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
	}
	return out
}

func (h *handler) getBindings(w http.ResponseWriter, r *http.Request) {
	list, err := h.st.Bindings(r.Context(), Trigger(r.PathValue("trigger")))
	if err != nil {
		h.fail(w, err)
		return
	}
	items, p, pp, total := page(r, list)
	writeJSON(w, http.StatusOK, map[string]any{"bindings": h.bindingsJSON(items), "total": total, "page": p, "per_page": pp})
}

func (h *handler) setBindings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Bindings []BindingInput `json:"bindings"`
	}
	if err := decode(r, &in); err != nil {
		h.fail(w, err)
		return
	}
	list, err := h.st.SetBindings(r.Context(), Trigger(r.PathValue("trigger")), in.Bindings)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"bindings": h.bindingsJSON(list)})
}

// testResult is what the test endpoint reports inside "payload".
type testResult struct {
	Trigger           string         `json:"trigger"`
	AccessTokenClaims map[string]any `json:"access_token_claims"`
	IDTokenClaims     map[string]any `json:"id_token_claims"`
	ScopesAdded       []string       `json:"scopes_added"`
	ScopesRemoved     []string       `json:"scopes_removed"`
	AppMetadata       map[string]any `json:"app_metadata"`
	UserMetadata      map[string]any `json:"user_metadata"`
	AccessDenied      *denyJSON      `json:"access_denied"`
	Unsupported       []string       `json:"unsupported"`
	Logs              string         `json:"logs"`
	LogEntries        []LogEntry     `json:"log_entries"`
	Stats             map[string]any `json:"stats"`
	Error             *testErrorJSON `json:"error"`
}

type denyJSON struct {
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason"`
}

type testErrorJSON struct {
	ID    string `json:"id"`
	Msg   string `json:"msg"`
	Stack string `json:"stack,omitempty"`
}

// test runs the action's current code (deployed or not) on the given
// event, filled in from the default event, without a login.
func (h *handler) test(w http.ResponseWriter, r *http.Request) {
	a, err := h.st.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	var in struct {
		Payload map[string]any `json:"payload"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			h.fail(w, err)
			return
		}
	}
	trigger := PostLogin
	if len(a.SupportedTriggers) > 0 {
		trigger = Trigger(a.SupportedTriggers[0].ID)
	}
	event := mergeEvent(DefaultEvent(trigger, h.opts.Now()), in.Payload)
	delete(event, "secrets")
	run := Action{ID: a.ID, Name: a.Name, VersionID: "draft:" + a.UpdatedAt.Format(time.RFC3339Nano), Code: a.Code, Secrets: secretMap(a.Secrets)}
	start := time.Now()
	res, runErr := h.rt.Run(r.Context(), trigger, []Action{run}, event)
	elapsed := time.Since(start)
	if res == nil {
		h.fail(w, runErr)
		return
	}
	out := testResult{
		Trigger: string(trigger), AccessTokenClaims: res.AccessTokenClaims, IDTokenClaims: res.IDTokenClaims,
		ScopesAdded: orEmpty(res.AddScopes), ScopesRemoved: orEmpty(res.RemoveScopes),
		AppMetadata: res.AppMetadata, UserMetadata: res.UserMetadata, Unsupported: orEmpty(res.Unsupported),
		LogEntries: res.Logs, Stats: map[string]any{"action_duration_ms": elapsed.Milliseconds(), "total_request_duration_ms": elapsed.Milliseconds()},
	}
	if out.LogEntries == nil {
		out.LogEntries = []LogEntry{}
	}
	var lines []string
	for _, l := range res.Logs {
		lines = append(lines, l.Message)
	}
	if len(lines) > 0 {
		out.Logs = strings.Join(lines, "\n") + "\n"
	}
	if res.Denied {
		out.AccessDenied = &denyJSON{Code: res.DenyCode, Reason: res.DenyReason}
	}
	var re *RunError
	if errors.As(runErr, &re) {
		out.Error = &testErrorJSON{ID: string(re.Kind), Msg: re.Message, Stack: re.Stack}
	} else if runErr != nil {
		h.fail(w, fmt.Errorf("running the test: %w", runErr))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"payload": out})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hookServer is an auth webhook on loopback that records what it receives.
type hookServer struct {
	mu      sync.Mutex
	handler http.HandlerFunc
	last    *http.Request
	body    []byte
	calls   atomic.Int32
	*httptest.Server
}

func newHookServer(t *testing.T, h http.HandlerFunc) *hookServer {
	s := &hookServer{handler: h}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.last, s.body = r, body
		h := s.handler
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *hookServer) setHandler(h http.HandlerFunc) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

func (s *hookServer) lastRequest() (*http.Request, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.body
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func hookAuth(t *testing.T, url, mode string, opts ...Option) *Authenticator {
	opts = append([]Option{WithLogger(quiet)}, opts...)
	return mustNew(t, Config{AdminSecret: "x", AuthHook: url, AuthHookMode: mode, AuthHookSendRequestBody: true}, opts...)
}

func TestWebhookGET(t *testing.T) {
	hook := newHookServer(t, answer(200, `{"X-Hasura-Role":"user","X-Hasura-User-Id":"25","x-hasura-is-owner":"true","other":"dropped"}`))
	a := hookAuth(t, hook.URL, "")
	r := request(map[string]string{
		"Authorization": "Bearer opaque", "X-Custom": "kept", "Content-Type": "application/json",
		"User-Agent": "browser", "Origin": "https://app", "Accept-Encoding": "gzip", "Cache-Control": "no-cache",
	})
	s, err := a.Authenticate(r, []byte(`{"query":"{ users { id } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Role != "user" || s.Vars["x-hasura-user-id"] != "25" || s.Vars["x-hasura-is-owner"] != "true" || len(s.Vars) != 3 {
		t.Fatalf("session %+v", s)
	}
	got, _ := hook.lastRequest()
	if got.Method != http.MethodGet || got.Header.Get("Authorization") != "Bearer opaque" || got.Header.Get("X-Custom") != "kept" {
		t.Fatalf("forwarded %v %v", got.Method, got.Header)
	}
	for _, h := range []string{"Content-Type", "Origin", "Cache-Control"} {
		if got.Header.Get(h) != "" {
			t.Errorf("%s was forwarded", h)
		}
	}
	if got.Header.Get("User-Agent") != "postgate" {
		t.Errorf("user agent %q", got.Header.Get("User-Agent"))
	}

	// The admin secret bypasses the hook.
	calls := hook.calls.Load()
	if s, err := a.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": "x"}), nil); err != nil || !s.IsAdmin() {
		t.Fatalf("admin: %+v %v", s, err)
	}
	if hook.calls.Load() != calls {
		t.Fatal("hook called with the admin secret")
	}
}

func TestWebhookPOST(t *testing.T) {
	hook := newHookServer(t, answer(200, `{"x-hasura-role":"editor"}`))
	a := hookAuth(t, hook.URL, "POST")
	r := request(map[string]string{"Authorization": "Bearer opaque", "Content-Type": "application/json"})
	body := `{"query":"query Q($id: Int!) { users(where: {id: {_eq: $id}}) { id } }","variables":{"id":1},"operationName":"Q"}`
	s, err := a.Authenticate(r, []byte(body))
	if err != nil || s.Role != "editor" {
		t.Fatalf("%+v %v", s, err)
	}
	got, sent := hook.lastRequest()
	if got.Method != http.MethodPost || got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %v", got.Method, got.Header)
	}
	var payload struct {
		Headers map[string]string `json:"headers"`
		Request struct {
			Query         string         `json:"query"`
			Variables     map[string]any `json:"variables"`
			OperationName string         `json:"operationName"`
		} `json:"request"`
	}
	if err := json.Unmarshal(sent, &payload); err != nil {
		t.Fatal(err)
	}
	if payload.Headers["Authorization"] != "Bearer opaque" || payload.Headers["Content-Type"] != "application/json" ||
		!strings.HasPrefix(payload.Request.Query, "query Q") || payload.Request.Variables["id"] != float64(1) || payload.Request.OperationName != "Q" {
		t.Fatalf("payload %s", sent)
	}

	// Without a GraphQL body the request is null.
	if _, err := a.Authenticate(request(nil), nil); err != nil {
		t.Fatal(err)
	}
	if _, sent = hook.lastRequest(); !strings.Contains(string(sent), `"request":null`) {
		t.Fatalf("payload %s", sent)
	}
}

func TestWebhookPOSTWithoutRequestBody(t *testing.T) {
	hook := newHookServer(t, answer(200, `{"x-hasura-role":"user"}`))
	a := mustNew(t, Config{AdminSecret: "x", AuthHook: hook.URL, AuthHookMode: "post"}, WithLogger(quiet))
	if _, err := a.Authenticate(request(nil), []byte(`{"query":"{ secret }"}`)); err != nil {
		t.Fatal(err)
	}
	if _, sent := hook.lastRequest(); strings.Contains(string(sent), "request") || !strings.Contains(string(sent), `"headers"`) {
		t.Fatalf("payload %s", sent)
	}
}

func TestWebhookErrors(t *testing.T) {
	hook := newHookServer(t, nil)
	a := hookAuth(t, hook.URL, "GET")
	cases := []struct {
		name    string
		handler http.HandlerFunc
		status  int
		code    string
		msg     string
	}{
		{"unauthorized", answer(401, `{}`), 401, "access-denied", "Authentication hook unauthorized this request"},
		{"server error", answer(500, `oops`), 500, "unexpected", "Invalid response from authorization hook"},
		{"forbidden", answer(403, `{"x-hasura-role":"user"}`), 500, "unexpected", "Invalid response from authorization hook"},
		{"not json", answer(200, `<html>`), 500, "unexpected", "Invalid response from authorization hook: Error in $: Failed reading: not a valid json value"},
		{"not an object", answer(200, `["x-hasura-role"]`), 500, "unexpected",
			"Invalid response from authorization hook: Error in $: parsing HashMap ~Text failed, expected Object, but encountered Array"},
		{"number value", answer(200, `{"x-hasura-role":"user","x-hasura-user-id":5}`), 500, "unexpected",
			`Invalid response from authorization hook: Error in $["x-hasura-user-id"]: parsing Text failed, expected String, but encountered Number`},
		{"no role", answer(200, `{"x-hasura-user-id":"5"}`), 400, "invalid-params", "x-hasura-role not found in session variables"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hook.setHandler(tc.handler)
			_, err := a.Authenticate(request(nil), nil)
			wantError(t, err, tc.status, tc.code, tc.msg)
		})
	}

	// A hook that does not answer in time.
	release := make(chan struct{})
	defer close(release)
	hook.setHandler(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	slow := hookAuth(t, hook.URL, "GET", WithHookTimeout(50*time.Millisecond))
	_, err := slow.Authenticate(request(nil), nil)
	wantError(t, err, 500, "unexpected", "webhook authentication request failed")

	// A hook that cannot be reached.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err = hookAuth(t, closed.URL, "GET").Authenticate(request(nil), nil)
	wantError(t, err, 500, "unexpected", "webhook authentication request failed")
}

func TestWebhookCache(t *testing.T) {
	clock := newClock()
	hook := newHookServer(t, answer(200, `{"x-hasura-role":"user","x-hasura-user-id":"1","Cache-Control":"max-age=60"}`))
	a := hookAuth(t, hook.URL, "GET", WithClock(clock.Now), WithHookCacheSize(2))
	alice := map[string]string{"Authorization": "Bearer alice"}

	s, err := a.Authenticate(request(alice), nil)
	if err != nil || !s.Expires.Equal(clock.Now().Add(time.Minute)) {
		t.Fatalf("%+v %v", s, err)
	}
	s.Vars["x-hasura-user-id"] = "tampered"
	clock.Advance(30 * time.Second)
	s, err = a.Authenticate(request(alice), nil)
	if err != nil || s.Vars["x-hasura-user-id"] != "1" || hook.calls.Load() != 1 {
		t.Fatalf("cached answer: %+v %v calls=%d", s, err, hook.calls.Load())
	}
	// Other headers are another cache entry.
	if _, err := a.Authenticate(request(map[string]string{"Authorization": "Bearer bob"}), nil); err != nil || hook.calls.Load() != 2 {
		t.Fatalf("bob: %v calls=%d", err, hook.calls.Load())
	}
	// Expired answers are asked again.
	clock.Advance(31 * time.Second)
	if _, err := a.Authenticate(request(alice), nil); err != nil || hook.calls.Load() != 3 {
		t.Fatalf("expired: %v calls=%d", err, hook.calls.Load())
	}
	// The cache stays within its bound.
	if _, err := a.Authenticate(request(map[string]string{"Authorization": "Bearer carol"}), nil); err != nil {
		t.Fatal(err)
	}
	if n := a.hook.cache.len(); n != 2 {
		t.Fatalf("cache holds %d entries", n)
	}

	// Answers without expiry, and denials, are not cached.
	hook.setHandler(answer(200, `{"x-hasura-role":"user"}`))
	dave := map[string]string{"Authorization": "Bearer dave"}
	for range 2 {
		if _, err := a.Authenticate(request(dave), nil); err != nil {
			t.Fatal(err)
		}
	}
	if hook.calls.Load() != 6 {
		t.Fatalf("uncacheable answers: calls=%d", hook.calls.Load())
	}

	// Expires in the answer also works.
	hook.setHandler(answer(200, `{"x-hasura-role":"user","Expires":"`+clock.Now().Add(time.Hour).UTC().Format(http.TimeFormat)+`"}`))
	erin := map[string]string{"Authorization": "Bearer erin"}
	for range 2 {
		if _, err := a.Authenticate(request(erin), nil); err != nil {
			t.Fatal(err)
		}
	}
	if hook.calls.Load() != 7 {
		t.Fatalf("Expires answer: calls=%d", hook.calls.Load())
	}
}

func TestWebhookSetCookie(t *testing.T) {
	hook := newHookServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "session=renewed; HttpOnly")
		answer(200, `{"x-hasura-role":"user"}`)(w, r)
	})
	a := hookAuth(t, hook.URL, "GET")
	res, err := a.Resolve(request(nil), nil)
	if err != nil || len(res.SetCookie) != 1 || res.SetCookie[0] != "session=renewed; HttpOnly" {
		t.Fatalf("%+v %v", res, err)
	}
}

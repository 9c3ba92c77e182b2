package idp

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestCheckMgmtInput(t *testing.T) {
	var seen string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
		w.WriteHeader(http.StatusNoContent)
	})
	h := (&IdP{}).checkMgmtInput(next)
	for _, c := range []struct {
		method, target, body string
		want                 int
	}{
		{"GET", "/users?page=2&per_page=10", "", http.StatusNoContent},
		{"GET", "/users?page=-1", "", http.StatusBadRequest},
		{"GET", "/users?page=99999999999", "", http.StatusBadRequest},
		{"GET", "/users?page=x", "", http.StatusBadRequest},
		{"GET", "/clients/%00", "", http.StatusBadRequest},
		{"GET", "/users/%ff", "", http.StatusBadRequest},
		{"GET", "/users?q=%00", "", http.StatusBadRequest},
		{"GET", "/users?q=%zz", "", http.StatusBadRequest},
		{"POST", "/clients", `{"name": "a\u0000b"}`, http.StatusBadRequest},
		{"POST", "/clients", `{"a\u0000": 1}`, http.StatusBadRequest},
		{"POST", "/clients", "{\"name\": \"\xff\"}", http.StatusBadRequest},
		{"POST", "/clients", `{"name": "x",}`, http.StatusBadRequest},
		{"POST", "/clients", `{"name": "a\\u0000 is fine", "n": "\u00e9"}`, http.StatusNoContent},
		{"POST", "/clients/x/rotate-secret", "", http.StatusNoContent},
	} {
		seen = ""
		req := httptest.NewRequest(c.method, "http://x"+c.target, strings.NewReader(c.body))
		if c.body == "" {
			req.Body = http.NoBody
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s %s %q: %d %s, want %d", c.method, c.target, c.body, rec.Code, rec.Body, c.want)
			continue
		}
		if c.want == http.StatusBadRequest {
			var e mgmtError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.StatusCode != 400 || e.Message == "" {
				t.Errorf("%s %s: not Auth0's error shape: %s", c.method, c.target, rec.Body)
			}
		} else if seen != c.body {
			t.Errorf("%s %s: the handler read %q, want %q", c.method, c.target, seen, c.body)
		}
	}
}

func TestParamsRefusesNULAndInvalidUTF8(t *testing.T) {
	for _, c := range []struct {
		ct, body string
		ok       bool
	}{
		{"application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=abc", true},
		{"application/x-www-form-urlencoded", "client_id=%00", false},
		{"application/x-www-form-urlencoded", "client_id=%ff%fe", false},
		{"application/x-www-form-urlencoded", "a%00=1", false},
		{"application/json", `{"client_id": "abc", "n": 1}`, true},
		{"application/json", `{"client_id": "a\u0000"}`, false},
		{"application/json", "{\"client_id\": \"\xff\"}", false},
		{"application/json", `{"client_id": `, false},
	} {
		req := httptest.NewRequest("POST", "http://x/oauth/token", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ct)
		v, err := params(req)
		if c.ok && (err != nil || v.Get("client_id") != "abc") {
			t.Errorf("%s %q: %v %v", c.ct, c.body, v, err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s %q: accepted as %v", c.ct, c.body, v)
		}
	}
}

func TestErrorsForValuesTooLong(t *testing.T) {
	for _, code := range []string{"54000", "22001"} {
		rec := httptest.NewRecorder()
		(&IdP{}).writeMgmtError(rec, fmt.Errorf("create user: %w", &pgconn.PgError{Code: code, Message: "index row size exceeds btree maximum"}))
		if rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), "btree") {
			t.Errorf("%s: %d %s", code, rec.Code, rec.Body)
		}
		rec = httptest.NewRecorder()
		(&IdP{}).writeOAuthError(rec, fmt.Errorf("signup: %w", &pgconn.PgError{Code: code, Message: "value too long for type character varying(255)"}))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "invalid_request") {
			t.Errorf("OAuth %s: %d %s", code, rec.Code, rec.Body)
		}
	}
}

package mgmtclient

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestIssuer(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cases := []struct{ issuer, port, want string }{
		{"", "", "http://localhost:8080/auth/"},
		{"", "9090", "http://localhost:9090/auth/"},
		{"https://id.example.com/auth", "9090", "https://id.example.com/auth/"},
		{"https://id.example.com/", "", "https://id.example.com/"},
	}
	for _, c := range cases {
		env["HASURA_GRAPHQL_SERVER_PORT"] = c.port
		if got := Issuer(c.issuer, getenv); got != c.want {
			t.Errorf("Issuer(%q) with port %q = %q, want %q", c.issuer, c.port, got, c.want)
		}
	}
}

func TestCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Invalid admin secret"}`)
			return
		}
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = io.Copy(w, r.Body)
	}))
	defer srv.Close()
	c := Client{Issuer: srv.URL + "/auth/", Secret: "s3cret", Timeout: 5 * time.Second, Command: "postgate test"}
	var out, errb bytes.Buffer
	if code := c.Call(context.Background(), "POST", "clients", map[string]any{"name": "x"}, &out, &errb); code != 0 || out.String() != "{\n  \"name\": \"x\"\n}\n" {
		t.Fatalf("post: %d %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := c.Call(context.Background(), "DELETE", "clients/1", nil, &out, &errb); code != 0 || out.String() != "ok\n" {
		t.Fatalf("delete: %d %q %q", code, out.String(), errb.String())
	}
	c.Secret = "wrong"
	errb.Reset()
	if code := c.Call(context.Background(), "GET", "clients", nil, &out, &errb); code != 1 ||
		!strings.HasPrefix(errb.String(), "postgate test: GET "+srv.URL+"/auth/api/v2/clients: 401 Unauthorized\n") ||
		!strings.Contains(errb.String(), "Invalid admin secret") {
		t.Fatalf("refused: %d %q", code, errb.String())
	}
}

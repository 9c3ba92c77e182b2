//go:build !appready

package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// startServer stands in until the application package is wired: every
// endpoint answers 404, so the runner reports honest (zero) numbers.
func startServer(t *testing.T, dbURL string) string {
	t.Helper()
	t.Log("internal/app is not available yet: every endpoint answers 404")
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	return srv.URL
}

package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
)

// startServer runs the real Postgate server in-process on database dbURL,
// configured as Hasura's test runs were plus the extra variables, and
// returns its base URL.
func startServer(t *testing.T, dbURL string, extra map[string]string) string {
	t.Helper()
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":            dbURL,
		"HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES": "true",
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES":       "startup",
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, warnings, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	for _, w := range warnings {
		t.Logf("config warning: %s", w)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return srv.URL
}

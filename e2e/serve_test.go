package e2e

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
)

// serveOn builds Postgate from the settings in env (logging to logger, which
// may be nil) and serves it on ln until the test ends, when it is stopped
// and awaited.
func serveOn(t testing.TB, ln net.Listener, env map[string]string, logger *slog.Logger) *app.App {
	t.Helper()
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		ln.Close()
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("app.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Log("the server did not stop within 15s")
		}
	})
	return a
}

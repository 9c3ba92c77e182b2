package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, warns, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings = %v", warns)
	}
	if c.Port != 8080 || c.Host != "*" || c.ListenAddr() != ":8080" {
		t.Errorf("listen = %q %d %q", c.Host, c.Port, c.ListenAddr())
	}
	for _, lt := range []string{"startup", "http-log", "webhook-log", "websocket-log"} {
		if !c.LogTypeEnabled(lt) {
			t.Errorf("log type %s not enabled by default", lt)
		}
	}
	if c.LogTypeEnabled("query-log") {
		t.Error("query-log enabled by default")
	}
	if c.LogLevel != slog.LevelInfo || c.DevMode || c.StringifyNumeric || c.EnableConsole || !c.QueryCoalescing {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if !c.CORS.AllowAll || c.CORS.Disabled {
		t.Errorf("CORS = %+v", c.CORS)
	}
	want := Pool{MaxConnections: 50, IdleTimeout: 180 * time.Second, ConnLifetime: 600 * time.Second, UsePreparedStatements: true}
	if c.Pool != want {
		t.Errorf("Pool = %+v, want %+v", c.Pool, want)
	}
	if c.DataDir != "./postgate-data" || c.MaxBodyBytes != 10<<20 || c.Auth.AuthHookMode != "GET" {
		t.Errorf("DataDir %q MaxBodyBytes %d mode %q", c.DataDir, c.MaxBodyBytes, c.Auth.AuthHookMode)
	}
	if c.DatabaseURL != "" || c.MetadataURL() != "" {
		t.Errorf("database URL default = %q", c.DatabaseURL)
	}
	if !c.InferFunctionPermissions || c.DefaultNamingConvention != "hasura-default" || c.LiveQueries.RefetchDelayMS != 1000 {
		t.Errorf("feature defaults: %+v", c)
	}
	if want := (WebSocket{KeepAlive: 5 * time.Second, InitTimeout: 3 * time.Second, CloseOnMetadataChange: true}); c.WebSocket != want {
		t.Errorf("WebSocket = %+v, want %+v", c.WebSocket, want)
	}
}

func TestLoadValues(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c *Config)
	}{
		{"port from env", nil, map[string]string{"HASURA_GRAPHQL_SERVER_PORT": "9090"},
			func(t *testing.T, c *Config) { eq(t, c.Port, 9090) }},
		{"flag wins over env", []string{"--server-port", "7070"}, map[string]string{"HASURA_GRAPHQL_SERVER_PORT": "9090"},
			func(t *testing.T, c *Config) { eq(t, c.Port, 7070) }},
		{"flag with equals", []string{"--server-port=7071", "--server-host=127.0.0.1"}, nil,
			func(t *testing.T, c *Config) { eq(t, c.ListenAddr(), "127.0.0.1:7071") }},
		{"database urls", []string{"--database-url", "postgres://a/b"}, map[string]string{"HASURA_GRAPHQL_METADATA_DATABASE_URL": "postgres://m/n"},
			func(t *testing.T, c *Config) {
				eq(t, c.DatabaseURL, "postgres://a/b")
				eq(t, c.MetadataURL(), "postgres://m/n")
			}},
		{"metrics secret", nil, map[string]string{"HASURA_GRAPHQL_METRICS_SECRET": "s3cret"},
			func(t *testing.T, c *Config) { eq(t, c.MetricsSecret, "s3cret") }},
		{"metrics secret flag", []string{"--metrics-secret", "flag"}, nil,
			func(t *testing.T, c *Config) { eq(t, c.MetricsSecret, "flag") }},
		{"metadata url defaults to data url", nil, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://a/b"},
			func(t *testing.T, c *Config) { eq(t, c.MetadataURL(), "postgres://a/b") }},
		{"switch flags", []string{"--dev-mode", "--enable-console", "--stringify-numeric-types", "--disable-cors"}, nil,
			func(t *testing.T, c *Config) {
				eq(t, c.DevMode, true)
				eq(t, c.EnableConsole, true)
				eq(t, c.StringifyNumeric, true)
				eq(t, c.CORS.Disabled, true)
			}},
		{"bool spellings", nil, map[string]string{"HASURA_GRAPHQL_DEV_MODE": "T", "HASURA_GRAPHQL_USE_PREPARED_STATEMENTS": "no", "POSTGATE_QUERY_COALESCING": "false"},
			func(t *testing.T, c *Config) {
				eq(t, c.DevMode, true)
				eq(t, c.Pool.UsePreparedStatements, false)
				eq(t, c.QueryCoalescing, false)
			}},
		{"log types and level", nil, map[string]string{"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup,query-log", "HASURA_GRAPHQL_LOG_LEVEL": "DEBUG"},
			func(t *testing.T, c *Config) {
				eq(t, c.LogTypeEnabled("query-log"), true)
				eq(t, c.LogTypeEnabled("http-log"), false)
				eq(t, c.LogLevel, slog.LevelDebug)
			}},
		{"pool settings", []string{"--connections", "7"}, map[string]string{"HASURA_GRAPHQL_PG_TIMEOUT": "5", "HASURA_GRAPHQL_PG_CONN_LIFETIME": "0", "HASURA_GRAPHQL_PG_POOL_TIMEOUT": "3"},
			func(t *testing.T, c *Config) {
				eq(t, c.Pool, Pool{MaxConnections: 7, IdleTimeout: 5 * time.Second, PoolTimeout: 3 * time.Second, UsePreparedStatements: true})
			}},
		{"cors list", nil, map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://app.example.com, https://*.foo.com:8080"},
			func(t *testing.T, c *Config) {
				eq(t, c.CORS.AllowAll, false)
				eq(t, strings.Join(c.CORS.Domains, " "), "https://app.example.com https://*.foo.com:8080")
			}},
		{"auth raw", []string{"--jwt-secret", `{"type":"HS256","key":"k"}`}, map[string]string{
			"HASURA_GRAPHQL_ADMIN_SECRET": "s3cret", "HASURA_GRAPHQL_AUTH_HOOK": "http://hook", "HASURA_GRAPHQL_AUTH_HOOK_MODE": "post",
			"HASURA_GRAPHQL_UNAUTHORIZED_ROLE": "anonymous", "HASURA_GRAPHQL_ADMIN_SECRETS": `["a","b"]`, "HASURA_GRAPHQL_JWT_SECRETS": "[]"},
			func(t *testing.T, c *Config) {
				eq(t, c.Auth, Auth{AdminSecret: "s3cret", AdminSecrets: `["a","b"]`, JWTSecret: `{"type":"HS256","key":"k"}`, JWTSecrets: "[]",
					AuthHook: "http://hook", AuthHookMode: "POST", AuthHookSendRequestBody: true, UnauthorizedRole: "anonymous"})
			}},
		{"legacy access key", nil, map[string]string{"HASURA_GRAPHQL_ACCESS_KEY": "old"},
			func(t *testing.T, c *Config) { eq(t, c.Auth.AdminSecret, "old") }},
		{"data dir and demo", []string{"--data-dir", "/tmp/x", "--demo"}, nil,
			func(t *testing.T, c *Config) {
				eq(t, c.DataDir, "/tmp/x")
				eq(t, c.Demo, true)
			}},
		{"idp settings raw", nil, map[string]string{"POSTGATE_AUTH_ENABLED": "true", "POSTGATE_AUTH_ISSUER": "http://x/auth/"},
			func(t *testing.T, c *Config) {
				eq(t, c.IdP["POSTGATE_AUTH_ENABLED"], "true")
				eq(t, c.IdP["POSTGATE_AUTH_ISSUER"], "http://x/auth/")
			}},
		{"experimental features", nil, map[string]string{"HASURA_GRAPHQL_EXPERIMENTAL_FEATURES": "naming_convention, inherited_roles", "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION": "graphql-default"},
			func(t *testing.T, c *Config) {
				eq(t, strings.Join(c.ExperimentalFeatures, ","), "naming_convention,inherited_roles")
				eq(t, c.DefaultNamingConvention, "graphql-default")
			}},
		{"websocket settings", nil, map[string]string{"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE": "12", "HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT": "7",
			"HASURA_GRAPHQL_WS_READ_COOKIE": "true", "HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE": "false"},
			func(t *testing.T, c *Config) {
				eq(t, c.WebSocket, WebSocket{KeepAlive: 12 * time.Second, InitTimeout: 7 * time.Second, ReadCookie: true})
			}},
		{"websocket flags", []string{"--websocket-keepalive", "2", "--websocket-connection-init-timeout=9", "--ws-read-cookie", "--close-websockets-on-metadata-change=false"}, nil,
			func(t *testing.T, c *Config) {
				eq(t, c.WebSocket, WebSocket{KeepAlive: 2 * time.Second, InitTimeout: 9 * time.Second, ReadCookie: true})
			}},
		{"hasura's switch off close on metadata change", []string{"--disable-close-websockets-on-metadata-change"}, nil,
			func(t *testing.T, c *Config) { eq(t, c.WebSocket.CloseOnMetadataChange, false) }},
		{"body limit and shutdown", nil, map[string]string{"POSTGATE_MAX_BODY_BYTES": "2048", "HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT": "5"},
			func(t *testing.T, c *Config) {
				eq(t, c.MaxBodyBytes, int64(2048))
				eq(t, c.GracefulShutdownTimeout, 5*time.Second)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Load(tt.args, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // the setting named in the message
	}{
		{"port not a number", nil, map[string]string{"HASURA_GRAPHQL_SERVER_PORT": "abc"}, "HASURA_GRAPHQL_SERVER_PORT"},
		{"port out of range", []string{"--server-port", "70000"}, nil, "--server-port"},
		{"bool maybe", nil, map[string]string{"HASURA_GRAPHQL_DEV_MODE": "maybe"}, "HASURA_GRAPHQL_DEV_MODE"},
		{"bool flag maybe", []string{"--enable-console=maybe"}, nil, "--enable-console"},
		{"bad log type", nil, map[string]string{"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup, nope-log"}, "HASURA_GRAPHQL_ENABLED_LOG_TYPES"},
		{"bad log level", nil, map[string]string{"HASURA_GRAPHQL_LOG_LEVEL": "loud"}, "HASURA_GRAPHQL_LOG_LEVEL"},
		{"bad connections", nil, map[string]string{"HASURA_GRAPHQL_PG_CONNECTIONS": "0"}, "HASURA_GRAPHQL_PG_CONNECTIONS"},
		{"bad timeout", nil, map[string]string{"HASURA_GRAPHQL_PG_TIMEOUT": "-1"}, "HASURA_GRAPHQL_PG_TIMEOUT"},
		{"bad cors", nil, map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "example.com"}, "HASURA_GRAPHQL_CORS_DOMAIN"},
		{"bad cors wildcard", nil, map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://foo.*.com"}, "HASURA_GRAPHQL_CORS_DOMAIN"},
		{"bad hook mode", nil, map[string]string{"HASURA_GRAPHQL_AUTH_HOOK_MODE": "PUT"}, "HASURA_GRAPHQL_AUTH_HOOK_MODE"},
		{"bad host", nil, map[string]string{"HASURA_GRAPHQL_SERVER_HOST": "a b"}, "HASURA_GRAPHQL_SERVER_HOST"},
		{"bad naming", nil, map[string]string{"HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION": "camel"}, "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION"},
		{"bad keepalive", nil, map[string]string{"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE": "0"}, "HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE"},
		{"bad keepalive text", nil, map[string]string{"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE": "5s"}, "HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE"},
		{"bad init timeout", []string{"--websocket-connection-init-timeout", "-3"}, nil, "--websocket-connection-init-timeout"},
		{"bad ws read cookie", nil, map[string]string{"HASURA_GRAPHQL_WS_READ_COOKIE": "sometimes"}, "HASURA_GRAPHQL_WS_READ_COOKIE"},
		{"bad close on metadata change", nil, map[string]string{"HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE": "maybe"}, "HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE"},
		{"bad disable close on metadata change", []string{"--disable-close-websockets-on-metadata-change=maybe"}, nil, "-disable-close-websockets-on-metadata-change"},
		{"unknown flag", []string{"--no-such-flag"}, nil, "-no-such-flag"},
		{"stray argument", []string{"extra"}, nil, `"extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Load(tt.args, env(tt.env))
			if err == nil {
				t.Fatal("expected an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q should be one line naming %s", msg, tt.want)
			}
		})
	}
}

func TestLoadWarnsAboutNotImplemented(t *testing.T) {
	_, warns, err := Load(nil, env(map[string]string{
		"HASURA_GRAPHQL_ENABLE_TELEMETRY":      "false",
		"HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE": "10",
	}))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(warns, "\n")
	for _, name := range []string{"HASURA_GRAPHQL_ENABLE_TELEMETRY", "HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE"} {
		if !strings.Contains(joined, name) {
			t.Errorf("no warning names %s: %v", name, warns)
		}
	}
	if len(warns) != 2 {
		t.Errorf("warnings = %v", warns)
	}
}

// TestLoadWebSocketSettingsDoNotWarn: the WebSocket settings are
// implemented, so setting them produces no "not implemented" warning.
func TestLoadWebSocketSettingsDoNotWarn(t *testing.T) {
	_, warns, err := Load(nil, env(map[string]string{
		"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE":                 "10",
		"HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT":   "10",
		"HASURA_GRAPHQL_WS_READ_COOKIE":                      "true",
		"HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings = %v", warns)
	}
}

func TestCORSAllows(t *testing.T) {
	c := CORS{Domains: []string{"https://app.example.com", "https://*.foo.com:8080", "http://localhost:3000"}}
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://app.example.com", true},
		{"https://APP.example.com", true},
		{"http://app.example.com", false},
		{"https://a.foo.com:8080", true},
		{"https://a.b.foo.com:8080", true},
		{"https://foo.com:8080", false},
		{"https://a.foo.com", false},
		{"https://evilfoo.com:8080", false},
		{"http://localhost:3000", true},
		{"http://localhost:3001", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := c.Allows(tt.origin); got != tt.want {
			t.Errorf("Allows(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
	if !(CORS{AllowAll: true}).Allows("https://anything") {
		t.Error("AllowAll should allow any origin")
	}
}

func eq[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

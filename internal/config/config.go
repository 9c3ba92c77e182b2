// Package config holds Postgate's start-up configuration. Load is the only way
// to obtain a Config: it reads Hasura's HASURA_GRAPHQL_* environment variables
// and `postgate serve` flags (flags win), applies Hasura's defaults and
// validates every value.
package config

import (
	"log/slog"
	"time"
)

// Config is the validated configuration of one Postgate process.
type Config struct {
	// DatabaseURL is the data database; empty means the embedded default.
	DatabaseURL string
	// MetadataDatabaseURL is where hdb_catalog lives; empty means DatabaseURL.
	MetadataDatabaseURL string

	// Host is the listen address; "*" means all interfaces.
	Host string
	// Port is the listen port.
	Port int

	// LogTypes is the set of enabled Hasura log types.
	LogTypes map[string]bool
	// LogLevel is the minimum level logged.
	LogLevel slog.Level

	// DevMode adds internal details to error responses.
	DevMode bool
	// AdminInternalErrors adds internal details to admin error responses.
	AdminInternalErrors bool
	// StringifyNumeric sends bigint/numeric/double precision values as strings.
	StringifyNumeric bool
	// EnableConsole serves the console on /console.
	EnableConsole bool
	// ConsoleAssetsDir is served instead of the built-in console assets when set.
	ConsoleAssetsDir string

	// CORS is the cross-origin policy.
	CORS CORS

	// Pool holds the connection pool settings of both databases.
	Pool Pool

	// Auth holds the authentication settings, kept raw for the auth package.
	Auth Auth

	// IdP holds the POSTGATE_AUTH_* settings of the identity provider, raw.
	IdP map[string]string

	// DataDir is the embedded cluster's directory (POSTGATE_DATA_DIR).
	DataDir string
	// QueryCoalescing lets identical queries that wait at the same time
	// share one database execution (POSTGATE_QUERY_COALESCING, default true).
	QueryCoalescing bool
	// MaxBodyBytes limits request bodies.
	MaxBodyBytes int64
	// GracefulShutdownTimeout bounds the drain of in-flight requests on exit.
	GracefulShutdownTimeout time.Duration
	// Demo asks `serve` to set up the demo project (--demo).
	Demo bool
	// MetricsSecret is HASURA_GRAPHQL_METRICS_SECRET: the bearer token
	// /v1/metrics requires; when empty, /v1/metrics is admin only.
	MetricsSecret string

	// InferFunctionPermissions is Hasura's HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS.
	InferFunctionPermissions bool
	// RemoteSchemaPermissions is HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS.
	RemoteSchemaPermissions bool
	// EnableAllowlist is HASURA_GRAPHQL_ENABLE_ALLOWLIST.
	EnableAllowlist bool
	// ExperimentalFeatures lists HASURA_GRAPHQL_EXPERIMENTAL_FEATURES.
	ExperimentalFeatures []string
	// DefaultNamingConvention is "hasura-default" or "graphql-default".
	DefaultNamingConvention string
	// LiveQueries holds the live query polling settings.
	LiveQueries Polling
	// StreamingQueries holds the streaming subscription polling settings.
	StreamingQueries Polling
	// WebSocket holds the GraphQL over WebSocket settings.
	WebSocket WebSocket
}

// WebSocket holds the settings of GraphQL over WebSocket.
type WebSocket struct {
	// KeepAlive is the interval of keep-alive messages
	// (HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE, seconds; default 5).
	KeepAlive time.Duration
	// InitTimeout is how long a graphql-transport-ws client may take to send
	// connection_init (HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT,
	// seconds; default 3).
	InitTimeout time.Duration
	// ReadCookie keeps the upgrade request's Cookie header for
	// authentication when CORS is disabled (HASURA_GRAPHQL_WS_READ_COOKIE).
	ReadCookie bool
	// CloseOnMetadataChange closes every connection with code 1012 when the
	// metadata changes (HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE;
	// default true).
	CloseOnMetadataChange bool
}

// CORS is the cross-origin policy (HASURA_GRAPHQL_CORS_DOMAIN,
// HASURA_GRAPHQL_DISABLE_CORS).
type CORS struct {
	// Disabled turns CORS handling off entirely.
	Disabled bool
	// AllowAll accepts every origin ("*").
	AllowAll bool
	// Domains lists the allowed origins; entries may hold one "*" wildcard in
	// the host, as in "https://*.example.com:8080".
	Domains []string
}

// Pool holds connection pool settings (Hasura's PG_* variables).
type Pool struct {
	// MaxConnections is the pool size (HASURA_GRAPHQL_PG_CONNECTIONS).
	MaxConnections int
	// IdleTimeout closes idle connections (HASURA_GRAPHQL_PG_TIMEOUT).
	IdleTimeout time.Duration
	// ConnLifetime recycles connections; 0 means never (HASURA_GRAPHQL_PG_CONN_LIFETIME).
	ConnLifetime time.Duration
	// PoolTimeout bounds the wait for a free connection; 0 means no limit.
	PoolTimeout time.Duration
	// UsePreparedStatements enables server-side prepared statements.
	UsePreparedStatements bool
}

// Auth holds the authentication settings exactly as given.
type Auth struct {
	AdminSecret             string // HASURA_GRAPHQL_ADMIN_SECRET (or legacy ACCESS_KEY)
	AdminSecrets            string // HASURA_GRAPHQL_ADMIN_SECRETS: JSON list
	JWTSecret               string // HASURA_GRAPHQL_JWT_SECRET: JSON object
	JWTSecrets              string // HASURA_GRAPHQL_JWT_SECRETS: JSON list
	AuthHook                string // HASURA_GRAPHQL_AUTH_HOOK: webhook URL
	AuthHookMode            string // HASURA_GRAPHQL_AUTH_HOOK_MODE: GET or POST
	AuthHookSendRequestBody bool   // HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY
	UnauthorizedRole        string // HASURA_GRAPHQL_UNAUTHORIZED_ROLE
}

// Polling holds subscription polling settings.
type Polling struct {
	BatchSize      int
	RefetchDelayMS int
}

// ListenAddr returns the address for net.Listen ("*" becomes all interfaces).
func (c *Config) ListenAddr() string {
	host := c.Host
	if host == "*" {
		host = ""
	}
	return joinHostPort(host, c.Port)
}

// MetadataURL returns the metadata database URL (the data database when unset).
func (c *Config) MetadataURL() string {
	if c.MetadataDatabaseURL != "" {
		return c.MetadataDatabaseURL
	}
	return c.DatabaseURL
}

// LogTypeEnabled reports whether log type t is enabled.
func (c *Config) LogTypeEnabled(t string) bool { return c.LogTypes[t] }

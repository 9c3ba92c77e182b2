package config

// setting is one configuration knob: its environment variable, its
// `postgate serve` flag, its default, and whether the flag is a switch
// (`--dev-mode` rather than `--dev-mode VALUE`).
type setting struct {
	env    string
	flag   string
	def    string
	isBool bool
}

// Names of the settings Postgate implements.
const (
	envDatabaseURL         = "HASURA_GRAPHQL_DATABASE_URL"
	envMetadataDatabaseURL = "HASURA_GRAPHQL_METADATA_DATABASE_URL"
	envServerPort          = "HASURA_GRAPHQL_SERVER_PORT"
	envServerHost          = "HASURA_GRAPHQL_SERVER_HOST"
	envLogTypes            = "HASURA_GRAPHQL_ENABLED_LOG_TYPES"
	envLogLevel            = "HASURA_GRAPHQL_LOG_LEVEL"
	envDevMode             = "HASURA_GRAPHQL_DEV_MODE"
	envAdminInternalErrors = "HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS"
	envStringifyNumeric    = "HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES"
	envCORSDomain          = "HASURA_GRAPHQL_CORS_DOMAIN"
	envDisableCORS         = "HASURA_GRAPHQL_DISABLE_CORS"
	envEnableConsole       = "HASURA_GRAPHQL_ENABLE_CONSOLE"
	envConsoleAssetsDir    = "HASURA_GRAPHQL_CONSOLE_ASSETS_DIR"
	envPGConnections       = "HASURA_GRAPHQL_PG_CONNECTIONS"
	envPGTimeout           = "HASURA_GRAPHQL_PG_TIMEOUT"
	envPGConnLifetime      = "HASURA_GRAPHQL_PG_CONN_LIFETIME"
	envPGPoolTimeout       = "HASURA_GRAPHQL_PG_POOL_TIMEOUT"
	envPreparedStatements  = "HASURA_GRAPHQL_USE_PREPARED_STATEMENTS"
	envAdminSecret         = "HASURA_GRAPHQL_ADMIN_SECRET"
	envAccessKey           = "HASURA_GRAPHQL_ACCESS_KEY"
	envAdminSecrets        = "HASURA_GRAPHQL_ADMIN_SECRETS"
	envJWTSecret           = "HASURA_GRAPHQL_JWT_SECRET"
	envJWTSecrets          = "HASURA_GRAPHQL_JWT_SECRETS"
	envAuthHook            = "HASURA_GRAPHQL_AUTH_HOOK"
	envAuthHookMode        = "HASURA_GRAPHQL_AUTH_HOOK_MODE"
	envAuthHookSendBody    = "HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY"
	envUnauthorizedRole    = "HASURA_GRAPHQL_UNAUTHORIZED_ROLE"
	envGracefulShutdown    = "HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT"
	envInferFunctionPerms  = "HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS"
	envRemoteSchemaPerms   = "HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS"
	envEnableAllowlist     = "HASURA_GRAPHQL_ENABLE_ALLOWLIST"
	envExperimental        = "HASURA_GRAPHQL_EXPERIMENTAL_FEATURES"
	envNamingConvention    = "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION"
	envLQBatchSize         = "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE"
	envLQRefetch           = "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL"
	envSQBatchSize         = "HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE"
	envSQRefetch           = "HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL"
	envDataDir             = "POSTGATE_DATA_DIR"
	envMaxBodyBytes        = "POSTGATE_MAX_BODY_BYTES"
	envQueryCoalescing     = "POSTGATE_QUERY_COALESCING"
	envMetricsSecret       = "HASURA_GRAPHQL_METRICS_SECRET"
	envWSKeepAlive         = "HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE"
	envWSInitTimeout       = "HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT"
	envWSReadCookie        = "HASURA_GRAPHQL_WS_READ_COOKIE"
	envWSCloseOnMetadata   = "HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE"
)

// settings lists every implemented setting with Hasura's flag and default.
var settings = []setting{
	{env: envDatabaseURL, flag: "database-url"},
	{env: envMetadataDatabaseURL, flag: "metadata-database-url"},
	{env: envServerPort, flag: "server-port", def: "8080"},
	{env: envServerHost, flag: "server-host", def: "*"},
	{env: envLogTypes, flag: "enabled-log-types", def: "startup, http-log, webhook-log, websocket-log, jwk-refresh-log"},
	{env: envLogLevel, flag: "log-level", def: "info"},
	{env: envDevMode, flag: "dev-mode", def: "false", isBool: true},
	{env: envAdminInternalErrors, flag: "admin-internal-errors", def: "true"},
	{env: envStringifyNumeric, flag: "stringify-numeric-types", def: "false", isBool: true},
	{env: envCORSDomain, flag: "cors-domain", def: "*"},
	{env: envDisableCORS, flag: "disable-cors", def: "false", isBool: true},
	{env: envEnableConsole, flag: "enable-console", def: "false", isBool: true},
	{env: envConsoleAssetsDir, flag: "console-assets-dir"},
	{env: envPGConnections, flag: "connections", def: "50"},
	{env: envPGTimeout, flag: "timeout", def: "180"},
	{env: envPGConnLifetime, flag: "conn-lifetime", def: "600"},
	{env: envPGPoolTimeout, flag: "pool-timeout"},
	{env: envPreparedStatements, flag: "use-prepared-statements", def: "true"},
	{env: envAdminSecret, flag: "admin-secret"},
	{env: envAccessKey, flag: "access-key"},
	{env: envAdminSecrets, flag: "admin-secrets"},
	{env: envJWTSecret, flag: "jwt-secret"},
	{env: envJWTSecrets, flag: "jwt-secrets"},
	{env: envAuthHook, flag: "auth-hook"},
	{env: envAuthHookMode, flag: "auth-hook-mode", def: "GET"},
	{env: envAuthHookSendBody, flag: "auth-hook-send-request-body", def: "true"},
	{env: envUnauthorizedRole, flag: "unauthorized-role"},
	{env: envGracefulShutdown, flag: "graceful-shutdown-timeout", def: "60"},
	{env: envInferFunctionPerms, flag: "infer-function-permissions", def: "true"},
	{env: envRemoteSchemaPerms, flag: "enable-remote-schema-permissions", def: "false", isBool: true},
	{env: envEnableAllowlist, flag: "enable-allowlist", def: "false", isBool: true},
	{env: envExperimental, flag: "experimental-features"},
	{env: envNamingConvention, flag: "default-naming-convention", def: "hasura-default"},
	{env: envLQBatchSize, flag: "live-queries-multiplexed-batch-size", def: "100"},
	{env: envLQRefetch, flag: "live-queries-multiplexed-refetch-interval", def: "1000"},
	{env: envSQBatchSize, flag: "streaming-queries-multiplexed-batch-size", def: "100"},
	{env: envSQRefetch, flag: "streaming-queries-multiplexed-refetch-interval", def: "1000"},
	{env: envDataDir, flag: "data-dir", def: "./postgate-data"},
	{env: envMaxBodyBytes, flag: "max-body-bytes", def: "10485760"},
	{env: envQueryCoalescing, flag: "query-coalescing", def: "true"},
	{env: envMetricsSecret, flag: "metrics-secret"},
	{env: envWSKeepAlive, flag: "websocket-keepalive", def: "5"},
	{env: envWSInitTimeout, flag: "websocket-connection-init-timeout", def: "3"},
	{env: envWSReadCookie, flag: "ws-read-cookie", def: "false", isBool: true},
	{env: envWSCloseOnMetadata, flag: "close-websockets-on-metadata-change", def: "true"},
}

// validLogTypes are the log types HASURA_GRAPHQL_ENABLED_LOG_TYPES accepts.
var validLogTypes = []string{
	"startup", "http-log", "webhook-log", "websocket-log", "query-log", "execution-log",
	"livequery-poller-log", "action-handler-log", "data-connector-log", "jwk-refresh-log",
	"validate-input-log",
}

// idpSettings are the identity provider's POSTGATE_AUTH_* variables, passed
// through raw in Config.IdP.
var idpSettings = []string{
	"POSTGATE_AUTH_ENABLED",
	"POSTGATE_AUTH_ISSUER",
	"POSTGATE_AUTH_SCHEMA",
	"POSTGATE_AUTH_SIGNING_ALG",
	"POSTGATE_AUTH_ACCESS_TOKEN_TTL",
	"POSTGATE_AUTH_ID_TOKEN_TTL",
	"POSTGATE_AUTH_REFRESH_TOKEN_TTL",
	"POSTGATE_AUTH_SESSION_TTL",
	"POSTGATE_AUTH_ACTIONS_TIMEOUT",
	"POSTGATE_AUTH_ACTIONS_FETCH_TIMEOUT",
	"POSTGATE_AUTH_ACTIONS_ALLOWED_HOSTS",
	"POSTGATE_AUTH_ACTIONS_POOL_SIZE",
	"POSTGATE_AUTH_ALLOW_SIGNUP",
	"POSTGATE_AUTH_COOKIE_SECURE",
	"POSTGATE_AUTH_SECRET_KEY",
	"POSTGATE_AUTH_SMTP_URL",
	"POSTGATE_AUTH_REFRESH_TOKEN_LEEWAY",
	"POSTGATE_AUTH_TRUSTED_PROXIES",
}

// notImplemented lists Hasura settings Postgate accepts but does not act on
// yet; each one that is set produces a start-up warning.
var notImplemented = []string{
	"HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_BATCH_SIZE",
	"HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL",
	"HASURA_GRAPHQL_BACKWARDS_COMPAT_NULL_IN_NONNULLABLE_VARIABLES",
	"HASURA_GRAPHQL_CACHE_MAX_ENTRY_TTL",
	"HASURA_GRAPHQL_CONNECTION_COMPRESSION",
	"HASURA_GRAPHQL_CONNECTIONS_PER_READ_REPLICA",
	"HASURA_GRAPHQL_CONSOLE_SENTRY_DSN",
	"HASURA_GRAPHQL_DYNAMIC_SECRETS_ALLOWED_PATH_PREFIX",
	"HASURA_GRAPHQL_EE_LICENSE_KEY",
	"HASURA_GRAPHQL_ENABLE_APOLLO_FEDERATION",
	"HASURA_GRAPHQL_ENABLE_MAINTENANCE_MODE",
	"HASURA_GRAPHQL_ENABLE_METADATA_QUERY_LOGGING",
	"HASURA_GRAPHQL_ENABLE_PERSISTED_QUERIES",
	"HASURA_GRAPHQL_ENABLE_QUERY_TRACING",
	"HASURA_GRAPHQL_ENABLE_TELEMETRY",
	"HASURA_GRAPHQL_ENABLE_TRIGGERS_ERROR_LOG_LEVEL",
	"HASURA_GRAPHQL_ENABLED_APIS",
	"HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE",
	"HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL",
	"HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE",
	"HASURA_GRAPHQL_HTTP_LOG_QUERY_ONLY_ON_ERROR",
	"HASURA_GRAPHQL_JWT_SECRET_REFRESH_INTERVAL",
	"HASURA_GRAPHQL_MAX_CACHE_SIZE",
	"HASURA_GRAPHQL_MAX_TOTAL_HEADER_LENGTH",
	"HASURA_GRAPHQL_METADATA_DATABASE_EXTENSIONS_SCHEMA",
	"HASURA_GRAPHQL_METADATA_DEFAULTS",
	"HASURA_GRAPHQL_METRICS_ENABLE_HIGH_CARDINALITY_LABELS",
	"HASURA_GRAPHQL_MIGRATIONS_DATABASE_ENV_VAR",
	"HASURA_GRAPHQL_MIGRATIONS_DIR",
	"HASURA_GRAPHQL_METADATA_DIR",
	"HASURA_GRAPHQL_MIGRATIONS_SERVER_PORT",
	"HASURA_GRAPHQL_MIGRATIONS_SERVER_TIMEOUT",
	"HASURA_GRAPHQL_NO_OF_RETRIES",
	"HASURA_GRAPHQL_PERSISTED_QUERIES_TTL",
	"HASURA_GRAPHQL_PG_SSL_CERTIFICATE_PATH",
	"HASURA_GRAPHQL_PG_STRIPES",
	"HASURA_GRAPHQL_QUERY_PLAN_CACHE_SIZE",
	"HASURA_GRAPHQL_RATE_LIMIT_REDIS_URL",
	"HASURA_GRAPHQL_READ_REPLICA_URL",
	"HASURA_GRAPHQL_REDIS_URL",
	"HASURA_GRAPHQL_REMOTE_SCHEMA_SKIP_NULLS",
	"HASURA_GRAPHQL_SCHEDULED_EVENTS_FETCH_BATCH_SIZE",
	"HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL",
	"HASURA_GRAPHQL_SERVER_TIMEOUT",
	"HASURA_GRAPHQL_SSO_PROVIDERS",
	"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_DELAY",
	"HASURA_GRAPHQL_TX_ISOLATION",
	"HASURA_GRAPHQL_V1_BOOLEAN_NULL_COLLAPSE",
}

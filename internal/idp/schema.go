package idp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postgate/postgate/internal/sqlgen"
)

// schemaSQL creates the provider's tables; "%s" is the quoted schema name.
// Every statement is idempotent so start-up can run it each time.
const schemaSQL = `
CREATE SCHEMA IF NOT EXISTS %[1]s;
CREATE TABLE IF NOT EXISTS %[1]s.clients (
  client_id text PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  app_type text NOT NULL,
  secret_hash text NOT NULL DEFAULT '',
  callbacks text[] NOT NULL DEFAULT '{}',
  allowed_logout_urls text[] NOT NULL DEFAULT '{}',
  web_origins text[] NOT NULL DEFAULT '{}',
  allowed_origins text[] NOT NULL DEFAULT '{}',
  grant_types text[] NOT NULL DEFAULT '{}',
  token_endpoint_auth_method text NOT NULL,
  logo_uri text NOT NULL DEFAULT '',
  client_metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS %[1]s.resource_servers (
  id text PRIMARY KEY,
  identifier text NOT NULL UNIQUE,
  name text NOT NULL,
  signing_alg text NOT NULL DEFAULT 'RS256',
  token_lifetime integer NOT NULL DEFAULT 86400,
  token_lifetime_for_web integer NOT NULL DEFAULT 7200,
  allow_offline_access boolean NOT NULL DEFAULT false,
  enforce_policies boolean NOT NULL DEFAULT false,
  token_dialect text NOT NULL DEFAULT 'access_token',
  scopes jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS %[1]s.client_grants (
  id text PRIMARY KEY,
  client_id text NOT NULL REFERENCES %[1]s.clients ON DELETE CASCADE,
  audience text NOT NULL,
  scope text[] NOT NULL DEFAULT '{}',
  UNIQUE (client_id, audience)
);
CREATE TABLE IF NOT EXISTS %[1]s.users (
  user_id text PRIMARY KEY,
  email text,
  username text,
  password_hash text NOT NULL DEFAULT '',
  email_verified boolean NOT NULL DEFAULT false,
  name text NOT NULL DEFAULT '',
  nickname text NOT NULL DEFAULT '',
  given_name text NOT NULL DEFAULT '',
  family_name text NOT NULL DEFAULT '',
  picture text NOT NULL DEFAULT '',
  blocked boolean NOT NULL DEFAULT false,
  app_metadata jsonb NOT NULL DEFAULT '{}',
  user_metadata jsonb NOT NULL DEFAULT '{}',
  logins_count integer NOT NULL DEFAULT 0,
  last_login timestamptz,
  last_ip text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON %[1]s.users (lower(email));
CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON %[1]s.users (lower(username));
CREATE TABLE IF NOT EXISTS %[1]s.roles (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS %[1]s.role_permissions (
  role_id text NOT NULL REFERENCES %[1]s.roles ON DELETE CASCADE,
  resource_server_identifier text NOT NULL,
  permission_name text NOT NULL,
  PRIMARY KEY (role_id, resource_server_identifier, permission_name)
);
CREATE TABLE IF NOT EXISTS %[1]s.user_roles (
  user_id text NOT NULL REFERENCES %[1]s.users ON DELETE CASCADE,
  role_id text NOT NULL REFERENCES %[1]s.roles ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id)
);
CREATE TABLE IF NOT EXISTS %[1]s.signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  private_key bytea NOT NULL,
  state text NOT NULL CHECK (state IN ('next','current','previous','revoked')),
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz,
  retire_at timestamptz
);
CREATE TABLE IF NOT EXISTS %[1]s.auth_requests (
  id text PRIMARY KEY,
  client_id text NOT NULL,
  request jsonb NOT NULL,
  user_id text,
  session_id text,
  auth_time timestamptz,
  done boolean NOT NULL DEFAULT false,
  code text UNIQUE,
  code_used boolean NOT NULL DEFAULT false,
  claims jsonb,
  expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS %[1]s.sessions (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES %[1]s.users ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS %[1]s.refresh_tokens (
  token_hash text PRIMARY KEY,
  family text NOT NULL,
  client_id text NOT NULL,
  user_id text NOT NULL,
  audience text NOT NULL DEFAULT '',
  scopes text[] NOT NULL DEFAULT '{}',
  session_id text,
  auth_time timestamptz NOT NULL,
  used boolean NOT NULL DEFAULT false,
  revoked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON %[1]s.refresh_tokens (family);
ALTER TABLE %[1]s.refresh_tokens ADD COLUMN IF NOT EXISTS used_at timestamptz;
CREATE TABLE IF NOT EXISTS %[1]s.device_codes (
  device_code_hash text PRIMARY KEY,
  user_code text NOT NULL UNIQUE,
  client_id text NOT NULL,
  audience text NOT NULL DEFAULT '',
  scopes text[] NOT NULL DEFAULT '{}',
  user_id text,
  session_id text,
  auth_time timestamptz,
  claims jsonb,
  state text NOT NULL DEFAULT 'pending',
  last_poll timestamptz,
  expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS %[1]s.login_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  window_start timestamptz NOT NULL,
  locked_until timestamptz
);
CREATE TABLE IF NOT EXISTS %[1]s.tenant_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  settings jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS %[1]s.password_resets (
  token_hash text PRIMARY KEY,
  user_id text NOT NULL REFERENCES %[1]s.users ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used boolean NOT NULL DEFAULT false
);
`

// store is the provider's state in Postgres.
type store struct {
	pool *pgxpool.Pool
	s    string // quoted schema name
}

// migrate creates or updates the schema under an advisory lock so that
// several instances starting together do not race.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) (*store, error) {
	q := sqlgen.QuoteIdent(schema)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('postgate_auth_migrate'))`); err != nil {
		return nil, err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext('postgate_auth_migrate'))`) //nolint:errcheck
	for _, stmt := range strings.Split(fmt.Sprintf(schemaSQL, q), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("creating schema %s: %w", schema, err)
		}
	}
	return &store{pool: pool, s: q}, nil
}

// t returns the qualified name of table name.
func (s *store) t(name string) string { return s.s + "." + name }

// sweep deletes rows that can no longer be used: expired authorization
// requests, device codes, sessions, refresh tokens and reset links, and
// stale failure counters. It runs now and then from the login flow.
func (s *store) sweep(ctx context.Context, now time.Time) {
	for _, q := range []string{
		`DELETE FROM ` + s.t("auth_requests") + ` WHERE expires_at < $1`,
		`UPDATE ` + s.t("signing_keys") + ` SET state = 'revoked' WHERE state = 'previous' AND retire_at < $1`,
		`DELETE FROM ` + s.t("device_codes") + ` WHERE expires_at < $1 - interval '1 hour'`,
		`DELETE FROM ` + s.t("sessions") + ` WHERE expires_at < $1 OR revoked`,
		`DELETE FROM ` + s.t("refresh_tokens") + ` WHERE expires_at < $1`,
		`DELETE FROM ` + s.t("password_resets") + ` WHERE expires_at < $1`,
		`DELETE FROM ` + s.t("login_failures") + ` WHERE window_start < $1 - interval '1 day' AND (locked_until IS NULL OR locked_until < $1)`,
	} {
		if _, err := s.pool.Exec(ctx, q, now); err != nil {
			return
		}
	}
}

package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/apierr"
)

// catalogVersion is the hdb_catalog version Postgate's layout matches.
const catalogVersion = "48"

// notifyChannel is the channel a write announces its new resource version on.
const notifyChannel = "postgate_metadata"

// store keeps the metadata document in hdb_catalog.hdb_metadata, laid out as
// Hasura lays it out, so that either product can read the other's database.
type store struct{ pool *pgxpool.Pool }

// schemaSQL creates Hasura's catalog tables when they are missing.
const schemaSQL = `
CREATE SCHEMA IF NOT EXISTS hdb_catalog;
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_version (
  hasura_uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  version text NOT NULL,
  upgraded_on timestamptz NOT NULL,
  cli_state jsonb NOT NULL DEFAULT '{}'::jsonb,
  console_state jsonb NOT NULL DEFAULT '{}'::jsonb,
  ee_client_id text,
  ee_client_secret text
);
CREATE UNIQUE INDEX IF NOT EXISTS hdb_version_one_row ON hdb_catalog.hdb_version ((version IS NOT NULL));
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_metadata (
  id integer PRIMARY KEY,
  metadata json NOT NULL,
  resource_version integer NOT NULL DEFAULT 1 UNIQUE
);
`

// init creates the catalog (under an advisory lock, so that instances starting
// together do not race) and the initial row holding empty metadata.
func (s store) init(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // rollback after commit is a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hdb_catalog.init'))`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, schemaSQL, pgx.QueryExecModeSimpleProtocol); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO hdb_catalog.hdb_version (version, upgraded_on)
		SELECT $1, now() WHERE NOT EXISTS (SELECT 1 FROM hdb_catalog.hdb_version)`, catalogVersion); err != nil {
		return err
	}
	empty, err := json.Marshal(Empty())
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO hdb_catalog.hdb_metadata (id, metadata)
		SELECT 1, $1::json WHERE NOT EXISTS (SELECT 1 FROM hdb_catalog.hdb_metadata)`, string(empty)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// load returns the stored document and its resource version.
func (s store) load(ctx context.Context) ([]byte, int64, error) {
	var doc string
	var rv int64
	err := s.pool.QueryRow(ctx, `SELECT metadata::text, resource_version FROM hdb_catalog.hdb_metadata ORDER BY id LIMIT 1`).Scan(&doc, &rv)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	return []byte(doc), rv, err
}

// version returns the stored resource version.
func (s store) version(ctx context.Context) (int64, error) {
	var rv int64
	err := s.pool.QueryRow(ctx, `SELECT resource_version FROM hdb_catalog.hdb_metadata ORDER BY id LIMIT 1`).Scan(&rv)
	return rv, err
}

// lock begins a transaction on the metadata database holding the writers'
// advisory lock until it ends.
func (s store) lock(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hdb_catalog.hdb_metadata'))`); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	return tx, nil
}

// save replaces the document if the stored version is still expected, and
// returns the new version. A stale expectation is Hasura's conflict error.
// The write is part of tx when given (committed by the caller), else of a
// transaction of its own.
func (s store) save(ctx context.Context, tx pgx.Tx, doc []byte, expected int64) (int64, error) {
	own := tx == nil
	if own {
		var err error
		if tx, err = s.pool.Begin(ctx); err != nil {
			return 0, err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // rollback after commit is a no-op
	}
	var rv int64
	err := tx.QueryRow(ctx, `UPDATE hdb_catalog.hdb_metadata
		SET metadata = $1::json, resource_version = resource_version + 1
		WHERE resource_version = $2 RETURNING resource_version`, json.RawMessage(doc), expected).Scan(&rv)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, conflict(expected)
	}
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, fmt.Sprint(rv)); err != nil {
		return 0, err
	}
	if own {
		return rv, tx.Commit(ctx)
	}
	return rv, nil
}

// conflict is Hasura's error for a stale resource_version.
func conflict(rv int64) *apierr.Error {
	return apierr.Newf(apierr.ConflictCode, "metadata resource version referenced (%d) did not match current version", rv).WithStatus(http.StatusConflict)
}

// catalogState returns hdb_version's id, cli_state and console_state.
func (s store) catalogState(ctx context.Context) (json.RawMessage, error) {
	var out string
	err := s.pool.QueryRow(ctx, `SELECT json_build_object('id', hasura_uuid, 'cli_state', cli_state, 'console_state', console_state)::text
		FROM hdb_catalog.hdb_version LIMIT 1`).Scan(&out)
	return json.RawMessage(out), err
}

// setCatalogState stores the CLI's or the console's state.
func (s store) setCatalogState(ctx context.Context, kind string, state json.RawMessage) error {
	col := "cli_state"
	if kind == "console" {
		col = "console_state"
	}
	_, err := s.pool.Exec(ctx, `UPDATE hdb_catalog.hdb_version SET `+col+` = $1::jsonb`, string(state))
	return err
}

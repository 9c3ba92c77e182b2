// Package metadata holds Hasura v2's metadata (format version 3) and the
// service that owns it: the tracked tables and functions of each source,
// their relationships, computed fields, customisations and permissions.
//
// # Model and codec
//
// The types in model.go mirror Hasura's metadata document. Sections Postgate
// does not implement yet (remote schemas, actions, event triggers, ...) are
// kept verbatim in the Extra maps of Metadata, Source and Table, so that
// export returns exactly what replace stored. Parse also accepts the
// version 1/2 layout ({version, tables, functions}), read as one source
// "default".
//
// # Store
//
// The document lives in hdb_catalog.hdb_metadata (id, metadata json,
// resource_version) of the metadata database, the table Hasura uses, so a
// database that already holds Hasura metadata is read as it is;
// hdb_catalog.hdb_version is created too, holding the CLI and console state.
// Every write is a compare-and-swap on resource_version: a writer whose
// expected version is stale gets Hasura's conflict error. Writers of all
// instances take turns under a transaction-scoped advisory lock, so callers
// that name no version never conflict. A write announces the new version
// with pg_notify; Listen (LISTEN) or Watch (polling, for PgBouncer) re-read
// the document when another instance changed it. A stored document that
// cannot be decoded is kept as it is, exported and reported, and never
// stops the server from starting.
//
// # Service and snapshots
//
// Service answers the admin APIs (/v1/metadata, /v2/query, /v1/query) and
// publishes an immutable Snapshot after every change: the stored document,
// its consistent part (what the engine serves), the data database's catalog
// and the inconsistent objects. Readers call Current or register OnChange.
//
// Every request edits a private copy of the stored document, and runs its
// SQL and data operations in one transaction of the data database, so that
// a bulk request commits or fails as a whole. After each change the copy is
// checked against the catalog exactly as a restart would check it
// (checkConsistency); objects that become inconsistent make the operation
// fail with Hasura's error, or, for drops with cascade, are removed with it.
// run_sql notices schema changes with the catalog's fingerprint, refreshes
// only what changed, follows renamed tables and columns, untracks dropped
// ones, and re-checks the metadata before it commits.
//
// Sections not served yet (remote schemas, actions, event triggers, ...)
// can be set with their usual operations; they are stored and exported as
// given and listed by get_inconsistent_metadata as not supported yet.
package metadata

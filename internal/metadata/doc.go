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
// expected version is stale gets Hasura's conflict error. A write also
// announces the new version with pg_notify; Refresh and Watch re-read the
// document when another instance changed it.
//
// # Service and snapshots
//
// Service answers the admin APIs (/v1/metadata, /v2/query, /v1/query) and
// publishes an immutable Snapshot after every change: the stored document,
// its consistent part (what the engine serves), the data database's catalog
// and the inconsistent objects. Readers call Current or register OnChange;
// writers are serialised per instance and checked across instances by the
// resource version.
//
// Every operation edits a private copy of the stored document. After each
// change the copy is checked against the catalog exactly as a restart would
// check it (checkConsistency); objects that become inconsistent make the
// operation fail with Hasura's error, or, for drops with cascade, are
// removed with it. run_sql notices schema changes with the catalog's
// fingerprint, refreshes only what changed and re-checks the metadata before
// it commits.
package metadata

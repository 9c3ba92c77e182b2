// Package sqlgen turns the engine's intermediate representation (package ir)
// into PostgreSQL statements. It is the only package that writes SQL syntax:
// identifiers go through QuoteIdent, constants through an escaping literal
// writer, and every request value becomes a numbered parameter.
//
// # Statements
//
// Query compiles one root query field into one statement that returns one row
// with one json column: the field's value, built by PostgreSQL over LATERAL
// joins. Each object of selected fields is a composite row whose column
// names are the response keys, (SELECT value AS "key", ...), turned to JSON
// by row_to_json (lists: json_agg(row_to_json(row) ORDER BY ...)); objects
// whose keys a row cannot hold (longer than 63 bytes) use json_build_object.
// Lists are [] when empty; a single-row field (by_pk) is the JSON null when
// no row matches. The engine writes these bytes into the response without
// decoding them.
//
// Mutation compiles one root mutation field into one statement (data
// modifying CTEs plus the result) returning one row with two columns:
//
//  1. result: the field's JSON value (the mutation response object, or the
//     row, or null, for *_one/*_by_pk fields);
//  2. check_ok: a boolean, true when every permission check (insert check, update
//     check, upsert check, including nested inserts) held on every written
//     row. When it is false the engine must roll the transaction back and
//     answer Hasura's permission-error "Check constraint violation. insert
//     check constraint failed" (or "update check constraint failed" for
//     updates). It is NULL when a nested insert depends on a row an upsert
//     (on_conflict) did not write; the engine must then roll back and answer
//     Hasura's error ("cannot proceed to insert array relations since insert
//     to table "t" affects zero rows", or "... object relation ..."). Scan
//     it into a nullable boolean.
//
// Rows a mutation inserts are visible to the rest of its statement: nested
// inserts, permission checks and the returning selection read a table the
// statement inserts into as the table's rows plus the inserted ones. Rows an
// upsert updated, and rows changed by update and delete, are seen by
// relationships in their pre-statement state (the returning rows themselves
// are always the new ones).
//
// MutationSteps gives the statements for update_<t>_many: one per update, run
// in order, the field's value being the JSON array of their results.
//
// Object relationships are joined without a row limit (so PostgreSQL can
// plan them as ordinary joins): their mapping must lead to at most one row,
// as Hasura's foreign-key and unique-key relationships do.
//
// In boolean expressions, RootColumnOp refers to the row the filter is
// attached to (the selected table's row, or the mutated row in checks), also
// from inside relationship filters and _exists.
//
// QueryCohort compiles a root query field for many subscribers at once (a
// multiplexed live query): one row per subscriber, each parameter read from
// that subscriber's arguments (CohortArgs).
//
// # Parameters
//
// Statement.Params[i] is the value bound to $i+1. Every placeholder is
// written as $n::text, cast in SQL to the value's type ($1::text::integer),
// so every argument is bound as text: Args returns a Go string (the value's
// PostgreSQL text form: numbers as written, booleans as true/false, json and
// jsonb as JSON text, lists as array literals) or nil for NULL. This works
// with every pgx query execution mode, including the default statement cache
// and the simple protocol, and one cached statement serves every value. A
// value PostgreSQL cannot parse as its type (e.g. "abc" for an integer)
// fails with an SQLSTATE of class 22, which the engine reports as
// data-exception.
//
// Session variables are bound by lower-case name; for array types a JSON
// array value becomes an array literal, and a Postgres array literal ({1,2})
// passes unchanged. ir.SessionJSON binds the whole session (the map given
// to Args) as a JSON object, for functions' session arguments.
//
// Integer literals in limit and offset are written inline (a Literal is a
// constant of the plan either way), so PostgreSQL plans with the real limit.
//
// Types in the IR are SQL type names as format_type prints them (quoted
// where needed); names that could end the cast are refused with *Error.
package sqlgen

package catalog

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5"
)

// Querier runs a query; *pgxpool.Pool, *pgx.Conn and pgx.Tx satisfy it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

//go:embed sql/*.sql
var sqlFiles embed.FS

// query returns the text of an embedded introspection query.
func query(name string) string {
	b, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic("catalog: missing embedded query " + name)
	}
	return string(b)
}

// DefaultExcludedSchemas returns the schemas Load skips besides the system
// schemas information_schema, pg_catalog, pg_toast* and pg_temp*, which are
// always skipped.
func DefaultExcludedSchemas() []string {
	return []string{"hdb_catalog", "postgate_auth"}
}

// Option configures Load.
type Option func(*options)

type options struct {
	exclude []string
}

// ExcludeSchemas replaces DefaultExcludedSchemas as the list of schemas
// Load skips.
func ExcludeSchemas(schemas ...string) Option {
	return func(o *options) { o.exclude = append([]string(nil), schemas...) }
}

func newOptions(opts []Option) options {
	o := options{exclude: DefaultExcludedSchemas()}
	for _, f := range opts {
		f(&o)
	}
	if o.exclude == nil {
		o.exclude = []string{}
	}
	return o
}

package pg

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/postgate/postgate/internal/session"
)

// Execer runs a statement; pgx.Tx, *pgx.Conn and *pgxpool.Conn satisfy it.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// SetSession exposes the session variables to SQL for the rest of the
// current transaction, as Hasura does: current_setting('hasura.user') is a
// JSON object of the x-hasura-* variables, x-hasura-role included.
func SetSession(ctx context.Context, tx Execer, s session.Session) error {
	vars := make(map[string]string, len(s.Vars)+1)
	for k, v := range s.Vars {
		vars[k] = v
	}
	if _, ok := vars["x-hasura-role"]; !ok && s.Role != "" {
		vars["x-hasura-role"] = s.Role
	}
	b, err := json.Marshal(vars)
	if err != nil {
		return fmt.Errorf("pg: encode session: %w", err)
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('hasura.user', $1, true)", string(b)); err != nil {
		return MapError(err)
	}
	return nil
}

package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/postgate/postgate/internal/apierr"
)

// Statement describes the SQL whose execution failed; it fills the
// dev-mode details of unexpected errors.
type Statement struct {
	SQL      string
	Args     []any
	Prepared bool
}

// TxError is the "internal" detail Hasura attaches to a failed statement:
// {"arguments","error","prepared","statement"}.
type TxError struct {
	Arguments []string `json:"arguments"`
	// Error is a *StatementError for errors reported by the server, or a
	// string for failures on the client side.
	Error     any    `json:"error"`
	Prepared  bool   `json:"prepared"`
	Statement string `json:"statement"`
}

// StatementError is the server's error report in Hasura's shape.
type StatementError struct {
	Description *string `json:"description"`
	ExecStatus  string  `json:"exec_status"`
	Hint        *string `json:"hint"`
	Message     *string `json:"message"`
	StatusCode  *string `json:"status_code"`
}

// Hasura's texts for errors that are not the server's own message.
const (
	msgDatabaseQueryError  = "database query error"
	msgQueryExecFailed     = "query execution failed"
	msgConnectionError     = "connection error"
	msgMaxConnections      = "max connections reached on postgres"
	msgSerialization       = "serialization failure due to concurrent update"
	msgNoConflictTarget    = "there is no unique or exclusion constraint on target column(s)"
	codeMaxConnectionsErr  = "postgres-max-connections-error"
	execStatusFatal        = "FatalError"
	sqlstateTooManyClients = "53300"
)

// constraintPrefixes are the message prefixes Hasura puts before the
// server's message for integrity-constraint violations (class 23).
var constraintPrefixes = map[string]string{
	"23001": "Can not delete or update due to data being referred. ",
	"23502": "Not-NULL violation. ",
	"23503": "Foreign key violation. ",
	"23505": "Uniqueness violation. ",
	"23514": "Check constraint violation. ",
	"23P01": "Exclusion violation. ",
}

// MapError turns an error from running a GraphQL query or mutation into
// the *apierr.Error Hasura returns; see MapErrorFor.
func MapError(err error) error { return MapErrorFor(err, Statement{}) }

// MapErrorFor turns an error from running st for a GraphQL query or
// mutation into the *apierr.Error Hasura v2 returns (its DML error handler):
//
//   - class 23 (integrity constraint): 400 constraint-violation, the
//     server's message prefixed by the kind ("Foreign key violation. ",
//     "Uniqueness violation. ", "Not-NULL violation. ", "Exclusion
//     violation. "); a check violation is permission-error "Check
//     constraint violation. ...", as in Hasura;
//   - class 22 (data exception): 400 data-exception with the server's
//     message (bad-request for an invalid escape sequence, 22025);
//   - 42704 (undefined object) and 42P10 (no unique constraint matching an
//     ON CONFLICT target): 400 constraint-error;
//   - class 40 (serialization failure, deadlock): 400 concurrent-update,
//     as Hasura's default handler reports them;
//   - connection failures: 500 postgres-error "connection error" (or
//     postgres-max-connections-error when the server has no free slot);
//   - anything else, including permission denied (42501), statement
//     timeouts (57014) and exceptions raised by triggers: 500 unexpected
//     "database query error" with the statement and the server's report
//     in Internal (shown in dev mode only).
//
// Errors that already are *apierr.Error pass through; nil stays nil.
func MapErrorFor(err error, st Statement) error {
	if err == nil {
		return nil
	}
	if e := apierr.As(err); e != nil {
		return e
	}
	if e := connectionError(err); e != nil {
		return e
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if e := expectedError(pgErr); e != nil {
			return e.Wrap(err)
		}
		return unexpected(err, txError(st, statementError(pgErr)))
	}
	return unexpected(err, txError(st, err.Error()))
}

// MapRunSQLError turns an error from running sql through run_sql into
// Hasura's answer: 400 postgres-error "query execution failed" whose
// internal detail (the statement and the server's report) is always shown.
// Connection failures map as in MapErrorFor.
func MapRunSQLError(err error, sql string) error {
	if err == nil {
		return nil
	}
	if e := apierr.As(err); e != nil {
		return e
	}
	if e := connectionError(err); e != nil {
		return e
	}
	st := Statement{SQL: sql}
	var detail any = err.Error()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		detail = statementError(pgErr)
	}
	e := apierr.New(apierr.PostgresError, msgQueryExecFailed).WithInternal(txError(st, detail)).Wrap(err)
	e.InternalPublic = true
	return e
}

// expectedError maps the server errors Hasura reports to clients as they
// are; it returns nil for the others.
func expectedError(p *pgconn.PgError) *apierr.Error {
	code := p.Code
	switch {
	case strings.HasPrefix(code, "23"):
		if code == "23514" {
			return apierr.New(apierr.PermissionError, constraintPrefixes[code]+p.Message)
		}
		return apierr.New(apierr.ConstraintViolation, constraintPrefixes[code]+p.Message)
	case code == "22025":
		return apierr.New(apierr.BadRequest, p.Message)
	case strings.HasPrefix(code, "22"):
		return apierr.New(apierr.DataException, p.Message)
	case code == "42P10":
		return apierr.New(apierr.ConstraintError, msgNoConflictTarget)
	case code == "42704":
		return apierr.New(apierr.ConstraintError, p.Message)
	case code == "40001":
		return apierr.New(apierr.ConcurrentUpdate, msgSerialization)
	case strings.HasPrefix(code, "40"):
		return apierr.New(apierr.ConcurrentUpdate, p.Message)
	}
	return nil
}

// connectionError maps failures to reach or keep a connection to the
// server, or returns nil when err is not one.
func connectionError(err error) *apierr.Error {
	var pgErr *pgconn.PgError
	isPg := errors.As(err, &pgErr)
	if isPg && (pgErr.Code == sqlstateTooManyClients || strings.Contains(pgErr.Message, "too many clients")) {
		return &apierr.Error{Status: http.StatusInternalServerError, Code: codeMaxConnectionsErr,
			Message: msgMaxConnections, Path: "$", Internal: pgErr.Message, Err: err}
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	conn := errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
	if isPg {
		// Class 08 (connection exception) and the shutdown codes 57P01-57P03.
		conn = conn || strings.HasPrefix(pgErr.Code, "08") ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	if !conn || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return &apierr.Error{Status: http.StatusInternalServerError, Code: apierr.PostgresError,
		Message: msgConnectionError, Path: "$", Internal: connectionDetail(err, connErr), Err: err}
}

// connectionDetail is the dev-mode detail of a connection failure: the
// driver's text, which names host and user but never the password.
func connectionDetail(err error, connErr *pgconn.ConnectError) string {
	if connErr != nil {
		return connErr.Error()
	}
	return err.Error()
}

func unexpected(err error, internal TxError) *apierr.Error {
	return &apierr.Error{Status: http.StatusInternalServerError, Code: apierr.Unexpected,
		Message: msgDatabaseQueryError, Path: "$", Internal: internal, Err: err}
}

func txError(st Statement, detail any) TxError {
	args := make([]string, len(st.Args))
	for i, a := range st.Args {
		args[i] = fmt.Sprint(a)
	}
	return TxError{Arguments: args, Error: detail, Prepared: st.Prepared, Statement: st.SQL}
}

func statementError(p *pgconn.PgError) *StatementError {
	return &StatementError{
		Description: optional(p.Detail),
		ExecStatus:  execStatusFatal,
		Hint:        optional(p.Hint),
		Message:     optional(p.Message),
		StatusCode:  optional(p.Code),
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

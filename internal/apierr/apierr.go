// Package apierr defines the typed error every layer returns when a request
// fails in a way the client must see. The server package alone turns it into
// Hasura's error JSON; nothing else formats errors for the wire.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Hasura error codes (Hasura/Base/Error.hs).
const (
	AccessDenied        = "access-denied"
	AlreadyExists       = "already-exists"
	AlreadyTracked      = "already-tracked"
	AlreadyUntracked    = "already-untracked"
	BadRequest          = "bad-request"
	ConcurrentUpdate    = "concurrent-update"
	ConflictCode        = "conflict"
	ConstraintError     = "constraint-error"
	ConstraintViolation = "constraint-violation"
	DataException       = "data-exception"
	DependencyError     = "dependency-error"
	InvalidConfig       = "invalid-configuration"
	InvalidHeaders      = "invalid-headers"
	InvalidJSON         = "invalid-json"
	InvalidJWT          = "invalid-jwt"
	InvalidParams       = "invalid-params"
	JWTInvalidClaims    = "jwt-invalid-claims"
	JWTMissingRole      = "jwt-missing-role-claims"
	NotExists           = "not-exists"
	NotFound            = "not-found"
	NotSupported        = "not-supported"
	ParseFailed         = "parse-failed"
	PermissionDenied    = "permission-denied"
	PermissionError     = "permission-error"
	PostgresError       = "postgres-error"
	Unexpected          = "unexpected"
	ValidationFailed    = "validation-failed"
	Inconsistent        = "inconsistent-metadata"
)

// Error is a client-visible failure: an HTTP status, a Hasura error code, a
// message and the JSON path of the offending input ("$" when none).
// Internal carries details shown only in dev mode (or, for metadata
// inconsistencies, always, as Hasura does when InternalPublic is set).
type Error struct {
	Status         int
	Code           string
	Message        string
	Path           string
	Internal       any
	InternalPublic bool
	Err            error // wrapped cause; never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the wrapped cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with status 400 and path "$".
func New(code, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg, Path: "$"}
}

// Newf is New with a formatted message.
func Newf(code, format string, args ...any) *Error { return New(code, fmt.Sprintf(format, args...)) }

// WithStatus sets the HTTP status and returns e.
func (e *Error) WithStatus(status int) *Error { e.Status = status; return e }

// WithPath sets the JSON path and returns e.
func (e *Error) WithPath(path string) *Error { e.Path = path; return e }

// WithInternal attaches dev-mode details and returns e.
func (e *Error) WithInternal(v any) *Error { e.Internal = v; return e }

// Wrap attaches a cause and returns e.
func (e *Error) Wrap(err error) *Error { e.Err = err; return e }

// As extracts an *Error from err, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Internalf returns an "unexpected" 500 error whose cause is hidden from clients.
func Internalf(format string, args ...any) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: Unexpected, Message: "database query error", Path: "$", Err: fmt.Errorf(format, args...)}
}

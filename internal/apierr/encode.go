package apierr

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Options controls what error bodies reveal.
type Options struct {
	// DevMode adds internal details (HASURA_GRAPHQL_DEV_MODE).
	DevMode bool
}

// From converts any error into an *Error. Errors that are not *Error become
// an opaque "unexpected" 500 whose cause is kept for logs only.
func From(err error) *Error {
	if e := As(err); e != nil {
		return e
	}
	if errors.Is(err, errTooLarge) {
		return New(BadRequest, "request body too large").WithStatus(http.StatusRequestEntityTooLarge)
	}
	return &Error{Status: http.StatusInternalServerError, Code: Unexpected, Message: "unexpected error", Path: "$", Err: err}
}

var errTooLarge = errors.New("request body too large")

// ErrBodyTooLarge is returned by body readers when a request exceeds its size limit.
var ErrBodyTooLarge = errTooLarge

// APIBody is the JSON of an error on the metadata/query APIs:
// {"path","error","code"} (+ "internal" in dev mode or when public).
func APIBody(err error, o Options) []byte {
	e := From(err)
	body := map[string]any{"path": e.Path, "error": e.Message, "code": e.Code}
	if e.Internal != nil && (o.DevMode || e.InternalPublic) {
		body["internal"] = e.Internal
	}
	b, _ := json.Marshal(body)
	return b
}

// GraphQLError is the JSON of one error in a GraphQL response's "errors"
// list: {"extensions":{"path","code"},"message"}.
func GraphQLError(err error, o Options) json.RawMessage {
	e := From(err)
	ext := map[string]any{"path": e.Path, "code": e.Code}
	if e.Internal != nil && (o.DevMode || e.InternalPublic) {
		ext["internal"] = e.Internal
	}
	b, _ := json.Marshal(map[string]any{"extensions": ext, "message": e.Message})
	return b
}

// GraphQLBody is a whole GraphQL error response: {"errors":[...]}.
func GraphQLBody(err error, o Options) []byte {
	b, _ := json.Marshal(map[string]any{"errors": []json.RawMessage{GraphQLError(err, o)}})
	return b
}

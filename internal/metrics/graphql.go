package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/postgate/postgate/internal/optype"
	"github.com/postgate/postgate/internal/session"
)

// Hasura's operation_type label values.
const (
	OpQuery        = "query"
	OpMutation     = "mutation"
	OpSubscription = "subscription"
	OpUnknown      = "unknown"
)

// Hasura's response_status label values.
const (
	statusSuccess = "success"
	statusFailed  = "failed"
)

// GraphQL is the GraphQL executor the HTTP layer calls (the same methods as
// server.GraphQL).
type GraphQL interface {
	// Execute runs a GraphQL request body and returns the HTTP status and
	// the response body.
	Execute(ctx context.Context, s session.Session, body []byte, legacy bool) (int, []byte)
	// Explain answers /v1/graphql/explain.
	Explain(ctx context.Context, s session.Session, body []byte) (int, []byte)
}

// GraphQL wraps g so that each operation it executes is counted in
// hasura_graphql_requests_total and, when it succeeds, timed in
// hasura_graphql_execution_time_seconds. The operation types are those g
// records in the request's context (see optype; the engine records them
// once it has selected each operation, "unknown" before); for an executor
// that records none they are read from the request's documents with
// OperationType. A nil Metrics or g returns g.
func (m *Metrics) GraphQL(g GraphQL) GraphQL {
	if m == nil || g == nil {
		return g
	}
	return &instrumented{GraphQL: g, m: m}
}

// instrumented is a GraphQL executor that records metrics.
type instrumented struct {
	GraphQL
	m *Metrics
}

// gqlRequest is the part of a GraphQL request body that names the
// operation.
type gqlRequest struct {
	Query         string `json:"query"`
	OperationName string `json:"operationName"`
}

// Execute runs the request and records one sample per operation (a batch
// shares its time equally among its operations).
func (i *instrumented) Execute(ctx context.Context, s session.Session, body []byte, legacy bool) (int, []byte) {
	ctx, rec := optype.WithRecorder(ctx)
	start := time.Now()
	status, resp := i.GraphQL.Execute(ctx, s, body, legacy)
	d := time.Since(start)

	ops := rec.Types()
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		op := OpUnknown
		switch {
		case len(ops) == 1:
			op = ops[0]
		case ops == nil:
			op = requestOperation(trimmed)
		}
		i.m.record(op, succeeded(status, resp), d)
		return status, resp
	}
	if ops == nil {
		ops = batchOperations(trimmed)
	}
	var resps []json.RawMessage
	if ops == nil || json.Unmarshal(resp, &resps) != nil || len(resps) != len(ops) {
		i.m.record(OpUnknown, false, d)
		return status, resp
	}
	share := d / time.Duration(max(len(ops), 1))
	for k, op := range ops {
		i.m.record(op, succeeded(http.StatusOK, resps[k]), share)
	}
	return status, resp
}

// requestOperation returns the operation type of a single request body
// read from the body itself, for an executor that does not record it:
// "unknown" when the body does not decode.
func requestOperation(body []byte) string {
	var r gqlRequest
	if json.Unmarshal(body, &r) != nil {
		return OpUnknown
	}
	return OperationType(r.Query, r.OperationName)
}

// batchOperations is requestOperation for each request of a batch body; it
// returns nil when the body does not decode.
func batchOperations(body []byte) []string {
	var reqs []gqlRequest
	if json.Unmarshal(body, &reqs) != nil {
		return nil
	}
	ops := make([]string, len(reqs))
	for k, r := range reqs {
		ops[k] = OperationType(r.Query, r.OperationName)
	}
	return ops
}

// opIndex numbers the operation types for the pre-resolved instruments;
// any type but query, mutation and subscription (the engine's "" included)
// is "unknown".
func opIndex(op string) int {
	switch op {
	case OpQuery:
		return 0
	case OpMutation:
		return 1
	case OpSubscription:
		return 2
	}
	return 3
}

// record counts one operation and times it when it succeeded.
func (m *Metrics) record(op string, ok bool, d time.Duration) {
	k := opIndex(op)
	if ok {
		m.gqlExecByOp[k].Observe(d.Seconds())
		m.gqlOK[k].Inc()
		return
	}
	m.gqlFailed[k].Inc()
}

// succeeded reports whether a GraphQL response carries no errors: the
// engine writes errors first ({"errors":…}) or after a null data
// ({"data":null,"errors":…}).
func succeeded(status int, resp []byte) bool {
	if status >= 400 {
		return false
	}
	resp = bytes.TrimLeft(resp, " \t\r\n")
	if !bytes.HasPrefix(resp, []byte("{")) {
		return false
	}
	rest := bytes.TrimLeft(resp[1:], " \t\r\n")
	if bytes.HasPrefix(rest, []byte(`"errors"`)) {
		return false
	}
	if bytes.HasPrefix(rest, []byte(`"data"`)) {
		after := bytes.TrimLeft(rest[len(`"data"`):], " \t\r\n:")
		if bytes.HasPrefix(after, []byte("null")) {
			return !bytes.Contains(after, []byte(`"errors"`))
		}
	}
	return true
}

// OperationType returns the type (query, mutation or subscription) of the
// operation a GraphQL document runs: the one named operationName, or the
// document's only operation. It returns "unknown" when there is no such
// operation. The document is scanned, not parsed: invalid documents may get
// any type, and the engine reports their errors.
func OperationType(query, operationName string) string {
	return operationType(query, operationName, true)
}

// operationType is OperationType; skipNested=false scans nested tokens one
// by one too (the reference the tests compare the skipping against).
func operationType(query, operationName string, skipNested bool) string {
	found, count := "", 0
	depth := 0
	kind := ""          // keyword of the definition being read ("" between definitions)
	expectName := false // the next name at depth 0 names the definition
	inBody := false     // the definition's selection set has begun
	sc := scanner{src: query}
	for {
		tok, name := sc.next(skipNested && depth > 0)
		switch tok {
		case tokEOF:
			if operationName == "" && count != 1 || found == "" {
				return OpUnknown
			}
			return found
		case tokName:
			if depth != 0 {
				continue
			}
			switch {
			case kind == "":
				switch name {
				case OpQuery, OpMutation, OpSubscription:
					count++
					kind, expectName = opName(name), true
					if operationName == "" {
						found = kind
					}
				case "fragment":
					kind, expectName = "fragment", true
				}
			case expectName:
				expectName = false
				if kind != "fragment" && operationName != "" && name == operationName {
					found = kind
				}
			}
		case tokOpen:
			if depth == 0 {
				if kind == "" {
					// A shorthand query: { … }.
					count++
					if operationName == "" {
						found = OpQuery
					}
					kind = OpQuery
				}
				expectName, inBody = false, true
			}
			depth++
		case tokParen:
			expectName = false
			depth++
		case tokClose:
			if depth > 0 {
				depth--
			}
			if depth == 0 && inBody {
				kind, inBody = "", false
			}
		case tokOther:
			if depth == 0 {
				expectName = false // a directive: @name
			}
		}
	}
}

// opName returns the constant naming operation keyword k, so that the
// result of OperationType never refers to the document it scanned.
func opName(k string) string {
	switch k {
	case OpMutation:
		return OpMutation
	case OpSubscription:
		return OpSubscription
	}
	return OpQuery
}

// Tokens of the document scanner.
const (
	tokEOF   = iota
	tokName  // a name
	tokOpen  // {
	tokParen // ( or [
	tokClose // } ) ]
	tokOther // any other punctuation, number or string
)

// scanner splits a GraphQL document into the few tokens OperationType needs,
// skipping comments, strings and block strings.
type scanner struct {
	src string
	pos int
}

// next returns the next token. Inside a selection set or arguments
// (nested), names and other punctuation do not matter to OperationType and
// are skipped up to the next brace, bracket, parenthesis, string or comment.
func (s *scanner) next(nested bool) (int, string) {
	if nested {
		for s.pos < len(s.src) && !structural[s.src[s.pos]] {
			s.pos++
		}
	}
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '#':
			for s.pos < len(s.src) && s.src[s.pos] != '\n' && s.src[s.pos] != '\r' {
				s.pos++
			}
		case c == '"':
			s.skipString()
			return tokOther, ""
		case c == '{':
			s.pos++
			return tokOpen, ""
		case c == '(' || c == '[':
			s.pos++
			return tokParen, ""
		case c == '}' || c == ')' || c == ']':
			s.pos++
			return tokClose, ""
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			start := s.pos
			for s.pos < len(s.src) && isNameChar(s.src[s.pos]) {
				s.pos++
			}
			return tokName, s.src[start:s.pos]
		case c >= '0' && c <= '9' || c == '-':
			for s.pos < len(s.src) && (isNameChar(s.src[s.pos]) || s.src[s.pos] == '.' || s.src[s.pos] == '-' || s.src[s.pos] == '+') {
				s.pos++
			}
			return tokOther, ""
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == 0xef || c == 0xbb || c == 0xbf:
			s.pos++
		default:
			s.pos++
			return tokOther, ""
		}
	}
	return tokEOF, ""
}

// skipString moves past a string or block string starting at s.pos.
func (s *scanner) skipString() {
	if len(s.src)-s.pos >= 3 && s.src[s.pos:s.pos+3] == `"""` {
		s.pos += 3
		for s.pos < len(s.src) {
			if s.src[s.pos] == '\\' && len(s.src)-s.pos >= 4 && s.src[s.pos+1:s.pos+4] == `"""` {
				s.pos += 4
				continue
			}
			if len(s.src)-s.pos >= 3 && s.src[s.pos:s.pos+3] == `"""` {
				s.pos += 3
				return
			}
			s.pos++
		}
		return
	}
	s.pos++
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '\\':
			s.pos += 2
			continue
		case '"', '\n', '\r':
			s.pos++
			return
		}
		s.pos++
	}
}

// structural marks the bytes that start a token mattering inside nested
// braces: brackets, strings and comments.
var structural = [256]bool{'{': true, '}': true, '(': true, ')': true, '[': true, ']': true, '"': true, '#': true}

func isNameChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

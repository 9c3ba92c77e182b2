package idp

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxListPage is the largest page number the Management API's lists take
// (Auth0 pages through at most 1000 results; this leaves room).
const maxListPage = 1_000_000

// checkMgmtInput answers Auth0's 400 for Management API input that no
// handler can store or use: NUL characters or invalid UTF-8 in the path,
// the query or the JSON body (PostgreSQL text cannot hold them), a body that
// is not JSON, and a page number that is not a small non-negative integer.
// Handlers then see only well-formed input.
func (p *IdP) checkMgmtInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := func(msg string) {
			p.writeMgmtError(w, merr(http.StatusBadRequest, msg, "invalid_query_string"))
		}
		if !cleanText(r.URL.Path) {
			bad("Path validation error: the path contains a NUL character or invalid UTF-8.")
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			bad("Query validation error: the query string is malformed.")
			return
		}
		for k, vs := range q {
			for _, v := range vs {
				if !cleanText(k) || !cleanText(v) {
					bad("Query validation error: a parameter contains a NUL character or invalid UTF-8.")
					return
				}
			}
		}
		if v := q.Get("page"); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 0 || n > maxListPage {
				bad("Query validation error: 'Invalid value for parameter page' (expected an integer from 0 to " + strconv.Itoa(maxListPage) + ").")
				return
			}
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
			if err != nil {
				p.writeMgmtError(w, merr(http.StatusRequestEntityTooLarge, "Payload too large or unreadable.", "payload_too_large"))
				return
			}
			if len(bytes.TrimSpace(body)) > 0 {
				if !json.Valid(body) {
					p.writeMgmtError(w, merr(http.StatusBadRequest, "Invalid request payload JSON format", "invalid_body"))
					return
				}
				if !cleanJSONStrings(body) {
					p.writeMgmtError(w, merr(http.StatusBadRequest,
						"Payload validation error: a string contains a NUL character.", "invalid_body"))
					return
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// cleanText reports whether s is valid UTF-8 without NUL.
func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// cleanJSONStrings reports whether every string (keys included) in the
// valid JSON document b is valid UTF-8 without NUL, escaped or not.
func cleanJSONStrings(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return false
	}
	if !bytes.Contains(b, []byte(`\u`)) && !bytes.Contains(b, []byte(`\U`)) {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, 0) {
			return false
		}
	}
}

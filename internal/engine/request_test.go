package engine

import (
	"context"
	"testing"

	"github.com/postgate/postgate/internal/session"
)

// TestRequestTypeErrorsAsHasura: a request body whose values have the wrong
// JSON types is answered with Hasura's parser wording and path, never with
// the decoder's own text.
func TestRequestTypeErrorsAsHasura(t *testing.T) {
	e, _ := newFixture(t, Options{})
	for body, want := range map[string]string{
		`{"query": 1}`: `{"errors":[{"extensions":{"code":"parse-failed","path":"$.query"},"message":"parsing Text failed, expected String, but encountered Number"}]}`,
		`{"query": "{ article { id } }", "operationName": 5}`: `{"errors":[{"extensions":{"code":"parse-failed","path":"$.operationName"},"message":"parsing Text failed, expected String, but encountered Number"}]}`,
		`true`: `{"errors":[{"extensions":{"code":"parse-failed","path":"$"},"message":"expected Object, but encountered Boolean"}]}`,
	} {
		_, got := e.Execute(context.Background(), session.Admin(), []byte(body), false)
		if string(got) != want {
			t.Errorf("%s:\n got %s\nwant %s", body, got, want)
		}
	}
}

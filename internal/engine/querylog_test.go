package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/logging"
)

func TestQueryLog(t *testing.T) {
	var buf bytes.Buffer
	logger := logging.New(&buf, logging.Options{Types: map[string]bool{"query-log": true}})
	e, _ := newFixture(t, Options{Logger: logger, RequestID: func(context.Context) string { return "req-1" }})
	expect(t, e, user("user", "2"), `query($id: Int!) { a: article(where: {id: {_eq: $id}}) { id } }`, map[string]any{"id": 3},
		`{"data":{"a":[{"id":3}]}}`)
	var line struct {
		Type   string `json:"type"`
		Detail struct {
			RequestID    string                 `json:"request_id"`
			GeneratedSQL map[string]logging.SQL `json:"generated_sql"`
		} `json:"detail"`
	}
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, `"query-log"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	sql, ok := line.Detail.GeneratedSQL["a"]
	if line.Type != "query-log" || line.Detail.RequestID != "req-1" || !ok || !strings.Contains(sql.Query, `"article"`) || len(sql.PreparedArguments) == 0 {
		t.Fatalf("query-log line: %s", buf.String())
	}
	// Without the type enabled nothing is written.
	buf.Reset()
	e2, _ := newFixture(t, Options{Logger: logging.New(&buf, logging.Options{})})
	expect(t, e2, user("user", "2"), `{ article(limit: 1) { id } }`, nil, "")
	if strings.Contains(buf.String(), "query-log") {
		t.Fatalf("query-log written while disabled: %s", buf.String())
	}
}

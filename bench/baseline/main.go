// Command baseline is the benchmark's reference point: a minimal HTTP server
// that answers each benchmark query with one hand-written SQL statement run
// through pgx, writing Postgres's JSON into the response as is. It measures
// the cost of HTTP plus JSON transfer alone, with no GraphQL.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	dsn := flag.String("db", os.Getenv("DATABASE_URL"), "database URL")
	sqlDir := flag.String("sql", "bench/sql", "directory of <name>.sql files served at /<name>")
	flag.Parse()

	pool, err := pgxpool.New(context.Background(), *dsn)
	if err != nil {
		log.Fatal(err)
	}
	queries := map[string]struct{ sql, root string }{}
	roots := map[string]string{"q1": "artist", "q2": "album", "q3": "album"}
	files, _ := filepath.Glob(filepath.Join(*sqlDir, "*.sql"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".sql")
		queries[name] = struct{ sql, root string }{strings.TrimSuffix(strings.TrimSpace(string(b)), ";"), roots[name]}
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		q, ok := queries[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		rows, err := pool.Query(r.Context(), q.sql)
		if err != nil {
			http.Error(w, "query failed", http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		for rows.Next() {
			raw := rows.RawValues()
			out := make([]byte, 0, len(raw[0])+32)
			out = append(out, `{"data":{"`...)
			out = append(out, q.root...)
			out = append(out, `":`...)
			out = append(out, raw[0]...)
			out = append(out, "}}"...)
			_, _ = w.Write(out)
		}
	})
	log.Printf("baseline listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

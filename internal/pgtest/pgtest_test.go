package pgtest

import (
	"context"
	"testing"
)

func TestFreshDatabase(t *testing.T) {
	p := Pool(t)
	Exec(t, p, "CREATE TABLE x (id int)")
	var n int
	if err := p.QueryRow(context.Background(), "SELECT count(*) FROM x").Scan(&n); err != nil || n != 0 {
		t.Fatalf("got %d, %v", n, err)
	}
}

package pgcluster

import (
	"path/filepath"
	"testing"
)

func TestFindProgram(t *testing.T) {
	if _, err := FindProgram("postgate-no-such-program"); err == nil {
		t.Fatal("found a program that does not exist")
	}
	p, err := FindProgram("pg_dump")
	if err != nil {
		t.Skipf("pg_dump is not installed: %v", err)
	}
	if filepath.Base(p) != "pg_dump" || !isExecutable(p) {
		t.Fatalf("FindProgram(pg_dump) = %q", p)
	}
}

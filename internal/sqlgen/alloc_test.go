package sqlgen

import (
	"testing"

	"github.com/postgate/postgate/internal/ir"
)

// TestQueryAllocations keeps compilation allocation-light: a nested query
// with relationships, filters and ordering compiles in a bounded number of
// allocations.
func TestQueryAllocations(t *testing.T) {
	var root *ir.Root
	for _, c := range queryCases() {
		if c.name == "deep_nesting" {
			root = c.root
		}
	}
	n := testing.AllocsPerRun(50, func() {
		if _, err := Query(root); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("deep_nesting: %.0f allocations", n)
	if n > 100 {
		t.Errorf("deep_nesting compiles with %.0f allocations, want at most 100", n)
	}
}

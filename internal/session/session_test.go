package session

import (
	"strings"
	"testing"
)

func TestVarName(t *testing.T) {
	for _, name := range []string{"X-Hasura-Role", "X-Hasura-User-Id", "X-Hasura-Admin-Secret", "X-Hasura-Access-Key",
		"X-Hasura-Use-Backend-Only-Permissions", "X-Hasura-Org-Id", "x-hasura-role", "X-HASURA-ROLE", "X-Hasura-Custom-Thing"} {
		if got := VarName(name); got != strings.ToLower(name) {
			t.Errorf("VarName(%q) = %q", name, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { VarName("X-Hasura-Role") }); n != 0 {
		t.Errorf("VarName allocates %v times", n)
	}
}

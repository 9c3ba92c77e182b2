package auth

import (
	"net/http"
	"testing"
)

func TestNoAuthEveryoneIsAdmin(t *testing.T) {
	a := mustNew(t, Config{})
	s, err := a.Authenticate(request(nil), nil)
	if err != nil || s.Role != "admin" || s.Vars["x-hasura-role"] != "admin" {
		t.Fatalf("plain request: %+v %v", s, err)
	}
	s, err = a.Authenticate(request(map[string]string{
		"X-Hasura-Role": "user", "X-Hasura-User-Id": "7",
		"X-Hasura-Use-Backend-Only-Permissions": "true",
	}), nil)
	if err != nil || s.Role != "user" || s.Vars["x-hasura-user-id"] != "7" || !s.BackendOnly {
		t.Fatalf("role from header: %+v %v", s, err)
	}
}

func TestAdminSecret(t *testing.T) {
	a := mustNew(t, Config{AdminSecret: "s3cret"})

	s, err := a.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": "s3cret"}), nil)
	if err != nil || !s.IsAdmin() || s.BackendOnly {
		t.Fatalf("admin: %+v %v", s, err)
	}
	if _, leaked := s.Vars["x-hasura-admin-secret"]; leaked {
		t.Fatal("the admin secret must not become a session variable")
	}

	s, err = a.Authenticate(request(map[string]string{
		"x-hasura-admin-secret": "s3cret", "X-Hasura-Role": "user", "X-HASURA-USER-ID": "9",
		"x-hasura-use-backend-only-permissions": "Yes",
	}), nil)
	if err != nil || s.Role != "user" || s.Vars["x-hasura-user-id"] != "9" || s.Vars["x-hasura-role"] != "user" || !s.BackendOnly {
		t.Fatalf("admin acting as user: %+v %v", s, err)
	}

	s, err = a.Authenticate(request(map[string]string{"X-Hasura-Access-Key": "s3cret"}), nil)
	if err != nil || !s.IsAdmin() {
		t.Fatalf("legacy access key: %+v %v", s, err)
	}

	_, err = a.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": "wrong"}), nil)
	wantError(t, err, http.StatusUnauthorized, "access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key")

	_, err = a.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": ""}), nil)
	wantError(t, err, http.StatusUnauthorized, "access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key")

	_, err = a.Authenticate(request(map[string]string{"X-Hasura-Role": "admin"}), nil)
	wantError(t, err, http.StatusUnauthorized, "access-denied", "x-hasura-admin-secret/x-hasura-access-key required, but not found")

	_, err = a.Authenticate(request(map[string]string{
		"X-Hasura-Admin-Secret": "s3cret", "X-Hasura-Use-Backend-Only-Permissions": "maybe",
	}), nil)
	wantError(t, err, http.StatusBadRequest, "bad-request",
		`x-hasura-use-backend-only-permissions:  Not a valid boolean text. True values are ["true","t","yes","y"] and  False values are ["false","f","no","n"]. All values are case insensitive`)
}

func TestAdminSecretListRotation(t *testing.T) {
	a := mustNew(t, Config{AdminSecrets: `["old-secret","new-secret"]`})
	for _, secret := range []string{"old-secret", "new-secret"} {
		if s, err := a.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": secret}), nil); err != nil || !s.IsAdmin() {
			t.Fatalf("%s: %+v %v", secret, s, err)
		}
	}
	_, err := a.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": "old-secretnew-secret"}), nil)
	wantError(t, err, http.StatusUnauthorized, "access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key")

	both := mustNew(t, Config{AdminSecret: "single", AdminSecrets: `["listed"]`})
	for _, secret := range []string{"single", "listed"} {
		if _, err := both.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": secret}), nil); err != nil {
			t.Fatalf("%s: %v", secret, err)
		}
	}
}

func TestAdminSecretUnauthorizedRole(t *testing.T) {
	a := mustNew(t, Config{AdminSecret: "s3cret", UnauthorizedRole: "anonymous"})
	s, err := a.Authenticate(request(map[string]string{"X-Hasura-Role": "admin", "X-Hasura-Use-Backend-Only-Permissions": "true"}), nil)
	if err != nil || s.Role != "anonymous" || s.Vars["x-hasura-role"] != "anonymous" || s.BackendOnly {
		t.Fatalf("anonymous: %+v %v", s, err)
	}
	_, err = a.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": "nope"}), nil)
	wantError(t, err, http.StatusUnauthorized, "access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key")
}

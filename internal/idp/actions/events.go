package actions

import "time"

// DefaultEvent returns the sample event the test endpoint fills in, as
// Auth0's "Test" button does: a database user logging in to a sample
// application.
func DefaultEvent(t Trigger, now time.Time) map[string]any {
	ts := now.UTC().Format(time.RFC3339Nano)
	user := map[string]any{
		"user_id":        "auth0|5f7c8ec7c33c6c004bbafe82",
		"email":          "j+smith@example.com",
		"email_verified": true,
		"username":       "j_smith",
		"name":           "j+smith@example.com",
		"nickname":       "j+smith",
		"given_name":     "John",
		"family_name":    "Smith",
		"picture":        "http://www.gravatar.com/avatar/?d=identicon",
		"phone_number":   "",
		"created_at":     ts,
		"updated_at":     ts,
		"last_login":     ts,
		"app_metadata":   map[string]any{},
		"user_metadata":  map[string]any{},
		"identities": []any{map[string]any{
			"connection": "Username-Password-Authentication", "provider": "auth0",
			"user_id": "5f7c8ec7c33c6c004bbafe82", "isSocial": false,
		}},
	}
	client := map[string]any{"client_id": "postgate-test-client", "name": "All Applications", "metadata": map[string]any{}}
	connection := map[string]any{"id": "con_fpe5kj482KO1eOzQ", "name": "Username-Password-Authentication", "strategy": "auth0"}
	request := map[string]any{
		"ip": "13.33.86.47", "hostname": "localhost", "method": "POST", "language": "en",
		"user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"query":      map[string]any{}, "body": map[string]any{},
		"geoip": map[string]any{
			"cityName": "Bellevue", "continentCode": "NA", "countryCode": "US", "countryCode3": "USA",
			"countryName": "United States of America", "latitude": 47.61793, "longitude": -122.19584,
			"subdivisionCode": "WA", "subdivisionName": "Washington", "timeZone": "America/Los_Angeles",
		},
	}
	tenant := map[string]any{"id": "postgate"}
	switch t {
	case CredentialsExchange:
		return map[string]any{
			"client":          client,
			"request":         request,
			"resource_server": map[string]any{"identifier": "https://api.example.com/"},
			"transaction":     map[string]any{"requested_scopes": []any{}, "protocol": "oauth2-client-credentials"},
			"tenant":          tenant,
			"accessToken":     map[string]any{"scope": []any{}},
		}
	case PreUserRegistration, PostUserRegistration:
		return map[string]any{"user": user, "client": client, "connection": connection, "request": request, "tenant": tenant}
	}
	return map[string]any{
		"user":            user,
		"authorization":   map[string]any{"roles": []any{}},
		"authentication":  map[string]any{"methods": []any{map[string]any{"name": "pwd", "timestamp": ts}}},
		"client":          client,
		"connection":      connection,
		"request":         request,
		"resource_server": map[string]any{"identifier": "https://api.example.com/"},
		"session":         map[string]any{"id": "sess_test", "authenticated_at": ts},
		"stats":           map[string]any{"logins_count": 1},
		"tenant":          tenant,
		"transaction": map[string]any{
			"id": "txn_test", "locale": "en", "protocol": "oidc-basic-profile",
			"requested_scopes": []any{"openid", "profile", "email"}, "redirect_uri": "http://localhost:3000/callback",
		},
	}
}

// mergeEvent lays payload over the default event: objects merge key by
// key, anything else replaces.
func mergeEvent(def, payload map[string]any) map[string]any {
	out := make(map[string]any, len(def)+len(payload))
	for k, v := range def {
		out[k] = v
	}
	for k, v := range payload {
		dm, ok1 := out[k].(map[string]any)
		pm, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = mergeEvent(dm, pm)
			continue
		}
		out[k] = v
	}
	return out
}

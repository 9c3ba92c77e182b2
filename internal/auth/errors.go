package auth

import (
	"net/http"

	"github.com/postgate/postgate/internal/apierr"
)

// ConfigError is a start-up configuration error. Message carries Hasura's
// fatal error text so operators see the messages they already know.
type ConfigError struct {
	Message string
}

func (e *ConfigError) Error() string { return e.Message }

func configErrorf(msg string) error { return &ConfigError{Message: msg} }

// Messages Hasura sends for authentication failures (Hasura/Server/Auth*.hs).
const (
	msgMissingJWT          = "Missing 'Authorization' or 'Cookie' header in JWT authentication mode"
	msgMalformedAuthHeader = "Malformed Authorization header"
	msgMultipleJWTs        = "Could not verify JWT: Multiple JWTs found"
	msgRoleNotAllowed      = "Your requested role is not in allowed roles"
	msgInvalidAdminSecret  = "invalid x-hasura-admin-secret/x-hasura-access-key"
	msgAdminSecretRequired = "x-hasura-admin-secret/x-hasura-access-key required, but not found"
	msgHookUnauthorized    = "Authentication hook unauthorized this request"
	msgHookInvalidResponse = "Invalid response from authorization hook"
	msgHookRequestFailed   = "webhook authentication request failed"
	msgHookMissingRole     = "x-hasura-role not found in session variables"
)

// Reasons appended to "Could not verify JWT: ", named after the errors of
// the JOSE library Hasura uses so clients matching on them keep working.
const (
	reasonExpired          = "JWTExpired"
	reasonNotYetValid      = "JWTNotYetValid"
	reasonIssuedAtFuture   = "JWTIssuedAtFuture"
	reasonNotInAudience    = "JWTNotInAudience"
	reasonNotInIssuer      = "JWTNotInIssuer"
	reasonInvalidSignature = "JWSError JWSInvalidSignature"
	reasonNoUsableKeys     = "JWSError NoUsableKeys"
	reasonNoSignatures     = "JWSError JWSNoSignatures"
	reasonBase64           = `JWSError (JSONDecodeError "Not valid base64url")`
	reasonHeaderJSON       = `JWSError (JSONDecodeError "protected header contains invalid JSON")`
)

func invalidHeaders(msg string) *apierr.Error { return apierr.New(apierr.InvalidHeaders, msg) }

func invalidJWT(reason string) *apierr.Error {
	return apierr.New(apierr.InvalidJWT, "Could not verify JWT: "+reason)
}

func invalidClaims(msg string) *apierr.Error { return apierr.New(apierr.JWTInvalidClaims, msg) }

func missingRoleClaim(msg string) *apierr.Error { return apierr.New(apierr.JWTMissingRole, msg) }

func accessDenied(msg string) *apierr.Error { return apierr.New(apierr.AccessDenied, msg) }

func unauthorized(msg string) *apierr.Error {
	return apierr.New(apierr.AccessDenied, msg).WithStatus(http.StatusUnauthorized)
}

func unexpected(msg string) *apierr.Error {
	return apierr.New(apierr.Unexpected, msg).WithStatus(http.StatusInternalServerError)
}

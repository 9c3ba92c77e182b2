// Package idp is Postgate's built-in identity provider: an OAuth 2.0 /
// OpenID Connect provider shaped like Auth0, so that an application
// written against Auth0 only needs its domain changed.
//
// Everything lives under the issuer URL (with its trailing slash, e.g.
// http://localhost:8080/auth/), at Auth0's paths:
//
//	.well-known/openid-configuration   discovery
//	.well-known/jwks.json              signing keys (Cache-Control: max-age)
//	authorize                          authorization code flow (PKCE S256 required for public clients)
//	login, signup, reset, activate     server-rendered pages (no JavaScript needed)
//	oauth/token                        authorization_code, refresh_token (rotating; reuse after the reuse
//	                                   interval revokes the family),
//	                                   client_credentials, password, password-realm, device_code
//	oauth/revoke, oauth/device/code, userinfo, v2/logout, oidc/logout
//	dbconnections/signup, dbconnections/change_password
//	api/v2/...                         Management API (clients, client-grants, resource-servers, users,
//	                                   roles, keys/signing, actions)
//
// The /authorize endpoint and its login callback are served by
// github.com/zitadel/oidc's provider (request validation, exact redirect
// URI match, prompt and error redirects); the token endpoint, discovery,
// JWKS, userinfo, logout and device flow are ours because Auth0's token
// shapes (aud arrays with <issuer>userinfo, azp, gty, permissions, ID
// tokens whose aud is only the client), statuses and grants differ from
// what that library produces.
//
// The Management API accepts the engine's admin secret, either in the
// x-hasura-admin-secret header or as "Authorization: Bearer <secret>", or
// a client-credentials token for the audience <issuer>api/v2/ whose scope
// holds "<read|create|update|delete>:<resource>" (for example read:users).
//
// State (applications, APIs, grants, users with argon2id password hashes,
// roles, signing keys encrypted with AES-GCM under POSTGATE_AUTH_SECRET_KEY,
// authorization requests, sessions, refresh tokens, device codes,
// brute-force counters) lives in the postgate_auth schema
// (POSTGATE_AUTH_SCHEMA) so several instances can share it.
//
// Actions are reached through the runner interfaces in hooks.go.
package idp

// Package idp is Postgate's built-in identity provider: an OAuth 2.0 /
// OpenID Connect provider shaped like Auth0 (its paths, token contents,
// error bodies and Management API v2), with applications, APIs, users,
// login pages and signing keys stored in the postgate_auth schema.
package idp

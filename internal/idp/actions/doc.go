// Package actions runs Auth0-compatible Actions: JavaScript hooks written as
// CommonJS modules (exports.onExecutePostLogin = async (event, api) => {...})
// that the identity provider calls during login, machine-to-machine token
// issuance and user registration. Code written for Auth0, such as the seed
// guide's two post-login Actions, runs unmodified.
//
// # Pieces
//
// The [Runtime] executes a chain of actions on goja: every action run gets
// a fresh runtime from a pool kept warm in the background, compiled code is
// cached per action version, and an event loop (goja_nodejs) drives async
// code, promises, timers and fetch. The [Store] keeps actions, their
// immutable versions and the ordered trigger bindings in Postgres (tables
// action_actions, action_versions and action_bindings in the identity
// provider's schema), with secret values sealed at rest. [NewHandler] serves
// them as Auth0's Management API v2 under <issuer>api/v2/actions/, and
// [Flows] joins store and runtime to implement the identity provider's hook
// interfaces.
//
// # What an action sees
//
// Triggers and handlers: post-login (onExecutePostLogin),
// credentials-exchange (onExecuteCredentialsExchange), pre-user-registration
// (onExecutePreUserRegistration) and post-user-registration
// (onExecutePostUserRegistration). The event is the identity provider's
// (user, authorization.roles, client, connection, request, resource_server,
// stats, transaction, session, tenant), plus event.secrets of that action.
// Metadata set by an earlier action of the chain is visible in event.user.
//
// The api object: accessToken.setCustomClaim/addScope/removeScope,
// idToken.setCustomClaim, access.deny, user.setAppMetadata/setUserMetadata
// and cache.get/set/delete for post-login; accessToken.setCustomClaim and
// access.deny(code, reason) for credentials-exchange; access.deny,
// validation.error and user metadata for pre-user-registration; cache for
// post-user-registration. api.multifactor, api.redirect and
// api.authentication are recorded as not supported yet and otherwise
// ignored. Reserved claims (iss, sub, aud, exp, scope, ...) are ignored.
//
// Modules: require('node-fetch') (the v2 API) and a global fetch backed by
// Go's HTTP client, require('axios'), Headers, URL, URLSearchParams, Buffer,
// setTimeout/setInterval/setImmediate and console (captured into the run's
// logs). Any other module, the file system and the process are out of
// reach: require throws "Cannot find module". Declared dependencies are
// checked when an action is saved or deployed: only the modules Postgate
// provides are accepted.
//
// # Limits
//
// A flow (every action bound to a trigger) has 20 s (POSTGATE_AUTH_ACTIONS_TIMEOUT),
// enforced from Go: an infinite loop is interrupted. fetch has its own
// timeout (POSTGATE_AUTH_ACTIONS_FETCH_TIMEOUT), may be limited to an
// allow-list of hosts (POSTGATE_AUTH_ACTIONS_ALLOWED_HOSTS; every host by
// default) and reads at most 5 MiB per response. A watchdog stops an action
// whose allocations grow the heap by more than 512 MiB. Console output is
// capped at 64 KiB per flow. A throw, a rejected promise, a time or memory
// limit, or api.access.deny fails the flow with its reason; the identity
// provider then answers access_denied and issues nothing from that flow.
package actions

// Package actions runs Auth0-compatible Actions: JavaScript hooks written as
// CommonJS modules (exports.onExecutePostLogin = async (event, api) => {...})
// that the identity provider calls during login, machine-to-machine token
// issuance and user registration.
//
// The [Runtime] executes a chain of actions on goja with Auth0's event and
// api objects, a sandbox (no file system, no process, outbound HTTP only
// through fetch and node-fetch, limited to an allow-list of hosts) and a
// time limit per flow enforced from Go. The [Store] keeps actions, their
// immutable versions and the ordered trigger bindings in Postgres, and
// [NewHandler] serves them as Auth0's Management API v2 (actions/actions,
// deploy, versions, test, triggers/{id}/bindings). [Flows] joins the two and
// implements the identity provider's hook interfaces.
package actions

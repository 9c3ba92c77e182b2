// Postgate demo: put the Hasura session claims on every access token issued
// for an API, so the engine knows the caller's role and user id.
exports.onExecutePostLogin = async (event, api) => {
  if (!event.authorization) {
    return;
  }
  const roles = ['user'];
  api.accessToken.setCustomClaim('https://hasura.io/jwt/claims', {
    'x-hasura-default-role': 'user',
    'x-hasura-allowed-roles': roles,
    'x-hasura-user-id': event.user.user_id,
  });
};

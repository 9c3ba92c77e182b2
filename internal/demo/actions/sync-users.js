// Postgate demo: upsert the signed-in user into public.users through the
// GraphQL API, with the admin secret. The endpoint and the secret come from
// this Action's secrets.
const fetch = require('node-fetch');

const upsertUser = `mutation DemoSyncUser($userId: String!, $userName: String) {
  insert_users_one(
    object: {userId: $userId, userName: $userName},
    on_conflict: {constraint: users_pkey, update_columns: [userName]}
  ) {
    userId
  }
}`;

exports.onExecutePostLogin = async (event, api) => {
  const res = await fetch(event.secrets.HASURA_GRAPHQL_ENDPOINT, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hasura-admin-secret': event.secrets.HASURA_GRAPHQL_ADMIN_SECRET,
    },
    body: JSON.stringify({
      query: upsertUser,
      variables: { userId: event.user.user_id, userName: event.user.username ?? null },
    }),
  });
  const body = await res.json();
  console.log('sync', event.user.user_id, JSON.stringify(body));
  if (body.errors) {
    // The login goes on: the user is signed in even when the row is not
    // written (see this Action's logs).
    console.log('sync failed:', body.errors[0].message);
  }
};

-- wrk script: POST the JSON body in $BODY_FILE with optional $AUTH header.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local secret = os.getenv("ADMIN_SECRET")
if secret and secret ~= "" then wrk.headers["x-hasura-admin-secret"] = secret end
local role = os.getenv("ROLE")
if role and role ~= "" then
  wrk.headers["x-hasura-role"] = role
  wrk.headers["x-hasura-user-id"] = os.getenv("USER_ID")
end

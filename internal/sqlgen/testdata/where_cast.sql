SELECT coalesce(json_agg(json_build_object('id', _0."id") ORDER BY _0."id" ASC), '[]'::json) AS j FROM "public"."author" AS _0 WHERE ((_0."created_at")::text LIKE $1::text)

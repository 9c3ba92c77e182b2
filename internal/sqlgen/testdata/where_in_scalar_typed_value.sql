SELECT coalesce(json_agg(json_build_object('id', _0."id") ORDER BY _0."id" ASC), '[]'::json) AS j FROM "public"."author" AS _0 WHERE ((_0."id" = ANY($1::text::integer[])) AND (_0."info" ? $2::text))

SELECT coalesce(json_agg(json_build_object('id', _0."id") ORDER BY _0."id" ASC), '[]'::json) AS j FROM "public"."author" AS _0 WHERE ("public"."author_label"(_0, $1::text) = $2::text)

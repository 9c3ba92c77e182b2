SELECT coalesce(json_agg(json_build_object('id', _0."id") ORDER BY "public"."author_label"(_0) DESC NULLS LAST), '[]'::json) AS j FROM "public"."author" AS _0

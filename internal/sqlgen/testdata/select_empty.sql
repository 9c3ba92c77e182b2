SELECT coalesce(json_agg(json_build_object('id', _0."id")), '[]'::json) AS j FROM "public"."author" AS _0 WHERE false

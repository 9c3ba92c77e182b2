SELECT coalesce(json_agg(json_build_object('id', _0."id", 'name', _0."name")), '[]'::json) AS j FROM "public"."author" AS _0 WHERE (_0."id" = $1::text::integer)

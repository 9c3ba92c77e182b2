SELECT coalesce(json_agg(json_build_object('id', _0."id", 'name', _0."name") ORDER BY _0."id" ASC), '[]'::json) AS j FROM "public"."author" AS _0

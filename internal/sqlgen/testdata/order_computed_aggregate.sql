SELECT coalesce(json_agg(json_build_object('id', _0."id") ORDER BY (SELECT count(*) FROM "public"."author_published"(_0) AS _1) DESC, _0."id" ASC), '[]'::json) AS j FROM "public"."author" AS _0

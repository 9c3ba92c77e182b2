SELECT coalesce(json_agg(row_to_json(_1) ORDER BY "public"."author_label"(_0) DESC NULLS LAST), '[]'::json) AS j FROM "public"."author" AS _0 CROSS JOIN LATERAL (SELECT _0."id" AS "id") AS _1

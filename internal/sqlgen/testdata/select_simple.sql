SELECT coalesce(json_agg(row_to_json(_1) ORDER BY _0."id" ASC), '[]'::json) AS j FROM "public"."author" AS _0 CROSS JOIN LATERAL (SELECT _0."id" AS "id", _0."name" AS "name") AS _1

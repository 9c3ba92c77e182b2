SELECT coalesce(json_agg(row_to_json(_1)), '[]'::json) AS j FROM "public"."author" AS _0 CROSS JOIN LATERAL (SELECT _0."id" AS "id", _0."name" AS "name") AS _1 WHERE (_0."id" = $1::text::integer)

SELECT coalesce(json_agg(row_to_json(_1) ORDER BY _0."rating" DESC), '[]'::json) AS j FROM "public"."article" AS _0 CROSS JOIN LATERAL (SELECT _0."id" AS "id", _0."rating" AS "rating") AS _1

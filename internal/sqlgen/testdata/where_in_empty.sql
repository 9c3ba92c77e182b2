SELECT coalesce(json_agg(row_to_json(_1)), '[]'::json) AS j FROM "public"."article" AS _0 CROSS JOIN LATERAL (SELECT _0."id" AS "id") AS _1 WHERE (_0."id" = ANY($1::text::integer[]))

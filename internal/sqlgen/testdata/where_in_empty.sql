SELECT coalesce(json_agg(json_build_object('id', _0."id")), '[]'::json) AS j FROM "public"."article" AS _0 WHERE (_0."id" = ANY($1::text::integer[]))

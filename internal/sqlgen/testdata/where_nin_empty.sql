SELECT coalesce(json_agg(json_build_object('id', _0."id") ORDER BY _0."id" ASC), '[]'::json) AS j FROM "public"."article" AS _0 WHERE (_0."id" <> ALL($1::text::integer[]))

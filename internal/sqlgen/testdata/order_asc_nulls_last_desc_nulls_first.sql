SELECT coalesce(json_agg(json_build_object('id', _0."id", 'rating', _0."rating") ORDER BY _0."rating" DESC), '[]'::json) AS j FROM "public"."article" AS _0

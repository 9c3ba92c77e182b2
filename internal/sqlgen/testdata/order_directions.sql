SELECT coalesce(json_agg(json_build_object('id', _0."id", 'rating', _0."rating") ORDER BY _0."rating" ASC NULLS FIRST, _0."id" DESC NULLS LAST), '[]'::json) AS j FROM "public"."article" AS _0

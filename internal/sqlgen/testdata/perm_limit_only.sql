SELECT coalesce(json_agg(json_build_object('id', _0."id") ORDER BY _0."id" DESC), '[]'::json) AS j FROM (SELECT _0.* FROM "public"."article" AS _0 ORDER BY _0."id" DESC LIMIT 1) AS _0

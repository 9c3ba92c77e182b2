SELECT coalesce((SELECT json_build_object('id', _0."id", 'name', _0."name") AS j FROM "public"."author" AS _0 WHERE (_0."id" = $1::text::integer)), 'null'::json) AS root

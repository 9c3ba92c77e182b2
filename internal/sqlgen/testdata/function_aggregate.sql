SELECT json_build_object('aggregate', json_build_object('count', count(*))) AS j FROM "public"."search_articles"($1::text) AS _0

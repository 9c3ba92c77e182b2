SELECT coalesce(json_agg(a), '[]')
FROM (SELECT artist_id, name FROM artist ORDER BY artist_id LIMIT 10) a;

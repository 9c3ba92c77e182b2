SELECT coalesce(json_agg(json_build_object('artist_id', a.artist_id, 'name', a.name) ORDER BY a.artist_id), '[]')
FROM (SELECT artist_id, name FROM artist ORDER BY artist_id LIMIT 10) a;

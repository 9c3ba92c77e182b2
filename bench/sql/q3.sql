SELECT coalesce(json_agg(json_build_object('album_id', al.album_id, 'title', al.title, 'artist', ar.o, 'tracks', tr.o) ORDER BY al.album_id), '[]')
FROM (SELECT album_id, title, artist_id FROM album WHERE user_id = 1 ORDER BY album_id LIMIT 50) al
LEFT JOIN LATERAL (SELECT json_build_object('artist_id', artist_id, 'name', name) AS o FROM artist WHERE artist.artist_id = al.artist_id) ar ON true
LEFT JOIN LATERAL (SELECT coalesce(json_agg(json_build_object('track_id', track_id, 'name', name, 'milliseconds', milliseconds) ORDER BY track_id), '[]') AS o
                   FROM track WHERE track.album_id = al.album_id) tr ON true;

SELECT coalesce(json_agg(r), '[]') FROM (
  SELECT al.album_id, al.title,
    (SELECT ar FROM (SELECT artist.artist_id, artist.name FROM artist WHERE artist.artist_id = al.artist_id) ar) AS artist,
    (SELECT coalesce(json_agg(t), '[]') FROM (SELECT track_id, name, milliseconds FROM track WHERE track.album_id = al.album_id ORDER BY track_id) t) AS tracks
  FROM (SELECT album_id, title, artist_id FROM album ORDER BY album_id LIMIT 50) al
  ORDER BY al.album_id) r;

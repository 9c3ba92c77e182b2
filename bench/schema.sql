SET client_min_messages = warning;
-- Chinook-like benchmark database, generated deterministically.
-- 2,000 artists, 10,000 albums, 100,000 tracks (10 per album); user_id owner columns
-- (100 users) so that a permission can filter rows.
DROP TABLE IF EXISTS track, album, artist CASCADE;
CREATE TABLE artist (
  artist_id integer PRIMARY KEY,
  name text NOT NULL,
  user_id integer NOT NULL
);
CREATE TABLE album (
  album_id integer PRIMARY KEY,
  title text NOT NULL,
  artist_id integer NOT NULL REFERENCES artist(artist_id),
  user_id integer NOT NULL
);
CREATE TABLE track (
  track_id integer PRIMARY KEY,
  name text NOT NULL,
  album_id integer NOT NULL REFERENCES album(album_id),
  milliseconds integer NOT NULL,
  bytes integer NOT NULL,
  unit_price numeric(10,2) NOT NULL,
  user_id integer NOT NULL
);
INSERT INTO artist SELECT i, 'Artist ' || i, i % 100 + 1 FROM generate_series(1, 2000) i;
INSERT INTO album SELECT i, 'Album ' || i, (i - 1) % 2000 + 1, i % 100 + 1 FROM generate_series(1, 10000) i;
INSERT INTO track SELECT i, 'Track ' || i, (i - 1) / 10 + 1, 180000 + (i * 7919) % 120000, 3000000 + (i::bigint * 104729) % 5000000,
  0.99, ((i - 1) / 10 + 1) % 100 + 1 FROM generate_series(1, 100000) i;
CREATE INDEX album_artist_id_idx ON album(artist_id);
CREATE INDEX track_album_id_idx ON track(album_id);
CREATE INDEX album_user_id_idx ON album(user_id);
CREATE TABLE IF NOT EXISTS users (
  "userId" text PRIMARY KEY,
  "userName" text,
  "lastSeen" timestamp DEFAULT now()
);
ANALYZE;

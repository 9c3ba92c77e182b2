CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE place (
  id int PRIMARY KEY,
  name text,
  geom geometry,
  geog geography
);
INSERT INTO place VALUES
  (1, 'origin', 'POINT(0 0)', 'SRID=4326;POINT(-118.4079 33.9434)'),
  (2, 'square', 'POLYGON((0 0, 0 1, 1 1, 1 0, 0 0))', 'SRID=4326;POINT(0 0)'),
  (3, 'line', 'LINESTRING(1 0, 0.5 0.5, 0 1)', 'SRID=4326;POINT(10 10)');

-- One row per relation, function name and user type, with its oid (0 for
-- overloaded functions) and a hash of the catalog rows that describe it:
-- DDL on the object writes one of them and so changes its xmin. The
-- relation's own pg_class row contributes its relevant columns rather than
-- its xmin, which TRUNCATE, CLUSTER and VACUUM FULL also change. Readable
-- without superuser rights.
--
-- A first row of kind '*' carries a hash of all the others (the sum of a
-- hash of each); the others are sent only when it is not one of $2, the
-- sums of the fingerprints the caller already has, so that the common case,
-- nothing changed, sends one row. Objects are spread over 64 buckets by
-- name; when the sum differs, a row of kind 'b' gives the sum of each
-- bucket that differs from $3 (the bucket sums of a fingerprint the caller
-- has, or none), and only those buckets' objects are sent: a change to
-- one object sends a few rows. The last column is the bucket.
--
-- Each catalog is joined once with the relations (hash joins) rather than
-- queried per relation, and each object's hash is the sum of a 64-bit hash
-- of each of its catalog rows (tagged with the catalog), which needs neither
-- sorting nor string aggregation.
-- $1 text[]: schemas to skip; $2 text[]: sums already known; $3 text: the
-- 64 bucket sums of a fingerprint already known, separated by commas, or
-- empty (one string rather than an array: cheaper to send).
WITH ns AS (
  SELECT oid, nspname FROM pg_catalog.pg_namespace
   WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' AND nspname <> ALL ($1::text[])
), rel AS (
  SELECT c.oid, ns.nspname, c.relname,
         hashtextextended(concat_ws('|', c.oid, c.relkind, c.relnatts, c.relispartition, c.relhasrules, c.reloftype), 0) AS h
    FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
), relparts(oid, h) AS (
  SELECT a.attrelid, hashtextextended('a' || a.attnum || ':' || a.xmin, 0)
    FROM pg_catalog.pg_attribute a JOIN rel ON rel.oid = a.attrelid WHERE a.attnum > 0
  UNION ALL
  SELECT k.conrelid, hashtextextended('k' || k.oid || ':' || k.xmin, 0)
    FROM pg_catalog.pg_constraint k JOIN rel ON rel.oid = k.conrelid
  UNION ALL
  -- foreign keys by referenced relation
  SELECT k.confrelid, hashtextextended('f' || k.oid || ':' || k.xmin, 0)
    FROM pg_catalog.pg_constraint k JOIN rel ON rel.oid = k.confrelid
  UNION ALL
  SELECT i.indrelid, hashtextextended('i' || i.indexrelid || ':' || i.xmin, 0)
    FROM pg_catalog.pg_index i JOIN rel ON rel.oid = i.indrelid
  UNION ALL
  SELECT ad.adrelid, hashtextextended('d' || ad.adnum || ':' || ad.xmin, 0)
    FROM pg_catalog.pg_attrdef ad JOIN rel ON rel.oid = ad.adrelid
  UNION ALL
  SELECT d.objoid, hashtextextended('c' || d.objsubid || ':' || d.xmin, 0)
    FROM pg_catalog.pg_description d JOIN rel ON rel.oid = d.objoid
   WHERE d.classoid = 'pg_catalog.pg_class'::regclass
  UNION ALL
  SELECT tg.tgrelid, hashtextextended('t' || tg.oid || ':' || tg.xmin, 0)
    FROM pg_catalog.pg_trigger tg JOIN rel ON rel.oid = tg.tgrelid
  UNION ALL
  SELECT rw.ev_class, hashtextextended('w' || rw.oid || ':' || rw.xmin, 0)
    FROM pg_catalog.pg_rewrite rw JOIN rel ON rel.oid = rw.ev_class
), relsum AS (
  SELECT oid, sum(h) AS h FROM relparts GROUP BY oid
), obj(kind, nspname, name, oid, h) AS (
  SELECT 'r', rel.nspname, rel.relname, rel.oid, (rel.h + coalesce(relsum.h, 0))::text
    FROM rel LEFT JOIN relsum ON relsum.oid = rel.oid
  UNION ALL
  SELECT 'f', ns.nspname, p.proname, CASE WHEN count(*) = 1 THEN min(p.oid::int8) ELSE 0 END::oid,
         sum(hashtextextended(concat_ws(':', p.oid, p.xmin, d.xmin), 0))::text
    FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
    LEFT JOIN pg_catalog.pg_description d
      ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
   WHERE p.prokind = 'f'
   GROUP BY ns.nspname, p.proname
  UNION ALL
  SELECT 't', ns.nspname, t.typname, t.oid, (hashtextextended(t.oid || ':' || t.xmin, 0) +
         coalesce((SELECT sum(hashtextextended('e' || l.oid || ':' || l.xmin, 0))
            FROM pg_catalog.pg_enum l WHERE t.typtype = 'e' AND l.enumtypid = t.oid), 0) +
         coalesce((SELECT sum(hashtextextended('a' || a.attnum || ':' || a.xmin, 0))
            FROM pg_catalog.pg_attribute a WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0), 0) +
         coalesce((SELECT sum(hashtextextended('c' || d.objsubid || ':' || d.xmin, 0))
            FROM pg_catalog.pg_description d
           WHERE d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::regclass), 0))::text
    FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_class rc ON rc.oid = t.typrelid
    LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
   WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r', 'm')
     AND (t.typrelid = 0 OR rc.relkind = 'c')
     AND NOT (t.typelem <> 0 AND e.typarray = t.oid)
), total AS (
  SELECT coalesce(sum(hashtextextended(ROW(kind, nspname, name, oid, h)::text, 0)), 0)::text AS h FROM obj
), sent AS (
  -- the objects, with their bucket (one of 64, by name), only when the
  -- sum is not one of $2
  SELECT obj.*, hashtext(ROW(kind, nspname, name)::text) & 63 AS b,
         hashtextextended(ROW(kind, nspname, name, oid, h)::text, 0) AS rh
    FROM obj WHERE (SELECT h FROM total) <> ALL ($2::text[])
), changed AS (
  -- the buckets whose sum is not the one at the same index in $3 (all
  -- when $3 is empty)
  SELECT g.b, coalesce(sum(sent.rh), 0)::text AS h
    FROM generate_series(0, 63) g(b) LEFT JOIN sent ON sent.b = g.b
   WHERE (SELECT h FROM total) <> ALL ($2::text[])
   GROUP BY g.b
  HAVING coalesce(sum(sent.rh), 0)::text IS DISTINCT FROM (string_to_array($3::text, ','))[g.b + 1]
)
SELECT kind, nspname, name, oid, h, b FROM (
  SELECT 0 AS ord, '*' AS kind, '' AS nspname, '' AS name, 0::oid AS oid, total.h, 0 AS b FROM total
  UNION ALL
  SELECT 1, 'b', '', '', 0::oid, changed.h, changed.b FROM changed
  UNION ALL
  SELECT 2, sent.kind, sent.nspname, sent.name, sent.oid, sent.h, sent.b FROM sent JOIN changed ON changed.b = sent.b
) r
 -- the sum first, then each changed bucket's sum before any object
 ORDER BY ord

-- One row per relation, function name and user type, with its oid (0 for
-- overloaded functions) and a hash of the catalog rows that describe it:
-- DDL on the object writes one of them and so changes its xmin. The
-- relation's own pg_class row contributes its relevant columns rather than
-- its xmin, which TRUNCATE, CLUSTER and VACUUM FULL also change. Readable
-- without superuser rights.
-- $1 text[]: schemas to skip.
WITH ns AS (
  SELECT oid, nspname FROM pg_catalog.pg_namespace
   WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' AND nspname <> ALL ($1::text[])
), refs AS (
  -- foreign keys by referenced relation (pg_constraint has no index on confrelid)
  SELECT confrelid, string_agg(oid || ':' || xmin, ',' ORDER BY oid) AS h
    FROM pg_catalog.pg_constraint WHERE confrelid <> 0 GROUP BY confrelid
)
SELECT 'r', ns.nspname, c.relname, c.oid, md5(concat_ws('|', c.oid, c.relkind, c.relnatts, c.relispartition, c.relhasrules, c.reloftype,
         (SELECT string_agg(a.attnum || ':' || a.xmin, ',' ORDER BY a.attnum)
            FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0),
         (SELECT string_agg(k.oid || ':' || k.xmin, ',' ORDER BY k.oid)
            FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid),
         refs.h,
         (SELECT string_agg(i.indexrelid || ':' || i.xmin, ',' ORDER BY i.indexrelid)
            FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid),
         (SELECT string_agg(ad.adnum || ':' || ad.xmin, ',' ORDER BY ad.adnum)
            FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = c.oid),
         (SELECT string_agg(d.objsubid || ':' || d.xmin, ',' ORDER BY d.objsubid)
            FROM pg_catalog.pg_description d
           WHERE d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass),
         (SELECT string_agg(tg.oid || ':' || tg.xmin, ',' ORDER BY tg.oid)
            FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = c.oid),
         (SELECT string_agg(rw.oid || ':' || rw.xmin, ',' ORDER BY rw.oid)
            FROM pg_catalog.pg_rewrite rw WHERE rw.ev_class = c.oid)))
  FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
  LEFT JOIN refs ON refs.confrelid = c.oid
 WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
UNION ALL
SELECT 'f', ns.nspname, p.proname, CASE WHEN count(*) = 1 THEN min(p.oid::int8) ELSE 0 END::oid, md5(string_agg(concat_ws(':', p.oid, p.xmin,
         (SELECT d.xmin FROM pg_catalog.pg_description d
           WHERE d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0)), ',' ORDER BY p.oid))
  FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
 WHERE p.prokind = 'f'
 GROUP BY ns.nspname, p.proname
UNION ALL
SELECT 't', ns.nspname, t.typname, t.oid, md5(concat_ws('|', t.oid, t.xmin,
         (SELECT string_agg(l.oid || ':' || l.xmin, ',' ORDER BY l.oid)
            FROM pg_catalog.pg_enum l WHERE l.enumtypid = t.oid),
         (SELECT string_agg(a.attnum || ':' || a.xmin, ',' ORDER BY a.attnum)
            FROM pg_catalog.pg_attribute a WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0),
         (SELECT string_agg(d.xmin::text, ',')
            FROM pg_catalog.pg_description d
           WHERE d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::regclass)))
  FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_class rc ON rc.oid = t.typrelid
  LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
 WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r', 'm')
   AND (t.typrelid = 0 OR rc.relkind = 'c')
   AND NOT (t.typelem <> 0 AND e.typarray = t.oid)

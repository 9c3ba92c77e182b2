-- User-defined types: enums, standalone composites, domains, ranges and base
-- types from extensions; array types and table row types are left out.
-- $1 text[]: schemas to skip; $2/$3 text[]: optional (schema, name) filter.
SELECT t.oid,
       n.nspname,
       t.typname,
       coalesce(d.description, ''),
       coalesce((
         SELECT json_agg(json_build_object('name', a.attname, 'type', a.atttypid::int8) ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute a
          WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '[]')
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_class rc ON rc.oid = t.typrelid
  LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
  LEFT JOIN pg_catalog.pg_description d
         ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::regclass AND d.objsubid = 0
 WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r', 'm')
   AND (t.typrelid = 0 OR rc.relkind = 'c')
   AND NOT (t.typelem <> 0 AND e.typarray = t.oid)
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND n.nspname <> ALL ($1::text[])
   AND ($2::text[] IS NULL OR (n.nspname, t.typname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
 ORDER BY n.nspname, t.typname

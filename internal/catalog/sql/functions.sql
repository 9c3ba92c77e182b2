-- Functions (not aggregates, window functions or procedures), one row per
-- overload. $1 text[]: schemas to skip; $2/$3 text[]: optional (schema, name) filter.
SELECT p.oid,
       n.nspname,
       p.proname,
       coalesce(d.description, ''),
       p.proretset,
       p.prorettype,
       p.provolatile::text,
       p.provariadic <> 0,
       p.pronargdefaults,
       p.proargtypes::oid[],
       p.proallargtypes,
       p.proargmodes::text[],
       p.proargnames,
       coalesce(rc.relkind IN ('r', 'v', 'm', 'f', 'p'), false)
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_type rt ON rt.oid = p.prorettype
  LEFT JOIN pg_catalog.pg_class rc ON rc.oid = rt.typrelid
  LEFT JOIN pg_catalog.pg_description d
         ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
 WHERE p.prokind = 'f'
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND n.nspname <> ALL ($1::text[])
   AND ($2::text[] IS NULL OR (n.nspname, p.proname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
 ORDER BY n.nspname, p.proname, p.oid

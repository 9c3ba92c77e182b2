-- Type descriptions by oid. $1 oid[]: the types to describe. Built-in
-- types are named as format_type prints them without a modifier, which is
-- also a valid cast target that never truncates ("bpchar", not "character",
-- which means character(1)); other types are schema-qualified.
SELECT t.oid,
       n.nspname,
       t.typname,
       t.typtype::text,
       t.typcategory::text,
       CASE WHEN t.typelem <> 0 AND e.typarray = t.oid THEN t.typelem ELSE 0 END,
       t.typbasetype,
       CASE WHEN n.nspname = 'pg_catalog' THEN pg_catalog.format_type(t.oid, -1)
            ELSE quote_ident(n.nspname) || '.' || quote_ident(t.typname) END,
       CASE WHEN t.typtype = 'e' THEN
         (SELECT array_agg(l.enumlabel::text ORDER BY l.enumsortorder) FROM pg_catalog.pg_enum l WHERE l.enumtypid = t.oid)
       END
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
 WHERE t.oid = ANY ($1::oid[])

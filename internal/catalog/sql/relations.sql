-- Relations (tables, views, materialized views, foreign and partitioned
-- tables) with their columns, keys and foreign keys, one row each.
-- $1 text[]: schemas to skip; $2/$3 text[]: optional (schema, name) filter.
SELECT c.oid,
       n.nspname,
       c.relname,
       c.relkind::text,
       coalesce(d.description, ''),
       pg_catalog.pg_relation_is_updatable(c.oid, true),
       c.relispartition,
       coalesce((
         SELECT json_agg(json_build_object(
                  'name', a.attname,
                  'num', a.attnum,
                  'type', a.atttypid::int8,
                  'full_type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                  'notnull', a.attnotnull,
                  'hasdef', a.atthasdef,
                  'identity', a.attidentity::text,
                  'generated', a.attgenerated::text,
                  'default', coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), ''),
                  'comment', coalesce(cd.description, ''))
                ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute a
           LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
           LEFT JOIN pg_catalog.pg_description cd
                  ON cd.objoid = a.attrelid AND cd.classoid = 'pg_catalog.pg_class'::regclass AND cd.objsubid = a.attnum
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
       coalesce((
         SELECT json_agg(json_build_object(
                  'name', k.conname,
                  'type', k.contype::text,
                  'cols', (SELECT array_agg(a.attname ORDER BY u.ord)
                             FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
                             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num),
                  'ref_schema', rn.nspname,
                  'ref_table', rc.relname,
                  'ref_cols', (SELECT array_agg(a.attname ORDER BY u.ord)
                                 FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
                                 JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num))
                ORDER BY k.conname)
           FROM pg_catalog.pg_constraint k
           LEFT JOIN pg_catalog.pg_class rc ON rc.oid = k.confrelid
           LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
          WHERE k.conrelid = c.oid
            AND k.contype IN ('p', 'u', 'f')
            -- a foreign key to a partitioned table also gets one row per
            -- referenced partition; keep only the user-visible one
            AND NOT (k.contype = 'f' AND k.conparentid <> 0 AND EXISTS (
                  SELECT 1 FROM pg_catalog.pg_constraint pk
                   WHERE pk.oid = k.conparentid AND pk.conrelid = k.conrelid))), '[]'),
       coalesce((
         SELECT json_agg(json_build_object(
                  'name', ic.relname,
                  'type', 'i',
                  'cols', (SELECT array_agg(a.attname ORDER BY u.ord)
                             FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(num, ord)
                             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.num
                            WHERE u.ord <= i.indnkeyatts))
                ORDER BY ic.relname)
           FROM pg_catalog.pg_index i
           JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
          WHERE i.indrelid = c.oid
            AND i.indisunique AND NOT i.indisprimary AND i.indisvalid
            AND i.indpred IS NULL AND i.indexprs IS NULL
            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                             WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                               AND k.contype IN ('p', 'u', 'x'))), '[]')
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_description d
         ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
 WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND n.nspname <> ALL ($1::text[])
   AND ($2::text[] IS NULL OR (n.nspname, c.relname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
 ORDER BY n.nspname, c.relname

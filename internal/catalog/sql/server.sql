-- Server version and installed extensions.
SELECT current_setting('server_version_num')::int,
       coalesce((SELECT json_object_agg(extname, extversion) FROM pg_catalog.pg_extension), '{}')

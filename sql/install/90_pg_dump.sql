-- Layer 9, pg_dump: pg_dump carries the user's rows.  Every table of the extension
-- (and every identity sequence, so a restored table does not hand out ids
-- again) is registered with pg_extension_config_dump, read from the catalog:
-- a new table is registered by being created, never by a list to keep up.
-- A table whose rows are made by this script and are not user data is
-- registered with a filter matching no row (a restore would insert them a
-- second time):
--   commission_run_gate  its one row is made by 23_model_ledgers.sql
-- (job_setting and ops_setting rows are made here too, but the user may
-- change them: they are dumped, and their restore merges, settings_restore_merge.)
DO $$
DECLARE
  t record;
  s regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass AS tab, c.relname
           FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                      AND d.objid = c.oid AND d.deptype = 'e'
           JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_supervisor'
           WHERE c.relkind IN ('r', 'p')
           ORDER BY c.relname
  LOOP
    PERFORM pg_catalog.pg_extension_config_dump(t.tab,
      CASE t.relname WHEN 'commission_run_gate' THEN 'WHERE false' ELSE '' END);
    FOR s IN SELECT pg_catalog.pg_get_serial_sequence(t.tab::text, a.attname)::regclass
             FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = t.tab AND a.attidentity <> '' AND NOT a.attisdropped
    LOOP
      PERFORM pg_catalog.pg_extension_config_dump(s, '');
    END LOOP;
  END LOOP;
END
$$;

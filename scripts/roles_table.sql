-- The roles table of docs/roles.md, generated from the catalog of a fresh
-- install: for every table, view and restricted function of the extension,
-- what each group role may do, and which rows (the row-level security
-- policies that apply to it).  test/system/docs_roles.t checks that the
-- document holds exactly this output (and prints the block to paste when it
-- does not).
--
-- Cells: S select, I insert, U update, D delete, U(col, ...) update of those
-- columns only, X execute; after a dot the policies that decide the rows
-- (named <table>_<rule>: own = the member's own rows, subtree = their scope,
-- hr / read = all rows, via_<parent> = the rows whose parent row is visible,
-- manager_insert etc. = what a manager may write);  "all rows" without
-- row-level security; "no rows" when no policy admits the role.
WITH roles(ord, rolname, short) AS (
  VALUES (1, 'sales_supervisor_rep', 'rep'), (2, 'sales_supervisor_supervisor', 'supervisor'),
         (3, 'sales_supervisor_manager', 'manager'), (4, 'sales_supervisor_hr', 'hr'),
         (5, 'sales_supervisor_bi', 'bi')),
rels AS (
  SELECT c.oid, c.relname::text AS relname, c.relrowsecurity,
         CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' ELSE 'materialized view' END AS kind
  FROM pg_catalog.pg_class c
  WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('r', 'v', 'm')),
rel_cells AS (
  SELECT r.kind, r.relname AS name, ro.ord,
         concat_ws('', CASE WHEN has_table_privilege(ro.rolname, r.oid, 'SELECT') THEN 'S' END,
                       CASE WHEN has_table_privilege(ro.rolname, r.oid, 'INSERT') THEN 'I' END,
                       CASE WHEN has_table_privilege(ro.rolname, r.oid, 'UPDATE') THEN 'U' END,
                       CASE WHEN has_table_privilege(ro.rolname, r.oid, 'DELETE') THEN 'D' END) AS tab,
         (SELECT 'U(' || string_agg(a.attname, ', ' ORDER BY a.attnum) || ')'
          FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
            AND NOT has_table_privilege(ro.rolname, r.oid, 'UPDATE')
            AND has_column_privilege(ro.rolname, r.oid, a.attname, 'UPDATE')) AS cols,
         CASE WHEN NOT r.relrowsecurity THEN NULL
              ELSE coalesce((SELECT string_agg(DISTINCT regexp_replace(p.polname, '^' || r.relname || '_', ''), ', ')
                             FROM pg_catalog.pg_policy p
                             WHERE p.polrelid = r.oid
                               AND (0::oid = ANY (p.polroles)
                                    OR (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ro.rolname) = ANY (p.polroles))),
                            'no rows') END AS pol
  FROM rels r CROSS JOIN roles ro),
funcs AS (
  SELECT p.oid, CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END AS kind,
         p.proname::text || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')' AS name
  FROM pg_catalog.pg_proc p
  WHERE p.pronamespace = 'sales_supervisor'::regnamespace
    AND p.proacl IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0)
    AND EXISTS (SELECT 1 FROM roles ro WHERE has_function_privilege(ro.rolname, p.oid, 'EXECUTE'))),
fn_cells AS (
  SELECT f.kind, f.name, ro.ord,
         CASE WHEN has_function_privilege(ro.rolname, f.oid, 'EXECUTE') THEN 'X' END AS tab,
         NULL::text AS cols, NULL::text AS pol
  FROM funcs f CROSS JOIN roles ro),
cells AS (
  SELECT kind, name, ord,
         CASE WHEN tab = '' AND cols IS NULL THEN '' ELSE
           concat_ws(' · ', concat_ws(' ', nullif(tab, ''), cols), CASE WHEN kind = 'table' THEN coalesce(pol, 'all rows') END)
         END AS cell
  FROM (SELECT * FROM rel_cells UNION ALL SELECT * FROM fn_cells) x),
line AS (
  SELECT kind, name,
         '| ' || kind || ' `' || name || '` | ' || string_agg(coalesce(nullif(cell, ''), '—'), ' | ' ORDER BY ord) || ' |' AS md
  FROM cells GROUP BY kind, name
  HAVING bool_or(cell <> ''))
SELECT md FROM (
  SELECT 0 AS k, '' AS kind, '' AS name, '| object | rep | supervisor | manager | hr | bi |' AS md
  UNION ALL SELECT 1, '', '', '|---|---|---|---|---|---|'
  UNION ALL SELECT 2, kind, name, md FROM line) t
ORDER BY k, CASE kind WHEN 'table' THEN 1 WHEN 'view' THEN 2 WHEN 'materialized view' THEN 3 WHEN 'function' THEN 4 ELSE 5 END, name;

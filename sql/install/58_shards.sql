-- Layer 5, operations: scale-out over shard servers with postgres_fdw (issue 18,
-- first slice; docs/scale-out.md says what is built and what is not yet).
--   month_start                the first day of a date's month: a function of
--                              this extension, so postgres_fdw ships it (it
--                              does not ship date_trunc('month', ...))
--   add_shard                  registers a shard server: the foreign server
--                              (extensions 'sales_supervisor', async), its user
--                              mapping, the foreign tables of its sales lines
--   shard_status               per shard: reachable, extension version, whether
--                              its login reads every row
--   credited_line              credited_sales as a view: what a shard aggregates
--   shard_credited_sales_by_month
--                              credited_sales_by_month over the shards' lines,
--                              aggregated on each shard (GROUP BY pushed down)
-- The shard catalog and the per-shard reads the sales-year steps dispatch to
-- (shard_servers, shard_require_ready, shard_credit_query, ...) are in
-- 31_shard_facts.sql, before the steps that call them.
-- postgres_fdw is optional: nothing here needs it until add_shard is called.

-- ---------------------------------------------------------------------------
-- month_start: date_trunc('month', d)::date as a function of this extension.
-- postgres_fdw (PG 15) does not ship date_trunc('month', ...) nor
-- extract(month ...) to a remote server (their text argument carries a
-- collation it cannot prove the same remotely), so a GROUP BY month on a
-- foreign table is done locally over every line.  A function of an extension
-- listed in the server's `extensions` option is shippable.  In C
-- (src/month_start.c): the shard calls it once per line.
-- ---------------------------------------------------------------------------
CREATE FUNCTION month_start(day date)
RETURNS date
AS 'MODULE_PATHNAME', 'month_start'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION month_start(date) IS
'First day of the month of day (date_trunc(''month'', day)::date). Unlike date_trunc it is shipped by postgres_fdw to a shard whose foreign server lists extensions ''sales_supervisor'', so a GROUP BY month runs on the shard.';
REVOKE ALL ON FUNCTION month_start(date) FROM PUBLIC;
-- a computation like the core's: anybody may call it (the shard login too)
GRANT EXECUTE ON FUNCTION month_start(date) TO PUBLIC;

-- credited_line: credited_sales as a view, for the shards.  A shard cannot
-- be sent a call of a set-returning function, but a foreign table may name a
-- view: the coordinator's GROUP BY rep and month over <shard>.credited_line
-- is shipped whole (the Remote SQL is the aggregate), so the split lines are
-- split on their shard and only per-rep, per-month rows come back.  The
-- window is partitioned by (sale_id, sold_on, booked rep), the same
-- partitions as by sale_id alone (a line has one date and one rep it is
-- booked to), so that the shard's planner pushes a condition on those below
-- it: the date range of a query, and the row-level security a coordinator
-- ships (shard_scope_qual: the rep a line is booked to, its id).  Security
-- invoker: the caller's row-level security applies (the shard login reads
-- all: BYPASSRLS).  On a coordinator a third branch shows the lines the
-- shards hold (shard_line_rows, line by line, the caller's row-level
-- security shipped to each shard); on a single server and on a shard that
-- branch is one shards_registered check and no row, estimated at one row
-- and parallel restricted, so the plans over the view keep their shape (a
-- Function Scan more).
CREATE VIEW credited_line WITH (security_invoker = true) AS
  SELECT s.sale_id, s.sold_on, s.member_id, 100.00::numeric AS share_pct, s.amount, s.refund_of, s.invoice_id,
         s.member_id AS booked_member_id
  FROM sales_supervisor.sale s
  WHERE NOT EXISTS (SELECT 1 FROM sales_supervisor.sale_credit sc WHERE sc.sale_id = s.sale_id)
  UNION ALL
  SELECT s.sale_id, s.sold_on, sc.member_id, sc.share_pct,
         sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric)
                            OVER (PARTITION BY s.sale_id, s.sold_on, s.member_id ORDER BY sc.member_id),
         s.refund_of, s.invoice_id, s.member_id
  FROM sales_supervisor.sale s
  JOIN sales_supervisor.sale_credit sc ON sc.sale_id = s.sale_id
  UNION ALL   -- on a coordinator, the shards' lines (a single server or a shard: one check, no row)
  SELECT r.sale_id, r.sold_on, r.member_id, r.share_pct, r.amount, r.refund_of, r.invoice_id, r.booked_member_id
  FROM sales_supervisor.shard_line_rows('-infinity', 'infinity') r;
COMMENT ON VIEW credited_line IS
'Every sales line credited to its reps, as credited_sales(from, to) gives them for its dates: a line without sale_credit rows credits 100 % to sale.member_id, a split line is divided in exact cents (allocate_quota, largest remainder). A view so that a coordinator can aggregate it on a shard through postgres_fdw (docs/scale-out.md); on a coordinator it also shows the lines the shards hold, read line by line with the caller''s row-level security shipped to each shard (shard_line_rows: the same rows as on one server). Security invoker: row-level security of the caller applies.';
COMMENT ON COLUMN credited_line.sale_id IS 'Sales line.';
COMMENT ON COLUMN credited_line.sold_on IS 'Date of the line.';
COMMENT ON COLUMN credited_line.member_id IS 'Rep credited.';
COMMENT ON COLUMN credited_line.share_pct IS 'Share of the line credited to the rep, in percent (100 for a line not split).';
COMMENT ON COLUMN credited_line.amount IS 'Credit in exact cents; the credits of a line add up to its amount (negative for a refund line).';
COMMENT ON COLUMN credited_line.refund_of IS 'For a refund line: the line it reverses; NULL for a sale.';
COMMENT ON COLUMN credited_line.invoice_id IS 'Invoice billing the line (NULL: not billed); the commission run caches its window''s credit per invoice and rep.';
COMMENT ON COLUMN credited_line.booked_member_id IS 'Rep the line is booked to (sale.member_id): whose line it is for row-level security; another rep than member_id on the shares of a split line credited to others.';
GRANT SELECT ON credited_line TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- credit_moves: what a shard aggregates for a long span (a year): every line
-- as booked (one line, its amount, to sale.member_id), and for each split
-- line its credit to each credited rep (+1 line, exact cents as
-- credited_line splits it) and the line taken back from the rep it is booked
-- to (-1 line, -amount).  Summed per rep, month and refund it gives
-- credited_line's lines and credit (a group netting no line is dropped by
-- the reader), as credited_sales_by_month does on one server: sale is
-- scanned once, and the split lines are found from sale_credit (in key
-- order) and probed by sale's key (a LATERAL kept a probe), where
-- credited_line reads every line twice (the lines without a split by an
-- anti-join, the split lines by a hash join over every line): 1.4-2 x
-- credited_sales_by_month at 10 M lines.  The probe reads every split line
-- whatever the dates, so a month reads credited_line instead
-- (shard_credit_query chooses by the span).  The window is partitioned by
-- (sale_id, sold_on), the same partitions as by sale_id: the date range is
-- pushed below it.  Security invoker; read by the shard login (a manager
-- with BYPASSRLS): under row-level security it moves the lines the reader
-- sees (a split line's shares are visible with its line).
CREATE VIEW credit_moves WITH (security_invoker = true) AS
  SELECT s.sold_on, s.member_id, s.refund_of, s.amount, 1 AS lines
  FROM sales_supervisor.sale s
  UNION ALL
  SELECT sp.sold_on, v.member_id, sp.refund_of, v.amount, v.lines
  FROM (SELECT p.sold_on, p.member_id AS booked_id, p.refund_of, p.amount, sc.member_id,
               row_number() OVER w = 1 AS first_share,
               sign(p.amount) * sales_supervisor.allocate_quota(abs(p.amount), sc.share_pct, 0.01::numeric) OVER w
                 AS credit
        FROM sales_supervisor.sale_credit sc
        CROSS JOIN LATERAL (SELECT s1.sold_on, s1.member_id, s1.refund_of, s1.amount
                            FROM sales_supervisor.sale s1 WHERE s1.sale_id = sc.sale_id
                            OFFSET 0) p   -- (kept a parameterised probe of sale's key)
        WINDOW w AS (PARTITION BY sc.sale_id, p.sold_on ORDER BY sc.member_id)) sp
  CROSS JOIN LATERAL (VALUES (sp.member_id, sp.credit, 1), (sp.booked_id, -sp.amount, -1)) v (member_id, amount, lines)
  WHERE v.lines = 1 OR sp.first_share;
COMMENT ON VIEW credit_moves IS
'Internal: the sales lines as moves of credit, what a shard aggregates for a long span (shard_credit_query): every line once as booked (lines 1, its amount, to sale.member_id), and for each split line its credit to each credited rep (lines 1, exact cents as credited_line splits it) and the line taken back from the rep it is booked to (lines -1, minus its amount). Summed per rep, month and refund (dropping groups whose lines sum to 0) it equals credited_line grouped alike, in one pass over sale plus a probe of each split line by key. Security invoker; read by the shard login.';
COMMENT ON COLUMN credit_moves.sold_on IS 'Date of the line.';
COMMENT ON COLUMN credit_moves.member_id IS 'Rep the move credits (the rep a line is booked to for lines 1 of a line as booked and lines -1; a credited rep for a split line''s share).';
COMMENT ON COLUMN credit_moves.refund_of IS 'For a refund line: the line it reverses; NULL for a sale.';
COMMENT ON COLUMN credit_moves.amount IS 'Credit moved, in exact cents (negative for a refund line, and for taking a split line back from its booked rep).';
COMMENT ON COLUMN credit_moves.lines IS 'Credited lines moved: 1 for a line as booked and for each share of a split line, -1 for a split line taken back from its booked rep.';
GRANT SELECT ON credit_moves TO sales_supervisor_manager;

-- shard_check_args: add_shard's input checks, each with its SQLSTATE.
CREATE FUNCTION shard_check_args(shard_name text, host text, port integer, dbname text, shard_login text,
                                 shard_password text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF shard_name IS NULL OR host IS NULL OR port IS NULL OR dbname IS NULL OR shard_login IS NULL
     OR shard_password IS NULL THEN
    RAISE EXCEPTION 'add_shard needs the shard name, host, port, database, login and password'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF shard_name !~ '^[a-z][a-z0-9_]{0,29}$' THEN
    RAISE EXCEPTION 'shard name "%" is not a lower-case identifier of at most 30 characters', shard_name
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use letters, digits and _, starting with a letter.';
  END IF;
  IF port NOT BETWEEN 1 AND 65535 THEN
    RAISE EXCEPTION 'port % is not a TCP port', port USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF host = '' OR dbname = '' OR shard_login = '' OR shard_password = '' THEN
    RAISE EXCEPTION 'host, database, login and password of shard "%" must not be empty', shard_name
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Shards are reached over TCP with password authentication, never as a superuser without one.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname = 'postgres_fdw') THEN
    RAISE EXCEPTION 'postgres_fdw is not installed in this database'
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'CREATE EXTENSION postgres_fdw;';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_server s WHERE s.srvname = 'ss_shard_' || shard_name) THEN
    RAISE EXCEPTION 'shard "%" exists already', shard_name
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'shard_status() lists the shards.';
  END IF;
END
$$;
COMMENT ON FUNCTION shard_check_args(text, text, integer, text, text, text) IS
'Internal: add_shard''s input checks: no NULL (22004), a lower-case shard name, a TCP port, non-empty host, database, login and password (22023), postgres_fdw installed and the shard not yet added (55000).';
REVOKE ALL ON FUNCTION shard_check_args(text, text, integer, text, text, text) FROM PUBLIC;

-- shard_create_objects: the server, its user mapping and the foreign tables
-- of one shard.  The mapping is FOR PUBLIC (whoever reads the foreign tables
-- connects as the shard login) but nobody is granted USAGE on the server, so
-- pg_user_mappings shows its options (the password) to no sales role; the
-- schema of the foreign tables grants nothing either.
CREATE FUNCTION shard_create_objects(shard_name text, host text, port integer, dbname text, shard_login text,
                                     shard_password text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_server name := 'ss_shard_' || shard_name;
  v_schema name := 'sales_supervisor_shard_' || shard_name;
BEGIN
  -- use_remote_estimate: the coordinator has no statistics of a shard's
  -- credited_line (a view), and with the default guess (a handful of rows) the
  -- planner groups a lone shard's lines locally, fetching every line; the
  -- shard's own estimate makes the pushed-down GROUP BY win.  options:
  -- postgres_fdw reads through a cursor, which the shard plans for its first
  -- tenth of rows (cursor_tuple_fraction 0.1): a GROUP BY over credit_moves
  -- then took a sorted index scan of every line (GroupAggregate, 2 x the
  -- time); the coordinator reads every row, so the shard plans for all
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %L, port %L, dbname %L,
                    extensions %L, async_capable %L, fetch_size %L, use_remote_estimate %L, options %L)',
                 v_server, host, port::text, dbname, 'sales_supervisor', 'true', '10000', 'true',
                 '-c cursor_tuple_fraction=1');
  EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER %I OPTIONS (user %L, password %L)',
                 v_server, shard_login, shard_password);
  EXECUTE format('CREATE SCHEMA %I', v_schema);
  EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', v_schema);
  EXECUTE format('CREATE FOREIGN TABLE %I.remote_extension (extname name, extversion text) SERVER %I
                    OPTIONS (schema_name %L, table_name %L)', v_schema, v_server, 'pg_catalog', 'pg_extension');
  EXECUTE format('CREATE FOREIGN TABLE %I.remote_role (rolname name, rolsuper boolean, rolbypassrls boolean) SERVER %I
                    OPTIONS (schema_name %L, table_name %L)', v_schema, v_server, 'pg_catalog', 'pg_roles');
END
$$;
COMMENT ON FUNCTION shard_create_objects(text, text, integer, text, text, text) IS
'Internal: creates a shard''s postgres_fdw server ss_shard_<name> (extensions ''sales_supervisor'', async_capable, fetch_size 10000, use_remote_estimate, cursor_tuple_fraction 1 for its sessions), its user mapping FOR PUBLIC with the shard login and password (no USAGE granted on the server, so no sales role can read them), and the schema sales_supervisor_shard_<name> with the foreign tables on the shard''s catalog that shard_probe reads.';
REVOKE ALL ON FUNCTION shard_create_objects(text, text, integer, text, text, text) FROM PUBLIC;

-- add_shard: register a shard; on the shard, the same version of this
-- extension and a login with BYPASSRLS (see docs/scale-out.md).  One
-- transaction: a shard that is unreachable, runs another version or whose
-- login would not read every row leaves nothing behind.
CREATE FUNCTION add_shard(shard_name text, host text, port integer, dbname text, shard_login text,
                          shard_password text, login name DEFAULT current_user)
RETURNS TABLE (shard text, server_name name, schema_name name, extension_version text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_schema name := 'sales_supervisor_shard_' || add_shard.shard_name;
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'add a shard');
  PERFORM sales_supervisor.shard_check_args(add_shard.shard_name, host, port, dbname, shard_login, shard_password);
  PERFORM sales_supervisor.shard_create_objects(add_shard.shard_name, host, port, dbname, shard_login, shard_password);
  PERFORM sales_supervisor.shard_require_ready(add_shard.shard_name);
  -- the shard's fact tables, as its (same) version of the extension defines them
  EXECUTE format('IMPORT FOREIGN SCHEMA sales_supervisor LIMIT TO (sale, sale_credit, credited_line, credit_moves,
                    survey_response, shard_write_batch)
                    FROM SERVER %I INTO %I',
                 'ss_shard_' || add_shard.shard_name, v_schema);
  RETURN QUERY
  SELECT add_shard.shard_name, ('ss_shard_' || add_shard.shard_name)::name, v_schema, e.extversion
  FROM pg_catalog.pg_extension e WHERE e.extname = 'sales_supervisor';
END
$$;
COMMENT ON FUNCTION add_shard(text, text, integer, text, text, text, name) IS
'Registers a shard server: creates the postgres_fdw server ss_shard_<name> (extensions ''sales_supervisor'' so this extension''s functions and aggregates are shipped, async_capable), a user mapping with the shard login and password that no sales role can read, and in schema sales_supervisor_shard_<name> the foreign tables sale, sale_credit, credited_line, credit_moves, survey_response and shard_write_batch of the shard; refuses a shard that is unreachable, runs another version of sales_supervisor, or whose login does not read every row (BYPASSRLS), leaving nothing behind. Needs postgres_fdw in the database. HR or the extension owner.';
REVOKE ALL ON FUNCTION add_shard(text, text, integer, text, text, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION add_shard(text, text, integer, text, text, text, name) TO sales_supervisor_hr;

-- shard_status: for operators, one row per shard; an unreachable shard is a
-- row with the connection error, not an error of the whole call.
CREATE FUNCTION shard_status(login name DEFAULT current_user)
RETURNS TABLE (shard_name text, server_name name, host text, port integer, dbname text, reachable boolean,
               extension_version text, same_version boolean, reads_all_rows boolean, problem text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  s record;
  p record;
  v_local text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'sales_supervisor');
  v_opt jsonb;
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'read the shard status');
  FOR s IN SELECT * FROM sales_supervisor.shard_servers() LOOP
    v_opt := (SELECT jsonb_object_agg(split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)) FROM unnest(s.options) o);
    shard_name := s.shard_name; server_name := s.server_name;
    host := v_opt->>'host'; port := (v_opt->>'port')::integer; dbname := v_opt->>'dbname';
    BEGIN
      p := sales_supervisor.shard_probe(s.shard_name);
      reachable := true;
      extension_version := p.extension_version;
      same_version := p.extension_version IS NOT DISTINCT FROM v_local;
      reads_all_rows := coalesce(p.reads_all_rows, false);
      problem := CASE WHEN NOT same_version
                      THEN format('runs sales_supervisor %s, the coordinator %s',
                                  coalesce(p.extension_version, '(not installed)'), v_local)
                      WHEN NOT reads_all_rows THEN 'the shard login has no BYPASSRLS: it would not read every row' END;
    EXCEPTION WHEN OTHERS THEN
      reachable := false; extension_version := NULL; same_version := NULL; reads_all_rows := NULL;
      problem := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION shard_status(name) IS
'One row per registered shard: its server''s host, port and database, whether it answers, the sales_supervisor version installed there and whether it is the coordinator''s, whether the shard login reads every row (BYPASSRLS), and the problem if any (the connection error of an unreachable shard). HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_status(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_status(name) TO sales_supervisor_hr;

-- shard_credited_sales_by_month: credited_sales_by_month read from the
-- shards (the sums of the same credits, grouped the same way).  Every shard is checked first (reachable, same version, login
-- reading every row): a missing shard is an error naming it, never a smaller
-- total.  Reads every line the shards hold, without row-level security (the
-- shard login bypasses it), hence HR or the owner only.
CREATE FUNCTION shard_credited_sales_by_month(from_date date, to_date date, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_sql text;
  s record;
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'read the credited sales of the shards');
  IF from_date IS NULL OR to_date IS NULL THEN
    RAISE EXCEPTION 'from_date and to_date must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  v_sql := sales_supervisor.shard_credit_query();
  IF v_sql IS NULL THEN
    RAISE EXCEPTION 'no shard is registered' USING ERRCODE = 'object_not_in_prerequisite_state',
      HINT = 'add_shard(...) registers one; credited_sales_by_month reads this server''s lines.';
  END IF;
  FOR s IN SELECT * FROM sales_supervisor.shard_servers() LOOP
    PERFORM sales_supervisor.shard_require_ready(s.shard_name);
  END LOOP;
  BEGIN
    RETURN QUERY EXECUTE v_sql USING from_date, to_date;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    RAISE EXCEPTION 'a shard became unreachable during the read: nothing was returned'
      USING ERRCODE = 'connection_failure', DETAIL = SQLERRM, HINT = 'shard_status() shows which.';
  END;
END
$$;
COMMENT ON FUNCTION shard_credited_sales_by_month(date, date, name) IS
'credited_sales_by_month(from_date, to_date) over the sales lines held by the registered shards: each shard credits its lines to their reps (split lines in exact cents) and sums them per rep, month and refunds (the whole GROUP BY runs on the shard, all shards at once); the coordinator adds up the shards'' rows. Checks every shard first: an unreachable shard, another extension version or a shard login that would not read every row is an error naming the shard, never a partial total. Reads all lines (no row-level security): HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_credited_sales_by_month(date, date, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_credited_sales_by_month(date, date, name) TO sales_supervisor_hr;

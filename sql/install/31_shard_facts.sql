-- Layer 3, the sales-year helpers' shard catalog and fact reads (issue 18,
-- part 3; docs/scale-out.md).  On a single server nothing here is called but
-- shards_registered, one catalog probe per call of a fact read.  On a
-- coordinator (a server with shards registered by add_shard, 58_shards.sql)
-- the sales-year steps read the sales lines from the shards through these:
--   shard_servers              the registered shards, from the catalog
--   shard_probe, shard_require_ready, shard_require_all
--                              every shard checked before a read: an
--                              unreachable shard, another version or a login
--                              not reading every row is an error naming it
--   shard_credit_query, shard_day_query, shard_daily_query
--                              the per-shard aggregations (one UNION ALL
--                              branch per shard, each shipped whole)
--   shards_registered          whether this server is a coordinator
--   shard_credit_month_rows    credited_sales_by_month from the shards
--                              (credit_by_month, commission_should_credit)
--   shard_day_rows             credited sales per rep and day, for the months
--                              of a transfer (credit_by_team_month_shards)
--   shard_window_credit        commission_window_credit from the shards (the
--                              credit step of run_commission)
--   shard_credited_daily_rows  credited sales per rep and day, every line
--                              (credited_sales_daily: v_credited_sales_daily)
--   shard_fact_lock            a ledger step's lock and checks on a coordinator
--   shard_late_sale            table: the late-line queue of the lines on the
--                              shards (commission_late_sale holds this
--                              server's lines: its key references sale)
--   shard_late_lines           the credited rows of given lines, from the shards
--   shard_line_scope, shard_scope_qual, shard_scope_ids_query,
--   shard_scope_sale_ids       row-level security over the shards' lines: the
--                              policies of sale as a condition shipped to them
--   shard_line_query, shard_line_rows, shard_commission_lines
--                              the shards' lines, line by line, that the
--                              caller reads (credited_line,
--                              commission_credit_line)
-- The dispatch: credit_by_month, commission_run_credit, commission_should_credit,
-- kpi_measure and credited_sales_daily ask shards_registered once per call and read either this
-- server's lines (the single-server statement, unchanged) or the shards'.
-- The ledgers stay on the coordinator: one local transaction, conserved.

-- shard_servers: the registered shards, from the catalog.  A shard is a
-- postgres_fdw server named ss_shard_<name>; its foreign tables live in the
-- schema sales_supervisor_shard_<name>.  No table of ours records them, so
-- DROP SERVER ... CASCADE plus DROP SCHEMA ... CASCADE removes one entirely.
CREATE FUNCTION shard_servers()
RETURNS TABLE (shard_name text, server_name name, schema_name name, options text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT substr(s.srvname, 10), s.srvname, ('sales_supervisor_shard_' || substr(s.srvname, 10))::name, s.srvoptions
  FROM pg_catalog.pg_foreign_server s
  JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
  WHERE w.fdwname = 'postgres_fdw' AND s.srvname LIKE 'ss\_shard\_%'
  ORDER BY s.srvname
$$;
COMMENT ON FUNCTION shard_servers() IS
'Internal: the registered shards (postgres_fdw servers named ss_shard_<name>), with the schema of their foreign tables and the server options.';
REVOKE ALL ON FUNCTION shard_servers() FROM PUBLIC;

-- shard_probe: what the coordinator must know of a shard before reading it,
-- read through foreign tables on the shard's catalog (pg_extension, pg_roles):
-- the version of this extension there, and whether the shard login reads
-- every row (superuser or BYPASSRLS: under row-level security a login with no
-- policy reads no line, which would add up to a wrong total without an error).
CREATE FUNCTION shard_probe(shard_name text, OUT extension_version text, OUT reads_all_rows boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_schema name := 'sales_supervisor_shard_' || shard_name;
BEGIN
  EXECUTE format('SELECT (SELECT e.extversion FROM %1$I.remote_extension e WHERE e.extname = %2$L),
                         (SELECT r.rolsuper OR r.rolbypassrls FROM %1$I.remote_role r WHERE r.rolname = %3$L)',
                 v_schema, 'sales_supervisor',
                 (SELECT substr(o, 6) FROM pg_catalog.pg_user_mappings um, unnest(um.umoptions) o
                  WHERE um.srvname = 'ss_shard_' || shard_name AND um.usename = 'public' AND o LIKE 'user=%'))
    INTO extension_version, reads_all_rows;
END
$$;
COMMENT ON FUNCTION shard_probe(text) IS
'Internal: the sales_supervisor version installed on a shard and whether the shard login reads every row (superuser or BYPASSRLS), read over postgres_fdw from the shard''s pg_extension and pg_roles. Raises the connection error if the shard is unreachable.';
REVOKE ALL ON FUNCTION shard_probe(text) FROM PUBLIC;

-- shard_require_ready: the probe's answer turned into refusals (55000): a
-- shard with another version of this extension (a function shipped there
-- could compute something else), or whose login does not read every row.
CREATE FUNCTION shard_require_ready(shard_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_local text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'sales_supervisor');
  p record;
BEGIN
  BEGIN
    p := sales_supervisor.shard_probe(shard_name);
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    RAISE EXCEPTION 'shard "%" is unreachable: nothing was computed', shard_name
      USING ERRCODE = 'connection_failure', DETAIL = SQLERRM,
            HINT = 'Start the shard (or fix its server options); shard_status() shows every shard.';
  END;
  IF p.extension_version IS DISTINCT FROM v_local THEN
    RAISE EXCEPTION 'shard "%" runs sales_supervisor %, the coordinator %', shard_name,
                    coalesce(p.extension_version, '(not installed)'), v_local
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Every shard must run the coordinator''s version: ALTER EXTENSION sales_supervisor UPDATE on each.';
  END IF;
  IF p.reads_all_rows IS NOT TRUE THEN
    RAISE EXCEPTION 'the login of shard "%" does not read every row there', shard_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Row-level security on the shard would hide lines and give a wrong total.',
            HINT = 'Give the shard login BYPASSRLS on the shard (ALTER ROLE ... BYPASSRLS); security is enforced at the coordinator.';
  END IF;
END
$$;
COMMENT ON FUNCTION shard_require_ready(text) IS
'Internal: refuses a shard that is unreachable (08006, naming the shard), runs another version of sales_supervisor than the coordinator, or whose login would not read every row (55000).';
REVOKE ALL ON FUNCTION shard_require_ready(text) FROM PUBLIC;

-- shard_require_all: every registered shard checked (reachable, same
-- version, login reading every row: shard_require_ready), before a read, so
-- that a missing shard is an error naming it and never a smaller total.
CREATE FUNCTION shard_require_all()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  s record;
  n integer := 0;
BEGIN
  FOR s IN SELECT * FROM sales_supervisor.shard_servers() LOOP
    PERFORM sales_supervisor.shard_require_ready(s.shard_name);
    n := n + 1;
  END LOOP;
  IF n = 0 THEN
    RAISE EXCEPTION 'no shard is registered' USING ERRCODE = 'object_not_in_prerequisite_state',
      HINT = 'add_shard(...) registers one; the single-server functions and views read this server''s rows.';
  END IF;
  RETURN n;
END
$$;
COMMENT ON FUNCTION shard_require_all() IS
'Internal: checks every registered shard with shard_require_ready (unreachable: 08006 naming it; another version or a login not reading every row: 55000) and returns how many there are; 55000 when none is registered.';
REVOKE ALL ON FUNCTION shard_require_all() FROM PUBLIC;

-- shard_credit_query: the SQL of shard_credited_sales_by_month ($1, $2: the
-- dates), restructured so that PostgreSQL 15 pushes all of it down.  It
-- cannot push a partial aggregate (GROUP BY rep and month over lines spread
-- by another key), so each shard is aggregated on its own, one branch per
-- shard of a UNION ALL (an Append of async foreign scans: the shards work at
-- the same time); the coordinator adds up at most reps x months x 2 rows per
-- shard.  Each shard's branch has two shapes, one per span, the other cut
-- by the planner (the dates are known when it plans: EXECUTE ... USING):
-- for 62 days or more the shard sums its credit_moves (one scan of its
-- lines, each split line probed by key: a year in 0.6-0.8 x the time of
-- credited_line), for a shorter span it groups its credited_line (the
-- window's lines only; credit_moves would probe every split line of the
-- shard).  A group whose moves net no line is not a credited group: dropped.
CREATE FUNCTION shard_credit_query()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT 'SELECT c.member_id, c.month, c.refund, sum(c.lines)::bigint, sum(c.amount) FROM ('
         || string_agg(format('SELECT l.member_id, sales_supervisor.month_start(l.sold_on) AS month,
                                      l.refund_of IS NOT NULL AS refund, sum(l.lines) AS lines, sum(l.amount) AS amount
                               FROM %1$I.credit_moves l
                               WHERE $2 >= $1 + 62 AND l.sold_on >= $1 AND l.sold_on <= $2 GROUP BY 1, 2, 3
                               UNION ALL
                               SELECT l.member_id, sales_supervisor.month_start(l.sold_on) AS month,
                                      l.refund_of IS NOT NULL AS refund, count(*) AS lines, sum(l.amount) AS amount
                               FROM %1$I.credited_line l
                               WHERE $2 < $1 + 62 AND l.sold_on >= $1 AND l.sold_on <= $2 GROUP BY 1, 2, 3',
                              sv.schema_name), ' UNION ALL ' ORDER BY sv.server_name)
         || ') c GROUP BY 1, 2, 3 HAVING sum(c.lines) <> 0'
  FROM sales_supervisor.shard_servers() sv
  HAVING count(*) > 0
$$;
COMMENT ON FUNCTION shard_credit_query() IS
'Internal: the query of shard_credited_sales_by_month over the registered shards ($1, $2: first and last date): one UNION ALL branch per shard, each a GROUP BY rep, month_start and refund shipped to the shard whole, over the shard''s credit_moves for a span of 62 days or more (one scan of the lines, split lines probed by key) and over its credited_line for a shorter one (the planner keeps one of the two); the coordinator adds up the per-shard rows, dropping a group that nets no line. NULL when no shard is registered.';
REVOKE ALL ON FUNCTION shard_credit_query() FROM PUBLIC;

-- shard_day_query: credited sales per rep and day from the shards ($1, $2:
-- the dates; $3: the reps; $4: the months, as month_start gives them), one
-- UNION ALL branch per shard, each a GROUP BY shipped whole.  Read only for
-- the months in which a rep changed team: there the team is decided per day.
CREATE FUNCTION shard_day_query()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT 'SELECT c.member_id, c.sold_on, c.refund, sum(c.lines)::bigint, sum(c.amount) FROM ('
         || string_agg(format('SELECT l.member_id, l.sold_on, l.refund_of IS NOT NULL AS refund, count(*) AS lines,
                                      sum(l.amount) AS amount
                               FROM %I.credited_line l
                               WHERE l.sold_on >= $1 AND l.sold_on <= $2 AND l.member_id = ANY ($3)
                                 AND sales_supervisor.month_start(l.sold_on) = ANY ($4)
                               GROUP BY 1, 2, 3', sv.schema_name), ' UNION ALL ' ORDER BY sv.server_name)
         || ') c GROUP BY 1, 2, 3'
  FROM sales_supervisor.shard_servers() sv
  HAVING count(*) > 0
$$;
COMMENT ON FUNCTION shard_day_query() IS
'Internal: the per-day read of shard_credit_by_team_month ($1, $2: the dates, $3: the reps, $4: the months): one UNION ALL branch per shard, a GROUP BY rep, day and refund over the shard''s credited_line for those reps and months, shipped whole. NULL when no shard is registered.';
REVOKE ALL ON FUNCTION shard_day_query() FROM PUBLIC;

-- shard_daily_query: the query of shard_credited_daily_rows ($1, $2: the
-- dates): credited sales
-- per rep and day with the line counts v_credited_sales_daily shows (lines,
-- refund lines, split lines), one UNION ALL branch per shard over its
-- credited_line, each a GROUP BY shipped whole (count with FILTER is
-- shipped); the coordinator adds up at most reps x days rows per shard.
-- Every column of the branches is used above them: a column projected away
-- there makes the scans plain (not async) foreign scans in PostgreSQL 15.
CREATE FUNCTION shard_daily_query()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT 'SELECT c.member_id, c.sold_on, sum(c.amount), sum(c.lines)::bigint, sum(c.refund_lines)::bigint,
                 sum(c.split_lines)::bigint FROM ('
         || string_agg(format('SELECT l.member_id, l.sold_on, sum(l.amount) AS amount, count(*) AS lines,
                                      count(*) FILTER (WHERE l.refund_of IS NOT NULL) AS refund_lines,
                                      count(*) FILTER (WHERE l.share_pct < 100) AS split_lines
                               FROM %I.credited_line l WHERE l.sold_on >= $1 AND l.sold_on <= $2 GROUP BY 1, 2',
                              sv.schema_name), ' UNION ALL ' ORDER BY sv.server_name)
         || ') c GROUP BY 1, 2'
  FROM sales_supervisor.shard_servers() sv
  HAVING count(*) > 0
$$;
COMMENT ON FUNCTION shard_daily_query() IS
'Internal: the query of shard_credited_daily_rows over the registered shards ($1, $2: first and last date): one UNION ALL branch per shard, each a GROUP BY rep and day over the shard''s credited_line with the credit, the lines, the refund lines and the split lines (count with FILTER), shipped to the shard whole; the coordinator adds up the per-shard rows. NULL when no shard is registered.';
REVOKE ALL ON FUNCTION shard_daily_query() FROM PUBLIC;

-- shards_registered: whether this server is a coordinator.  The fact reads
-- of the sales year ask it once per call (a catalog read, no remote call).
-- It reads the catalog itself, as shard_servers does, rather than calling
-- shard_servers: the sales roles call it (through commission_should_credit,
-- credited_line, commission_credit_line) and may not execute shard_servers.
CREATE FUNCTION shards_registered()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_server s
                 JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
                 WHERE w.fdwname = 'postgres_fdw' AND s.srvname LIKE 'ss\_shard\_%')
$$;
COMMENT ON FUNCTION shards_registered() IS
'Whether shards are registered (add_shard): true on a coordinator, whose sales-year steps read the sales lines from the shards; false on a single server. A catalog read.';
REVOKE ALL ON FUNCTION shards_registered() FROM PUBLIC;
-- (commission_should_credit, granted to the sales roles, asks it)
GRANT EXECUTE ON FUNCTION shards_registered()
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- shard_read_failed: the error of a read that lost a shard after the checks.
CREATE FUNCTION shard_read_failed(detail text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'a shard became unreachable during the read: nothing was returned'
    USING ERRCODE = 'connection_failure', DETAIL = coalesce(detail, ''), HINT = 'shard_status() shows which.';
END
$$;
COMMENT ON FUNCTION shard_read_failed(text) IS
'Internal: raises 08006 "a shard became unreachable during the read", with the connection error as detail: the fact reads turn a connection error into it, so that a lost shard is never a smaller total.';
REVOKE ALL ON FUNCTION shard_read_failed(text) FROM PUBLIC;

-- shard_credit_month_rows: credited_sales_by_month(from_date, to_date) read
-- from the shards (each shard aggregates its lines, shard_credit_query), every
-- shard checked first.  The shards' remote transactions are REPEATABLE READ
-- for the coordinator's transaction: stable within it.
CREATE FUNCTION shard_credit_month_rows(from_date date, to_date date)
RETURNS TABLE (member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  PERFORM sales_supervisor.shard_require_all();   -- (its errors name the shard: not caught below)
  BEGIN
    RETURN QUERY EXECUTE sales_supervisor.shard_credit_query() USING from_date, to_date;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    PERFORM sales_supervisor.shard_read_failed(SQLERRM);
  END;
END
$$;
COMMENT ON FUNCTION shard_credit_month_rows(date, date) IS
'Internal: credited_sales_by_month(from_date, to_date) over the lines the registered shards hold (aggregated on each shard, shard_credit_query), every shard checked first (shard_require_all); a shard lost during the read is 08006. The dates'' reads of credit_by_month and commission_should_credit on a coordinator.';
REVOKE ALL ON FUNCTION shard_credit_month_rows(date, date) FROM PUBLIC;

-- shard_day_rows: credited sales per rep and day from the shards, for the
-- reps and months given (the months of a transfer); nothing for no rep.
CREATE FUNCTION shard_day_rows(from_date date, to_date date, reps integer[], months date[])
RETURNS TABLE (member_id integer, sold_on date, refunds boolean, lines bigint, amount numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF cardinality(reps) IS NOT DISTINCT FROM 0 OR reps IS NULL OR months IS NULL THEN
    RETURN;
  END IF;
  PERFORM sales_supervisor.shard_require_all();   -- (its errors name the shard: not caught below)
  BEGIN
    RETURN QUERY EXECUTE sales_supervisor.shard_day_query() USING from_date, to_date, reps, months;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    PERFORM sales_supervisor.shard_read_failed(SQLERRM);
  END;
END
$$;
COMMENT ON FUNCTION shard_day_rows(date, date, integer[], date[]) IS
'Internal: credited sales per rep, day and refunds from the registered shards (shard_day_query, aggregated on each shard) for the given reps in the given months (first days) between the dates; no row for no rep. Every shard checked first; a shard lost during the read is 08006.';
REVOKE ALL ON FUNCTION shard_day_rows(date, date, integer[], date[]) FROM PUBLIC;

-- shard_window_credit: commission_window_credit(p_from, p_through) from the
-- shards: their credited sales per rep, month and refunds
-- (shard_credit_month_rows, each shard aggregating its own lines), not per
-- invoice -- an invoice has a line or two, so a read per invoice would bring
-- back about as many rows as lines (and the planner would not even ship the
-- GROUP BY); the settlement's invoice cache holds this server's lines only.
CREATE FUNCTION shard_window_credit(p_from date, p_through date)
RETURNS TABLE (member_id integer, month date, refunds boolean, invoice_id bigint, lines bigint, amount numeric)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT r.member_id, r.month, r.refunds, NULL::bigint, r.lines, r.amount
  FROM sales_supervisor.shard_credit_month_rows(p_from, p_through) r
$$;
COMMENT ON FUNCTION shard_window_credit(date, date) IS
'Internal, the credit step of run_commission on a coordinator: the credit of the lines the shards hold sold from p_from to p_through per rep, calendar month and refunds (invoice_id NULL: not cached per invoice), each shard aggregating its own lines (shard_credit_month_rows); summed per rep, month and refunds it equals commission_window_credit over the same lines on one server. Every shard checked first; a shard lost during the read is 08006.';
REVOKE ALL ON FUNCTION shard_window_credit(date, date) FROM PUBLIC;

-- shard_credited_daily_rows: v_credited_sales_daily's rows from the shards
-- for the dates (credited sales per rep and day, with the counts of lines,
-- refund lines and split lines), each shard aggregating its own lines
-- (shard_daily_query); a split line and its splits are on one shard, so each
-- count adds up exactly across shards.  Every shard checked first.  Also the
-- sales phase of pace to quota on a coordinator (shard_pace_points_sales).
CREATE FUNCTION shard_credited_daily_rows(from_date date, to_date date)
RETURNS TABLE (member_id integer, sold_on date, credited_amount numeric, sales_lines bigint, refund_lines bigint,
               split_lines bigint)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  PERFORM sales_supervisor.shard_require_all();   -- (its errors name the shard: not caught below)
  BEGIN
    RETURN QUERY EXECUTE sales_supervisor.shard_daily_query() USING from_date, to_date;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    PERFORM sales_supervisor.shard_read_failed(SQLERRM);
  END;
END
$$;
COMMENT ON FUNCTION shard_credited_daily_rows(date, date) IS
'Internal: the sales lines the registered shards hold dated from from_date to to_date, credited per rep and day as v_credited_sales_daily shows them (credit in exact cents, lines, refund lines, split lines), each shard aggregating its own lines (shard_daily_query, at most reps x days rows per shard received); what credited_sales_daily and the sales phase of pace to quota read on a coordinator. Every shard checked first; a shard lost during the read is 08006. Parallel restricted (its foreign reads belong to the leader''s remote transactions).';
REVOKE ALL ON FUNCTION shard_credited_daily_rows(date, date) FROM PUBLIC;

-- shard_fact_lock: on a coordinator, what a ledger step (run_commission,
-- recalculate_commission) does before reading the shards: waits for the
-- writes through the coordinator in flight and holds new ones off until it
-- commits (the advisory lock shard_write_sales takes shared: the shards'
-- lines cannot change under the step, as LOCK TABLE sale does on one
-- server), and checks every shard, so that a missing shard stops the step
-- before it writes a ledger line.  False (nothing done) on a single server.
CREATE FUNCTION shard_fact_lock()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF NOT sales_supervisor.shards_registered() THEN
    RETURN false;
  END IF;
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('sales_supervisor.shard_write'));
  PERFORM sales_supervisor.shard_require_all();
  RETURN true;
END
$$;
COMMENT ON FUNCTION shard_fact_lock() IS
'Internal, on a coordinator: takes the advisory lock of the writes through the coordinator exclusively (writes in flight finish first, new ones wait until the transaction ends) and checks every shard (shard_require_all); returns true. On a single server does nothing and returns false.';
REVOKE ALL ON FUNCTION shard_fact_lock() FROM PUBLIC;

-- shard_late_sale: the late-line queue of the lines written to the shards
-- through the coordinator (shard_write_sales) dated within the dates a
-- commission run already credited: commission_late_sale does that for this
-- server's lines, but its key references sale, where these lines are not.
-- The run credits them as late lines (commission_credit_waiting) and marks
-- them, as it does the other queue.  Empty on a single server.
CREATE TABLE shard_late_sale (
  sale_id             bigint PRIMARY KEY,
  shard_name          text NOT NULL CHECK (shard_name ~ '^[a-z][a-z0-9_]{0,29}$'),
  sold_on             date NOT NULL,
  queued_at           timestamptz NOT NULL DEFAULT now(),
  credited_period_id  integer REFERENCES fiscal_period ON DELETE RESTRICT
);
COMMENT ON TABLE shard_late_sale IS
'The late-line queue of the sales lines held by the shards: a line written through the coordinator (shard_write_sales) dated within the dates a commission run already credited waits here until the next run credits it as a late line (late_sales, late_refunds) for the period whose window holds its date, as commission_late_sale does for this server''s lines. Empty on a single server.';
COMMENT ON COLUMN shard_late_sale.sale_id IS 'The sales line (on a shard; no foreign key: the line is not on this server).';
COMMENT ON COLUMN shard_late_sale.shard_name IS 'The shard holding the line.';
COMMENT ON COLUMN shard_late_sale.sold_on IS 'Date of the line.';
COMMENT ON COLUMN shard_late_sale.queued_at IS 'When the line was written and queued.';
COMMENT ON COLUMN shard_late_sale.credited_period_id IS 'The commission period whose run credited the line; NULL while it waits.';
ALTER TABLE shard_late_sale ENABLE ROW LEVEL SECURITY;
CREATE POLICY shard_late_sale_hr ON shard_late_sale FOR SELECT TO sales_supervisor_hr USING (true);
GRANT SELECT ON shard_late_sale TO sales_supervisor_hr;

-- shard_late_lines: the given lines as credited_line credits them, read from
-- the shards (a line on one shard; split lines once per credited rep), for
-- the late lines of the queue above.  Nothing for no line, without a remote
-- call: a single server passes an empty queue.
CREATE FUNCTION shard_late_lines(sale_ids bigint[])
RETURNS TABLE (sale_id bigint, sold_on date, member_id integer, amount numeric, refund_of bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF coalesce(cardinality(sale_ids), 0) = 0 THEN
    RETURN;
  END IF;
  PERFORM sales_supervisor.shard_require_all();   -- (its errors name the shard: not caught below)
  BEGIN
    RETURN QUERY EXECUTE (
      SELECT string_agg(format('SELECT l.sale_id, l.sold_on, l.member_id, l.amount, l.refund_of
                                FROM %I.credited_line l WHERE l.sale_id = ANY ($1)', sv.schema_name),
                        ' UNION ALL ' ORDER BY sv.server_name)
      FROM sales_supervisor.shard_servers() sv) USING sale_ids;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    PERFORM sales_supervisor.shard_read_failed(SQLERRM);
  END;
END
$$;
COMMENT ON FUNCTION shard_late_lines(bigint[]) IS
'Internal: the given sales lines held by the shards as credited_line credits them (per line and credited rep: date, rep, amount in exact cents, refunded line), read from every shard; no row and no remote call for an empty or NULL array. Every shard checked first; a shard lost during the read is 08006. The late lines of shard_late_sale for the commission run, credit_by_month and the conservation checks.';
REVOKE ALL ON FUNCTION shard_late_lines(bigint[]) FROM PUBLIC;

-- shard_line_scope: the sales lines a login reads under the policies of
-- sale (30_security.sql), as parameters a shard can test (shard_scope_qual),
-- so that a coordinator ships the row-level security of the caller to the
-- shards instead of reading every line and filtering it.  A login bypassing
-- row-level security on sale (a superuser, BYPASSRLS, the owner or a role
-- with its privileges) reads all.  The policies apply to the group roles
-- whose privileges the login has: sale_own (reps: the lines booked to them),
-- sale_subtree and the restrictive sale_subtree_dated (supervisors and
-- managers: the lines of sale_scope_member_ids, a moved rep's only on the
-- days in the subtree), each with the lines credited_sale_ids adds (credited
-- into its scope, booked outside it: shard_scope_sale_ids reads them on the
-- shards).  A rep who is also a supervisor gets the supervisor's arrays: they
-- hold the rep's own lines (a member is never moved in their own scope).  A
-- login under no policy reads nothing.  Called by the shards' line reads
-- (security definer: current_member_id checks that the session may act as
-- the login).
CREATE FUNCTION shard_line_scope(login name, OUT reads_all boolean, OUT booked_ids integer[], OUT moved_ids integer[],
                                 OUT moved_dates datemultirange[], OUT credit_ids integer[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_me integer := sales_supervisor.current_member_id(login);   -- refuses NULL and foreign logins
  v_rep boolean := pg_catalog.pg_has_role(login, 'sales_supervisor_rep', 'USAGE');
  v_sup boolean := pg_catalog.pg_has_role(login, 'sales_supervisor_supervisor', 'USAGE')
                   OR pg_catalog.pg_has_role(login, 'sales_supervisor_manager', 'USAGE');
BEGIN
  SELECT r.rolsuper OR r.rolbypassrls OR pg_catalog.pg_has_role(login, c.relowner, 'USAGE') INTO reads_all
  FROM pg_catalog.pg_roles r, pg_catalog.pg_class c
  WHERE r.rolname = login AND c.oid = 'sales_supervisor.sale'::regclass;
  booked_ids := '{}'; moved_ids := '{}'; moved_dates := '{}'; credit_ids := '{}';
  IF reads_all THEN
    RETURN;
  END IF;
  IF v_sup THEN
    booked_ids := sales_supervisor.sale_scope_member_ids(login);
    moved_ids := sales_supervisor.sale_scope_moved_ids(login);
    moved_dates := sales_supervisor.sale_scope_moved_dates(login);
  ELSIF v_rep THEN
    booked_ids := array_remove(ARRAY[v_me], NULL);
  END IF;
  IF v_rep OR v_sup THEN   -- the scope of credited_sale_ids (which asks for membership)
    IF pg_catalog.pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER')
       OR pg_catalog.pg_has_role(login, 'sales_supervisor_manager', 'MEMBER') THEN
      credit_ids := sales_supervisor.visible_member_ids(login);
    ELSE
      credit_ids := array_remove(ARRAY[v_me], NULL);
    END IF;
  END IF;
END
$$;
COMMENT ON FUNCTION shard_line_scope(name) IS
'Internal: the sales lines login reads under the policies of sale, as parameters of shard_scope_qual: reads_all (superuser, BYPASSRLS, the owner of sale: no filter), the reps whose booked lines it reads (booked_ids), the moved reps (moved_ids) read only on the days of moved_dates (subscripted by member id), and the members whose credited lines booked outside that scope it reads (credit_ids, for shard_scope_sale_ids): sale_own for reps, sale_subtree and sale_subtree_dated for supervisors and managers, credited_sale_ids for both; nothing for a login under no policy. Refuses a NULL login (22004) and a login the session may not act as (42501).';
REVOKE ALL ON FUNCTION shard_line_scope(name) FROM PUBLIC;

-- shard_scope_qual: the row-level security of shard_line_scope as a
-- condition on a shard's lines (alias: the relation, booked_column: the rep
-- a line is booked to; parameters first_param to first_param + 3: booked_ids,
-- moved_ids, moved_dates, the ids of shard_scope_sale_ids).  The policies'
-- own expression, made of built-in operators postgres_fdw ships: it is in
-- the Remote SQL, and a shard returns only the lines the caller reads.
CREATE FUNCTION shard_scope_qual(alias text, booked_column text, first_param integer)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT format('((%1$I.%2$I = ANY ($%3$s) AND (%1$I.%2$I <> ALL ($%4$s) OR %1$I.sold_on <@ ($%5$s)[%1$I.%2$I]))
                  OR %1$I.sale_id = ANY ($%6$s))',
                alias, booked_column, first_param, first_param + 1, first_param + 2, first_param + 3)
$$;
COMMENT ON FUNCTION shard_scope_qual(text, text, integer) IS
'Internal: the condition a shard tests for the row-level security of shard_line_scope, over relation alias with the booked rep in booked_column and the parameters $first_param (booked_ids), +1 (moved_ids), +2 (moved_dates), +3 (the line ids of shard_scope_sale_ids): the lines booked to booked_ids, a moved rep''s only on the days of moved_dates, and the given lines. Built-in operators only, so postgres_fdw ships it.';
REVOKE ALL ON FUNCTION shard_scope_qual(text, text, integer) FROM PUBLIC;

-- shard_scope_ids_query: the query of shard_scope_sale_ids on one schema
-- ($1: credit_ids, $2, $3: the dates): the lines of the schema credited
-- (sale_credit) to a member of $1 and booked to nobody of $1, as
-- credited_sale_ids selects them on one server; a join of two foreign tables
-- of one shard, shipped to it.
CREATE FUNCTION shard_scope_ids_query(schema_name name)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT format('SELECT sc.sale_id FROM %1$I.sale_credit sc JOIN %1$I.sale s ON s.sale_id = sc.sale_id
                 WHERE sc.member_id = ANY ($1) AND s.member_id <> ALL ($1) AND s.sold_on >= $2 AND s.sold_on <= $3',
                schema_name)
$$;
COMMENT ON FUNCTION shard_scope_ids_query(name) IS
'Internal: the query of shard_scope_sale_ids over the sale and sale_credit of schema_name ($1: the members, $2, $3: first and last date): the lines credited to one of the members and booked to none of them, as credited_sale_ids selects them.';
REVOKE ALL ON FUNCTION shard_scope_ids_query(name) FROM PUBLIC;

-- shard_scope_sale_ids: credited_sale_ids over the shards' lines: the lines
-- dated from from_date to to_date credited to one of credit_ids and booked
-- to none of them (few: split lines booked outside the scope), read from
-- every shard; nothing and no remote call for no member.
CREATE FUNCTION shard_scope_sale_ids(credit_ids integer[], from_date date, to_date date)
RETURNS bigint[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_ids bigint[];
BEGIN
  IF coalesce(cardinality(credit_ids), 0) = 0 THEN
    RETURN '{}';
  END IF;
  EXECUTE (SELECT 'SELECT coalesce(array_agg(DISTINCT x.sale_id ORDER BY x.sale_id), ''{}'') FROM ('
                  || string_agg(sales_supervisor.shard_scope_ids_query(sv.schema_name), ' UNION ALL '
                                ORDER BY sv.server_name) || ') x'
           FROM sales_supervisor.shard_servers() sv)
    INTO v_ids USING credit_ids, from_date, to_date;
  RETURN coalesce(v_ids, '{}');
END
$$;
COMMENT ON FUNCTION shard_scope_sale_ids(integer[], date, date) IS
'Internal: the lines the registered shards hold dated from from_date to to_date that are credited (sale_credit) to one of credit_ids and booked to none of them, as credited_sale_ids selects them on one server (shard_scope_ids_query on each shard); empty, without a remote call, for no member.';
REVOKE ALL ON FUNCTION shard_scope_sale_ids(integer[], date, date) FROM PUBLIC;

-- shard_line_query: the query of shard_line_rows ($1, $2: the dates; with
-- scoped, $3 to $6 the parameters of shard_scope_qual): credited_line of each
-- shard line by line (it is per line: there is nothing to group), one UNION
-- ALL branch per shard, the dates and the row-level security in the Remote
-- SQL.  Without scoped (a caller reading every line) no filter but the dates.
CREATE FUNCTION shard_line_query(scoped boolean)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT string_agg(format('SELECT l.sale_id, l.sold_on, l.member_id, l.share_pct, l.amount, l.refund_of, l.invoice_id,
                                   l.booked_member_id
                            FROM %I.credited_line l WHERE l.sold_on >= $1 AND l.sold_on <= $2%s', sv.schema_name,
                           CASE WHEN scoped THEN ' AND ' || sales_supervisor.shard_scope_qual('l', 'booked_member_id', 3)
                                ELSE '' END),
                    ' UNION ALL ' ORDER BY sv.server_name)
  FROM sales_supervisor.shard_servers() sv
$$;
COMMENT ON FUNCTION shard_line_query(boolean) IS
'Internal: the query of shard_line_rows ($1, $2: first and last date; scoped: $3 to $6 the row-level security of shard_scope_qual over booked_member_id): one UNION ALL branch per registered shard, its credited_line line by line with the dates (and the row-level security) shipped. NULL when no shard is registered.';
REVOKE ALL ON FUNCTION shard_line_query(boolean) FROM PUBLIC;

-- shard_line_rows: credited_line's rows of the lines the shards hold, dated
-- from from_date to to_date, that login reads: the lines row-level security
-- shows it on one server (shard_line_scope), the filter shipped to each
-- shard with the dates (shard_line_query), so a rep's read brings back the
-- rep's lines, not the company's.  The shards' branch of credited_line and
-- commission_credit_line on a coordinator.  Security definer (the foreign
-- tables are the owner's) with the caller's login, defaulted in the caller's
-- context (in the views: the invoker).  On a single server (and on a
-- shard) its checks, one shards_registered check and no row; parallel
-- restricted (it runs in the leader: its foreign reads belong to the
-- coordinator's remote transactions) and estimated at one row, so that the
-- single server's plans over those views keep their shape.
CREATE FUNCTION shard_line_rows(from_date date, to_date date, login name DEFAULT current_user)
RETURNS TABLE (sale_id bigint, sold_on date, member_id integer, share_pct numeric, amount numeric, refund_of bigint,
               invoice_id bigint, booked_member_id integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED ROWS 1
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  sc record;
BEGIN
  IF login IS NULL OR from_date IS NULL OR to_date IS NULL THEN
    RAISE EXCEPTION 'from_date, to_date and login must not be null' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Leave login out: it defaults to current_user.';
  END IF;
  IF NOT sales_supervisor.shards_registered() THEN
    RETURN;
  END IF;
  sc := sales_supervisor.shard_line_scope(login);   -- refuses a login the session may not act as
  PERFORM sales_supervisor.shard_require_all();      -- (its errors name the shard: not caught below)
  BEGIN
    RETURN QUERY EXECUTE sales_supervisor.shard_line_query(NOT sc.reads_all)
      USING from_date, to_date, sc.booked_ids, sc.moved_ids, sc.moved_dates,
            CASE WHEN sc.reads_all THEN '{}'::bigint[]
                 ELSE sales_supervisor.shard_scope_sale_ids(sc.credit_ids, from_date, to_date) END;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    PERFORM sales_supervisor.shard_read_failed(SQLERRM);
  END;
END
$$;
COMMENT ON FUNCTION shard_line_rows(date, date, name) IS
'Internal: on a coordinator, the sales lines the registered shards hold dated from from_date to to_date as credited_line credits them (per line and credited rep, exact cents, with the rep each is booked to), line by line, that login reads: the rows row-level security shows it on one server (shard_line_scope; all for a superuser, BYPASSRLS or the owner), the filter and the dates shipped to each shard (shard_line_query). The shards'' branch of credited_line and commission_credit_line. Every shard checked first; a shard lost during the read is 08006. No row, after one shards_registered check, on a single server. Security definer with the caller''s login (22004 for a NULL argument, 42501 for a login the session may not act as). Parallel restricted, estimated at one row.';
REVOKE ALL ON FUNCTION shard_line_rows(date, date, name) FROM PUBLIC;
-- (the views calling it are the sales roles'; the shard login is a manager)
GRANT EXECUTE ON FUNCTION shard_line_rows(date, date, name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- shard_commission_lines: commission_credit_line's rows of the lines the
-- shards hold that login reads: each line dated within the dates the runs
-- credited (read from the shards for those dates only, with the caller's
-- row-level security shipped: shard_line_rows) with the period whose run
-- credited it -- the run whose window holds its date, or for a late line of
-- the shards' queue (shard_late_sale) the run that credited it.  A split
-- correction is not possible on a shard's line (correct_sale_credit works on
-- this server's lines): no corrections rows.  Security definer with the
-- caller's login (the view's invoker).  No row, after its check and one
-- shards_registered check, on a single server.
CREATE FUNCTION shard_commission_lines(login name DEFAULT current_user)
RETURNS TABLE (period_id integer, sale_id bigint, sold_on date, member_id integer, share_pct numeric, amount numeric,
               kind text, for_period_id integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED ROWS 1
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_from date;
  v_to   date;
BEGIN
  IF login IS NULL THEN
    RAISE EXCEPTION 'login must not be null' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Leave login out: it defaults to current_user.';
  END IF;
  IF NOT sales_supervisor.shards_registered() THEN
    RETURN;
  END IF;
  SELECT min(l.credited_from), max(l.credited_through) INTO v_from, v_to FROM sales_supervisor.commission_period_lock l;
  RETURN QUERY
  SELECT coalesce(q.credited_period_id, l.period_id), cs.sale_id, cs.sold_on, cs.member_id, cs.share_pct, cs.amount,
         CASE WHEN q.sale_id IS NULL THEN '' ELSE 'late_' END
         || CASE WHEN cs.refund_of IS NULL THEN 'sales' ELSE 'refunds' END,
         w.period_id
  FROM sales_supervisor.shard_line_rows(coalesce(v_from, 'infinity'), coalesce(v_to, '-infinity'), login) cs
  LEFT JOIN sales_supervisor.shard_late_sale q ON q.sale_id = cs.sale_id
  LEFT JOIN sales_supervisor.commission_period_lock l
         ON q.sale_id IS NULL AND cs.sold_on BETWEEN l.credited_from AND l.credited_through
  LEFT JOIN sales_supervisor.commission_period_lock w ON cs.sold_on BETWEEN w.credited_from AND w.credited_through
  WHERE q.credited_period_id IS NOT NULL OR l.period_id IS NOT NULL;
END
$$;
COMMENT ON FUNCTION shard_commission_lines(name) IS
'Internal: on a coordinator, commission_credit_line''s rows of the sales lines the registered shards hold that login reads (the rows row-level security shows it on one server, shipped to each shard: shard_line_rows): per line and credited rep dated within the dates the commission runs credited, the period whose run credited it (for a late line of shard_late_sale, the run that credited it), the ledger kind and the period whose window holds its date. No corrections rows (a shard''s line cannot be corrected yet). No row, after one shards_registered check, on a single server. Security definer with the caller''s login (22004 for NULL, 42501 for a login the session may not act as). Parallel restricted, estimated at one row.';
REVOKE ALL ON FUNCTION shard_commission_lines(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_commission_lines(name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

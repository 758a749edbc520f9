-- Layer 3, the sales-year helpers every step shares (40-45, 52, 55 call them;
-- they call only the model and security parts before them):
--   require_role         the explicit role check each step starts with
--   scope_root_team_ids  the teams a company-wide step may touch for a login
--   credited_sales, credited_sales_by_month
--                        the sales lines credited to each rep (split credit in
--                        exact cents), line by line and per month
--   year_bounds          first and last day of a fiscal year
--   credit_by_month      credited_sales_by_month, read from the commission
--                        ledger for the months the runs have credited
--   member_team_days, member_team_on, credit_by_team_month
--                        the team in force on a date (member_assignment), and
--                        credit_by_month split by it
--   credit_by_team_month_shards
--                        the same on a coordinator: transfer months per day
--                        from the shards (31_shard_facts.sql)

-- ---------------------------------------------------------------------------
-- require_role: the explicit role check every step starts with.
-- ---------------------------------------------------------------------------
CREATE FUNCTION require_role(login name, allowed text[], action text)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  r text;
  v_member integer;
BEGIN
  IF login IS NULL THEN
    RAISE EXCEPTION 'login must not be null to %', action
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Leave login out: it defaults to current_user.';
  END IF;
  IF allowed IS NULL OR action IS NULL THEN
    RAISE EXCEPTION 'require_role needs the allowed roles and the action'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Pass the roles allowed to act and what the caller is about to do.';
  END IF;
  -- checks that the session may act as login (raises otherwise)
  v_member := sales_supervisor.current_member_id(login);
  -- fail closed: only a membership proven true passes (a NULL role name does not)
  FOREACH r IN ARRAY allowed LOOP
    IF pg_catalog.pg_has_role(login, r, 'MEMBER') IS TRUE THEN
      RETURN v_member;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'role "%" may not %', login, action
    USING ERRCODE = 'insufficient_privilege',
          DETAIL = pg_catalog.format('Allowed: members of %s.', pg_catalog.array_to_string(allowed, ', ')),
          HINT = 'Ask an administrator to GRANT one of these roles to the login.';
END
$$;
COMMENT ON FUNCTION require_role(name, text[], text) IS
'Role check of the sales-year steps: returns the member id of login (NULL for a login that is no member, such as the extension owner) when login is a member of one of the allowed roles (superusers are members of every role); otherwise error 42501 naming the login and the action. Refuses a NULL argument (22004) and a login the session may not act as.';
REVOKE ALL ON FUNCTION require_role(name, text[], text) FROM PUBLIC;

-- scope_root_team_ids: where a company-wide step may act for a login.  A step
-- such as allocate_quotas works on the whole organisation for the extension
-- owner (or a superuser: the calendar jobs) and for a member who leads every
-- department; anybody else acts only on the subtree of the teams they lead.
CREATE FUNCTION scope_root_team_ids(login name)
RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_member integer;
  v_led integer[];
BEGIN
  -- refuses a NULL login and a login the session may not act as
  v_member := sales_supervisor.current_member_id(login);
  IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = login)
     OR pg_catalog.pg_has_role(login, (SELECT e.extowner FROM pg_catalog.pg_extension e
                                       WHERE e.extname = 'sales_supervisor'), 'MEMBER') THEN
    RETURN NULL;
  END IF;
  IF v_member IS NULL THEN
    RAISE EXCEPTION 'role "%" is not an active member: it has no scope to act on', login
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Map the login to its member (member.login_role).';
  END IF;
  v_led := sales_supervisor.led_team_ids(login);
  IF NOT EXISTS (SELECT 1 FROM sales_supervisor.team t WHERE t.team_id <> ALL (v_led)) THEN
    RETURN NULL;
  END IF;
  RETURN (SELECT coalesce(array_agg(tl.team_id ORDER BY tl.team_id), '{}')
          FROM sales_supervisor.team_leader tl JOIN sales_supervisor.team t ON t.team_id = tl.team_id
          WHERE tl.member_id = v_member AND (t.parent_id IS NULL OR t.parent_id <> ALL (v_led)));
END
$$;
COMMENT ON FUNCTION scope_root_team_ids(name) IS
'Where a company-wide step (allocate_quotas, lock_quotas, run_commission) may act for login: NULL for the whole organisation (the extension owner or a superuser, e.g. the calendar jobs; a member who leads every team''s department), otherwise the top teams of the subtree the member leads (empty when they lead nothing). Refuses a NULL login, a login the session may not act as, and a login that is no active member.';
REVOKE ALL ON FUNCTION scope_root_team_ids(name) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- credited_sales: each sales line credited to its reps, in exact cents.
-- ---------------------------------------------------------------------------
CREATE FUNCTION credited_sales(from_date date, to_date date)
RETURNS TABLE (sale_id bigint, sold_on date, member_id integer, share_pct numeric, amount numeric,
               refund_of bigint)
LANGUAGE sql STABLE PARALLEL SAFE
-- A body parsed at creation (BEGIN ATOMIC) instead of SET search_path: names
-- are resolved once, at CREATE EXTENSION, so nothing can hijack them, and the
-- planner still inlines the function into the caller's query (a scan of
-- millions of lines must not go through a tuplestore, and the caller's
-- predicates are pushed into it).
BEGIN ATOMIC
  SELECT s.sale_id, s.sold_on, s.member_id, 100.00::numeric, s.amount, s.refund_of
  FROM sales_supervisor.sale s
  WHERE s.sold_on >= from_date AND s.sold_on <= to_date
    AND NOT EXISTS (SELECT 1 FROM sales_supervisor.sale_credit sc WHERE sc.sale_id = s.sale_id)
  UNION ALL
  SELECT s.sale_id, s.sold_on, sc.member_id, sc.share_pct,
         sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric)
                            OVER (PARTITION BY s.sale_id ORDER BY sc.member_id),
         s.refund_of
  FROM sales_supervisor.sale s
  JOIN sales_supervisor.sale_credit sc ON sc.sale_id = s.sale_id
  WHERE s.sold_on >= from_date AND s.sold_on <= to_date;
END;
COMMENT ON FUNCTION credited_sales(date, date) IS
'Sales lines sold between from_date and to_date (inclusive) as credit per rep: a line without sale_credit rows credits 100 % to sale.member_id; a split line is divided by share_pct in exact cents with allocate_quota(|amount|, share, 0.01) (largest remainder, ties to the larger share, then the lower member id), so the credits add up to the line; refund lines (negative) split the same way. Security invoker: row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION credited_sales(date, date)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- credited_sales_by_month: credited_sales added up per rep, calendar month
-- and sign -- what the KPIs, quota history and commission runs need -- without
-- splitting every line: the lines are summed as booked (one pass, like a plain
-- GROUP BY), then the few split lines are moved from the booked rep to the
-- credited reps.  Equal to grouping credited_sales(from_date, to_date).
-- The split lines are found from sale_credit by sale_id, within the ranges of
-- ids the first pass met, per rep, month and sign, merged (range_agg): ids
-- follow the order lines are entered, so a month's window reads about a
-- month's splits, and a few lines entered late (with ids far from their
-- month's) add a narrow range of their own instead of widening one range to
-- the whole table; each probes sale by its key: a hash join would read every
-- line of the window a second time.  The ranges only narrow the search; the
-- probe decides.
CREATE FUNCTION credited_sales_by_month(from_date date, to_date date)
RETURNS TABLE (member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH booked AS MATERIALIZED (
    SELECT s.member_id, date_trunc('month', s.sold_on::timestamp)::date AS month, s.refund_of IS NOT NULL AS refund,
           count(*) AS lines, sum(s.amount) AS amount, min(s.sale_id) AS lo, max(s.sale_id) AS hi
    FROM sales_supervisor.sale s
    WHERE s.sold_on >= from_date AND s.sold_on <= to_date
    GROUP BY 1, 2, 3),
  split AS (
    SELECT s.member_id AS booked_id, s.sold_on, s.refund, s.amount, sc.member_id,
           row_number() OVER w = 1 AS first_share,
           sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric) OVER w AS credit
    FROM (SELECT lower(r) AS lo, upper(r) - 1 AS hi   -- the id ranges of the groups, merged
          FROM unnest((SELECT range_agg(int8range(b.lo, b.hi, '[]')) FROM booked b)) r) ids
    JOIN sales_supervisor.sale_credit sc ON sc.sale_id BETWEEN ids.lo AND ids.hi
    CROSS JOIN LATERAL (
      SELECT s1.member_id, s1.sold_on, s1.refund_of IS NOT NULL AS refund, s1.amount
      FROM sales_supervisor.sale s1
      WHERE s1.sale_id = sc.sale_id AND s1.sold_on >= from_date AND s1.sold_on <= to_date
      OFFSET 0) s   -- (kept a parameterised probe of sale's key)
    WINDOW w AS (PARTITION BY sc.sale_id ORDER BY sc.member_id))
  SELECT x.member_id, x.month, x.refund, sum(x.lines)::bigint, sum(x.amount)
  FROM (
    SELECT b.member_id, b.month, b.refund, b.lines, b.amount FROM booked b
    UNION ALL   -- each split line: credited to its reps ...
    SELECT sp.member_id, date_trunc('month', sp.sold_on::timestamp)::date, sp.refund, 1, sp.credit FROM split sp
    UNION ALL   -- ... and taken from the rep it is booked to
    SELECT sp.booked_id, date_trunc('month', sp.sold_on::timestamp)::date, sp.refund, -1, -sp.amount
    FROM split sp WHERE sp.first_share
  ) x
  GROUP BY 1, 2, 3
  HAVING sum(x.lines) <> 0;
END;
COMMENT ON FUNCTION credited_sales_by_month(date, date) IS
'credited_sales(from_date, to_date) added up per rep, calendar month (first day) and refunds (false: sales lines, true: refund lines): lines = credited lines (a split line counts once per credited rep), amount = exact credited sum. Computed in one pass over the lines plus the split lines. Security invoker: row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION credited_sales_by_month(date, date)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- year_bounds: first and last day of a fiscal year (its year period, else the calendar year).
CREATE FUNCTION year_bounds(fiscal_year integer, OUT start_on date, OUT end_on date)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce((SELECT p.start_on FROM sales_supervisor.fiscal_period p
                   WHERE p.kind = 'year' AND p.fiscal_year = year_bounds.fiscal_year),
                  make_date(year_bounds.fiscal_year, 1, 1)),
         coalesce((SELECT p.end_on FROM sales_supervisor.fiscal_period p
                   WHERE p.kind = 'year' AND p.fiscal_year = year_bounds.fiscal_year),
                  make_date(year_bounds.fiscal_year, 12, 31))
$$;
COMMENT ON FUNCTION year_bounds(integer) IS
'First and last day of a fiscal year: those of its fiscal_period of kind year, else 1 January and 31 December.';
GRANT EXECUTE ON FUNCTION year_bounds(integer)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;


-- credit_by_month: credited_sales_by_month(from_date, to_date), read from the
-- ledger where it can be.  A calendar month inside the dates the commission
-- runs have credited holds no line that is neither in the ledger nor waiting
-- in the late queue (the run credited every line dated in its window, later
-- lines are queued, and credited lines and their splits cannot change), so its
-- credit is the ledger's lines sold in it plus the waiting late lines; only
-- the other dates, and the few months where a split was corrected or a
-- recalculation found the ledger different from the lines, are read line by
-- line.  The sales-year steps read the year
-- through it: once the months are run, the close and next year's allocation
-- read some thousand ledger lines instead of millions of sales lines.
CREATE FUNCTION credit_by_month(from_date date, to_date date)
RETURNS TABLE (member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_settled date[];
  v_sharded boolean;
  r         daterange;
BEGIN
  IF from_date > to_date THEN
    RETURN;
  END IF;
  -- the whole months of [from_date, to_date] within the dates the runs credited
  -- (months searched only between the first and the last credited date, so
  -- infinite bounds are fine)
  SELECT coalesce(array_agg(m.month ORDER BY m.month), '{}') INTO v_settled
  FROM (SELECT coalesce(range_agg(daterange(l.credited_from, l.credited_through, '[]')), '{}'::datemultirange) AS dates,
               greatest(from_date, min(l.credited_from)) AS lo, least(to_date, max(l.credited_through)) AS hi
        FROM commission_period_lock l WHERE l.credited_from IS NOT NULL) c,
       LATERAL (SELECT g::date AS month FROM generate_series(date_trunc('month', c.lo::timestamp), c.hi::timestamp,
                                                             interval '1 month') g) m
  WHERE m.month >= from_date AND (m.month + interval '1 month - 1 day')::date <= to_date
    AND daterange(m.month, (m.month + interval '1 month')::date) <@ c.dates
    -- a month with a split correction (credited or waiting) or a recalculated
    -- line is read line by line: those ledger lines mix sales and refunds
    AND NOT EXISTS (SELECT 1 FROM sale_credit_correction sc JOIN sale s ON s.sale_id = sc.sale_id
                    WHERE s.sold_on >= m.month AND s.sold_on < m.month + interval '1 month')
    AND NOT EXISTS (SELECT 1 FROM commission_credit cc WHERE cc.sold_in = m.month AND cc.kind = 'recalculated');

  -- those months: their ledger lines and the late lines still waiting
  IF cardinality(v_settled) > 0 THEN
    RETURN QUERY
    SELECT x.member_id, x.month, x.refunds, sum(x.lines)::bigint, sum(x.amount)
    FROM (
      SELECT cc.member_id, cc.sold_in AS month, cc.kind IN ('refunds', 'late_refunds') AS refunds,
             cc.lines::bigint AS lines, cc.amount
      FROM commission_credit cc WHERE cc.sold_in = ANY (v_settled)
      UNION ALL
      SELECT cs.member_id, date_trunc('month', cs.sold_on::timestamp)::date, cs.refund_of IS NOT NULL, 1, cs.amount
      FROM credited_sales('-infinity', 'infinity') cs
      WHERE cs.sale_id = ANY (ARRAY(SELECT q.sale_id FROM commission_late_sale q WHERE q.credited_period_id IS NULL))
        AND date_trunc('month', cs.sold_on::timestamp)::date = ANY (v_settled)
      UNION ALL   -- on a coordinator, those on the shards (none on a single server: no remote call)
      SELECT x.member_id, date_trunc('month', x.sold_on::timestamp)::date, x.refund_of IS NOT NULL, 1, x.amount
      FROM shard_late_lines(ARRAY(SELECT q.sale_id FROM shard_late_sale q WHERE q.credited_period_id IS NULL)) x
      WHERE date_trunc('month', x.sold_on::timestamp)::date = ANY (v_settled)
    ) x
    GROUP BY 1, 2, 3
    HAVING sum(x.lines) <> 0;
  END IF;

  -- the other dates, line by line (one call per range, planned for its
  -- dates); on a coordinator the shards' lines, aggregated on each shard
  v_sharded := shards_registered();
  FOR r IN SELECT u FROM unnest(datemultirange(daterange(from_date, to_date, '[]'))
                                - (SELECT coalesce(range_agg(daterange(s, (s + interval '1 month')::date)), '{}'::datemultirange)
                                   FROM unnest(v_settled) s)) u LOOP
    IF v_sharded THEN
      RETURN QUERY SELECT b.member_id, b.month, b.refunds, b.lines, b.amount
                   FROM shard_credit_month_rows(lower(r), upper(r) - 1) b;
    ELSE
      RETURN QUERY SELECT b.member_id, b.month, b.refunds, b.lines, b.amount
                   FROM credited_sales_by_month(lower(r), upper(r) - 1) b;
    END IF;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION credit_by_month(date, date) IS
'Equal to credited_sales_by_month(from_date, to_date), read from the commission ledger for the whole calendar months that commission runs have credited (their ledger lines plus the late lines still waiting) and from the sales lines for the other dates -- on a coordinator the shards'' lines (shard_credit_month_rows). Internal: the sales-year steps read the year through it.';
REVOKE ALL ON FUNCTION credit_by_month(date, date) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- The team in force on a date (member_assignment)
-- ---------------------------------------------------------------------------

-- member_team_days: every assignment of every member with the days it answers
-- for -- its own days, and for the first assignment every day before it, for
-- the last every day after it, so a sales line dated before the hire or after
-- the leave still has a team (the nearest one).  The ranges of a member never
-- overlap and, gap-free, cover every date: join on
-- "member_id = x.member_id AND days @> x.sold_on" for the team of a dated fact.
-- SQL-standard body: inlined into the caller's query (a hash join on member_id
-- over the few assignment rows, the range test per line).
CREATE FUNCTION member_team_days()
RETURNS TABLE (member_id integer, team_id integer, level member_level, days daterange)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT a.member_id, a.team_id, a.level,
         daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                   CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END)
  FROM sales_supervisor.member_assignment a
  WINDOW w AS (PARTITION BY a.member_id);
END;
COMMENT ON FUNCTION member_team_days() IS
'Every member_assignment row with the days it answers for: its own, and before the first / after the last assignment of the member the days up to it / from it (so every date has exactly one row per member). Join on member_id and days @> a date for the team and level in force that date. Security invoker: row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION member_team_days()
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- member_team_on: the team of one member on one date (member_team_days).
CREATE FUNCTION member_team_on(member integer, on_date date)
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT d.team_id FROM sales_supervisor.member_team_days() d
  WHERE d.member_id = member_team_on.member AND d.days @> member_team_on.on_date;
END;
COMMENT ON FUNCTION member_team_on(integer, date) IS
'Team the member was in on the date (member_assignment; before the hire the first team, after leaving the last); NULL for an unknown member or a NULL argument. For many rows join member_team_days() instead. Security invoker.';
GRANT EXECUTE ON FUNCTION member_team_on(integer, date)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- credit_by_team_month: credit_by_month split by the team each rep was in on
-- the sale date.  A rep's month that one assignment answers for whole (all
-- but the months of a transfer) goes to that team as one row; the few months
-- in which a rep changed team are read line by line (credited_sales of that
-- rep and those days) and each line goes to the team in force on its date.
CREATE FUNCTION credit_by_team_month(from_date date, to_date date)
RETURNS TABLE (member_id integer, team_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH cm AS MATERIALIZED (
    SELECT c.member_id, c.month, c.refunds, c.lines, c.amount,
           daterange(greatest(c.month, from_date), least((c.month + interval '1 month')::date, to_date + 1)) AS days
    FROM sales_supervisor.credit_by_month(from_date, to_date) c),
  t AS MATERIALIZED (SELECT * FROM sales_supervisor.member_team_days()),
  whole AS MATERIALIZED (
    SELECT cm.member_id, t.team_id, cm.month, cm.refunds, cm.lines, cm.amount
    FROM cm JOIN t ON t.member_id = cm.member_id AND t.days @> cm.days),
  split AS MATERIALIZED (
    SELECT DISTINCT cm.member_id, cm.days FROM cm
    WHERE NOT EXISTS (SELECT 1 FROM whole w WHERE w.member_id = cm.member_id AND w.month = cm.month)),
  lines AS MATERIALIZED (   -- those reps' lines of those months, as credited_sales credits them: the
                            -- unsplit ones by index scans of sale (member_id, sold_on) per month; the
                            -- split ones found from their shares (sale_credit (member_id, ...)), each split
                            -- whole (the window needs every share of a line; credited_sales over the
                            -- dates would split every line of the dates)
    SELECT s.member_id, s.sold_on, s.refund_of, s.amount
    FROM split p
    JOIN sales_supervisor.sale s ON s.member_id = p.member_id AND s.sold_on >= lower(p.days) AND s.sold_on < upper(p.days)
    WHERE NOT EXISTS (SELECT 1 FROM sales_supervisor.sale_credit sc WHERE sc.sale_id = s.sale_id)
    UNION ALL
    SELECT sc.member_id, s.sold_on, s.refund_of,
           sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric)
                              OVER (PARTITION BY s.sale_id ORDER BY sc.member_id)
    FROM sales_supervisor.sale s JOIN sales_supervisor.sale_credit sc ON sc.sale_id = s.sale_id
    WHERE s.sale_id IN (SELECT c.sale_id FROM split p
                        JOIN sales_supervisor.sale_credit c ON c.member_id = p.member_id
                        JOIN sales_supervisor.sale s2 ON s2.sale_id = c.sale_id AND p.days @> s2.sold_on))
  SELECT w.member_id, w.team_id, w.month, w.refunds, w.lines, w.amount FROM whole w
  UNION ALL
  SELECT cs.member_id, coalesce(t.team_id, m.team_id), date_trunc('month', cs.sold_on::timestamp)::date,
         cs.refund_of IS NOT NULL, count(*), sum(cs.amount)
  FROM lines cs
  JOIN split p ON p.member_id = cs.member_id AND p.days @> cs.sold_on
  JOIN sales_supervisor.member m ON m.member_id = cs.member_id
  LEFT JOIN t ON t.member_id = cs.member_id AND t.days @> cs.sold_on
  GROUP BY 1, 2, 3, 4
$$;
COMMENT ON FUNCTION credit_by_team_month(date, date) IS
'credit_by_month(from_date, to_date) split by the team each rep was in on the sale date (member_team_days): a rep''s month within one assignment as one row, a month with a transfer line by line. Internal: the sales-year steps read team figures through it.';
REVOKE ALL ON FUNCTION credit_by_team_month(date, date) FROM PUBLIC;

-- credit_by_team_month_shards: credit_by_team_month on a coordinator.  The
-- months come from credit_by_month as on one server (the ledger for the months
-- the runs credited, the shards for the other dates); a month in which a rep
-- changed team is read per day from the shards for those reps and months
-- (shard_day_rows, aggregated on each shard) instead of line by line from
-- this server's sale, each day counted for the team of that day.
CREATE FUNCTION credit_by_team_month_shards(from_date date, to_date date)
RETURNS TABLE (member_id integer, team_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH cm AS MATERIALIZED (
    SELECT c.member_id, c.month, c.refunds, c.lines, c.amount,
           daterange(greatest(c.month, from_date), least((c.month + interval '1 month')::date, to_date + 1)) AS days
    FROM sales_supervisor.credit_by_month(from_date, to_date) c),
  t AS MATERIALIZED (SELECT * FROM sales_supervisor.member_team_days()),
  whole AS MATERIALIZED (
    SELECT cm.member_id, t.team_id, cm.month, cm.refunds, cm.lines, cm.amount
    FROM cm JOIN t ON t.member_id = cm.member_id AND t.days @> cm.days),
  split AS MATERIALIZED (
    SELECT DISTINCT cm.member_id, cm.month FROM cm
    WHERE NOT EXISTS (SELECT 1 FROM whole w WHERE w.member_id = cm.member_id AND w.month = cm.month)),
  days AS MATERIALIZED (
    SELECT d.* FROM sales_supervisor.shard_day_rows(from_date, to_date,
                                                    (SELECT array_agg(DISTINCT p.member_id) FROM split p),
                                                    (SELECT array_agg(DISTINCT p.month) FROM split p)) d)
  SELECT w.member_id, w.team_id, w.month, w.refunds, w.lines, w.amount FROM whole w
  UNION ALL
  SELECT d.member_id, coalesce(t.team_id, m.team_id), p.month, d.refunds, sum(d.lines)::bigint, sum(d.amount)
  FROM days d
  JOIN split p ON p.member_id = d.member_id AND p.month = date_trunc('month', d.sold_on::timestamp)::date
  JOIN sales_supervisor.member m ON m.member_id = d.member_id
  LEFT JOIN t ON t.member_id = d.member_id AND t.days @> d.sold_on
  GROUP BY 1, 2, 3, 4
$$;
COMMENT ON FUNCTION credit_by_team_month_shards(date, date) IS
'credit_by_team_month(from_date, to_date) on a coordinator: the months from credit_by_month (the ledger, else the shards), a month in which a rep changed team read per day from the shards for those reps (shard_day_rows) and each day counted for the team of that day. Internal: kpi_measure reads it when shards are registered.';
REVOKE ALL ON FUNCTION credit_by_team_month_shards(date, date) FROM PUBLIC;

-- appraisal_cycle_row: the appraisal cycle a step works on.  Every step that
-- takes a cycle id starts here, so each refuses the same way: a NULL id with
-- 22004 (not "cycle <NULL> does not exist") and an unknown id with P0002.
-- for_update locks the row FOR NO KEY UPDATE, for the steps that change the
-- cycle or must not run while its state changes.
CREATE FUNCTION appraisal_cycle_row(cycle integer, for_update boolean)
RETURNS appraisal_cycle
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  IF cycle IS NULL THEN
    RAISE EXCEPTION 'cycle must not be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  IF for_update THEN
    SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle FOR NO KEY UPDATE;
  ELSE
    SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  RETURN c;
END
$fn$;
COMMENT ON FUNCTION appraisal_cycle_row(integer, boolean) IS
'Internal: the appraisal cycle row a sales-year step works on, locked FOR NO KEY UPDATE when for_update; 22004 for a NULL id, P0002 for an unknown one.';
REVOKE ALL ON FUNCTION appraisal_cycle_row(integer, boolean) FROM PUBLIC;

-- quota_relief_for: per rep and period, the relief that counts for the
-- period -- every relief row of a period lying within its dates (a month's
-- relief counts for its quarter and year) -- as reductions and credits.
CREATE FUNCTION quota_relief_for(p_period integer, p_member integer)
RETURNS TABLE (reduction numeric, credit numeric)
LANGUAGE sql STABLE PARALLEL SAFE
-- (a body parsed at creation, no SET: the planner inlines it into the views'
-- and KPIs' lateral joins instead of calling it once per row)
BEGIN ATOMIC
  SELECT coalesce(sum(r.amount) FILTER (WHERE r.kind = 'reduction'), 0),
         coalesce(sum(r.amount) FILTER (WHERE r.kind = 'credit'), 0)
  FROM sales_supervisor.fiscal_period p
  JOIN sales_supervisor.fiscal_period pr ON pr.start_on >= p.start_on AND pr.end_on <= p.end_on
  JOIN sales_supervisor.quota_relief r ON r.period_id = pr.period_id AND r.member_id = quota_relief_for.p_member
  WHERE p.period_id = quota_relief_for.p_period;
END;
COMMENT ON FUNCTION quota_relief_for(integer, integer) IS
'The quota relief that counts for a rep in a period: the reductions and the credits of every relief row whose period lies within the period''s dates (a month''s relief counts for its quarter and year). Security invoker: row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION quota_relief_for(integer, integer)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- Layer 5, risk: early warning of customers drifting away (issue 19, part 1).
--
-- Per customer and as of any day (nothing after that day is read, so the
-- score can be backtested), five facts, each judged against the customer's
-- own past or the tier's rules, each contributing its weight to one score:
--
--   rhythm        no purchase for longer than the customer's usual gap allows
--                 (purchase_rhythm, a C aggregate: the lower median of the gaps
--                 between distinct purchase days), unless the silence is the
--                 customer's quiet season (a year earlier on the same date
--                 they were just as late, and they bought within the year)
--   trend         net sales of the recent window well below the same window a
--                 year earlier
--   visit         the tier's return visit (visit_cadence) overdue on the day
--   complaint     a complaint open past its response deadline
--                 (customer_risk_setting.complaint_response_days, 3 days as
--                 the overdue_feedback job's), or one resolved late in the
--                 recent window
--   satisfaction  CSAT or NPS of the recent survey window well below the
--                 window before it
--
--   customer_risk_setting   the weights (summing to 100), the flag threshold
--                           and the windows; one optional row, defaults without
--   customer_risk(day)      every visible customer as of the day: the facts,
--                           the score, at_risk, the reasons in words
--   customer_risk_flag      the at-risk customers as of the last run of the
--                           daily job customer_risk (flag_customer_risk)
--   v_customer_risk         the flags with customer, rep and team names, for
--                           the Monday list and BI tools; security invoker
--
-- Everything here runs with the caller's rights: row-level security decides
-- which customers, sales, visits, feedback and surveys a call sees, so a rep
-- gets their own customers, a supervisor their subtree's.  The daily job runs
-- as the extension owner and sees everyone.  See docs/risk.md.

-- ---------------------------------------------------------------------------
-- The purchase rhythm aggregate (C, src/purchase_rhythm.c)
-- ---------------------------------------------------------------------------

CREATE TYPE purchase_rhythm_result AS (
  purchase_days  integer,
  first_on       date,
  last_on        date,
  gaps           integer,
  median_gap     integer
);
COMMENT ON TYPE purchase_rhythm_result IS
'Result of purchase_rhythm(): distinct purchase days, the first and the last, the number of gaps between consecutive days (purchase_days - 1), and the lower median of those gaps in days (NULL without a gap).';

CREATE FUNCTION purchase_rhythm_trans(internal, date) RETURNS internal
AS 'MODULE_PATHNAME', 'purchase_rhythm_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION purchase_rhythm_trans(internal, date) IS
'Transition function of purchase_rhythm(): appends one day (NULL skipped, a repeat of the last day skipped, an infinite date is error 22023).';

CREATE FUNCTION purchase_rhythm_combine(internal, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'purchase_rhythm_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION purchase_rhythm_combine(internal, internal) IS
'Combine function of purchase_rhythm(): appends the days of two partial states.';

CREATE FUNCTION purchase_rhythm_serialize(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'purchase_rhythm_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_rhythm_serialize(internal) IS
'Serial function of purchase_rhythm(): the sorted distinct days as a little-endian int8 count and int4 day numbers.';

CREATE FUNCTION purchase_rhythm_deserialize(bytea, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'purchase_rhythm_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_rhythm_deserialize(bytea, internal) IS
'Deserial function of purchase_rhythm(): reads serialized days, checking the length against the count (22P03).';

CREATE FUNCTION purchase_rhythm_final(internal) RETURNS purchase_rhythm_result
AS 'MODULE_PATHNAME', 'purchase_rhythm_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION purchase_rhythm_final(internal) IS
'Final function of purchase_rhythm(): sorts the distinct days and returns their count, first, last, gaps and lower median gap; NULL for no day.';

CREATE AGGREGATE purchase_rhythm(day date) (
    SFUNC = purchase_rhythm_trans,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = purchase_rhythm_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = purchase_rhythm_combine,
    SERIALFUNC = purchase_rhythm_serialize,
    DESERIALFUNC = purchase_rhythm_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE purchase_rhythm(date) IS
'Purchase rhythm of the days of a group (one customer''s purchase days): (purchase_days, first_on, last_on, gaps, median_gap) where median_gap is the lower median of the gaps in days between consecutive distinct days (of an even number of gaps the smaller middle one, as percentile_disc(0.5)); NULL days skipped; no day gives NULL; an infinite date is error 22023. Independent of row order; parallel safe.';

-- ---------------------------------------------------------------------------
-- Settings: weights, threshold, windows
-- ---------------------------------------------------------------------------

-- One optional row: without it the column defaults apply
-- (customer_risk_settings()), so a new install, a restore and a demo org
-- that truncates the model all judge with the documented defaults, and
-- INSERT ... DEFAULT VALUES writes them out to be changed.
CREATE TABLE customer_risk_setting (
  singleton              boolean PRIMARY KEY DEFAULT true CONSTRAINT customer_risk_setting_one_row CHECK (singleton),
  weight_rhythm          numeric(5,2) NOT NULL DEFAULT 35,
  weight_trend           numeric(5,2) NOT NULL DEFAULT 25,
  weight_visit           numeric(5,2) NOT NULL DEFAULT 10,
  weight_complaint       numeric(5,2) NOT NULL DEFAULT 20,
  weight_satisfaction    numeric(5,2) NOT NULL DEFAULT 10,
  flag_score             numeric(5,2) NOT NULL DEFAULT 30,
  min_gaps               integer NOT NULL DEFAULT 3,
  rhythm_tolerance       numeric(4,2) NOT NULL DEFAULT 1.5,
  trend_window_days      integer NOT NULL DEFAULT 90,
  trend_drop_pct         numeric(5,2) NOT NULL DEFAULT 30,
  complaint_window_days  integer NOT NULL DEFAULT 90,
  survey_window_days     integer NOT NULL DEFAULT 180,
  satisfaction_drop      numeric(5,2) NOT NULL DEFAULT 20,
  complaint_response_days integer NOT NULL DEFAULT 3,
  rhythm_min_late_days   integer NOT NULL DEFAULT 14,
  CONSTRAINT customer_risk_setting_weights_between_0_and_100
    CHECK (weight_rhythm BETWEEN 0 AND 100 AND weight_trend BETWEEN 0 AND 100 AND weight_visit BETWEEN 0 AND 100
           AND weight_complaint BETWEEN 0 AND 100 AND weight_satisfaction BETWEEN 0 AND 100),
  CONSTRAINT customer_risk_setting_weights_sum_to_100
    CHECK (weight_rhythm + weight_trend + weight_visit + weight_complaint + weight_satisfaction = 100),
  CONSTRAINT customer_risk_setting_flag_score_above_0_to_100 CHECK (flag_score > 0 AND flag_score <= 100),
  CONSTRAINT customer_risk_setting_min_gaps_1_to_100 CHECK (min_gaps BETWEEN 1 AND 100),
  CONSTRAINT customer_risk_setting_rhythm_tolerance_1_to_10 CHECK (rhythm_tolerance BETWEEN 1 AND 10),
  CONSTRAINT customer_risk_setting_windows_7_to_366_days
    CHECK (trend_window_days BETWEEN 7 AND 366 AND complaint_window_days BETWEEN 7 AND 366
           AND survey_window_days BETWEEN 7 AND 366),
  CONSTRAINT customer_risk_setting_trend_drop_pct_above_0_to_100 CHECK (trend_drop_pct > 0 AND trend_drop_pct <= 100),
  CONSTRAINT customer_risk_setting_satisfaction_drop_above_0_to_200 CHECK (satisfaction_drop > 0 AND satisfaction_drop <= 200),
  CONSTRAINT customer_risk_setting_complaint_response_days_1_to_366 CHECK (complaint_response_days BETWEEN 1 AND 366),
  CONSTRAINT customer_risk_setting_rhythm_min_late_days_0_to_366 CHECK (rhythm_min_late_days BETWEEN 0 AND 366)
);
COMMENT ON TABLE customer_risk_setting IS
'How customer_risk() scores: the weight of each of the five risk facts (0..100 each, summing to exactly 100), the score from which a customer is at risk, and the windows. At most one row; without a row the column defaults apply (INSERT INTO customer_risk_setting DEFAULT VALUES writes them out). Managers change it; every role that sees customers reads it. Violations are check_violation (23514) naming the constraint.';
COMMENT ON COLUMN customer_risk_setting.singleton IS 'Always true: the table has at most one row.';
COMMENT ON COLUMN customer_risk_setting.weight_rhythm IS 'Points (0..100) when the next purchase is overdue against the customer''s rhythm (default 35).';
COMMENT ON COLUMN customer_risk_setting.weight_trend IS 'Points (0..100) when net sales of the recent window fell against the same window a year earlier (default 25).';
COMMENT ON COLUMN customer_risk_setting.weight_visit IS 'Points (0..100) when the tier''s return visit is overdue (default 10).';
COMMENT ON COLUMN customer_risk_setting.weight_complaint IS 'Points (0..100) for a complaint open past its response deadline or resolved late in the complaint window (default 20).';
COMMENT ON COLUMN customer_risk_setting.weight_satisfaction IS 'Points (0..100) when CSAT or NPS of the recent survey window fell against the window before (default 10). The five weights sum to 100.';
COMMENT ON COLUMN customer_risk_setting.flag_score IS 'A customer whose score reaches this (0 < flag_score <= 100) is at risk (default 30: the rhythm alone, or the trend with a visit or a complaint).';
COMMENT ON COLUMN customer_risk_setting.min_gaps IS 'Gaps between purchase days a customer needs for their own median gap to be their rhythm (1..100, default 3); with fewer (but at least one) the typical gap of their tier applies, else of the company; with one purchase day the rhythm is not judged.';
COMMENT ON COLUMN customer_risk_setting.rhythm_tolerance IS 'The next purchase is overdue when the days since the last one exceed this multiple of the usual gap (1..10, default 1.5: a monthly customer after 45 days).';
COMMENT ON COLUMN customer_risk_setting.trend_window_days IS 'Length of the recent sales window ending on the day, compared with the same days a year earlier (7..366, default 90).';
COMMENT ON COLUMN customer_risk_setting.trend_drop_pct IS 'The trend counts when recent net sales are below the year-earlier window''s by more than this percentage (0 < pct <= 100, default 30).';
COMMENT ON COLUMN customer_risk_setting.complaint_window_days IS 'A complaint resolved later than its response deadline counts while its resolution is within this many days of the day (7..366, default 90).';
COMMENT ON COLUMN customer_risk_setting.survey_window_days IS 'Length of the recent survey window ending on the day, compared with the window of the same length just before it (7..366, default 180).';
COMMENT ON COLUMN customer_risk_setting.complaint_response_days IS 'A complaint unresolved this many days after it was opened counts as open past its deadline, and one resolved later than that as resolved late (1..366, default 3, as ops_setting complaint_response_days of the overdue_feedback job, which the roles cannot read).';
COMMENT ON COLUMN customer_risk_setting.rhythm_min_late_days IS 'However short the usual gap, the next purchase is late only this many days after it (0..366, default 14): a customer buying every 2 days is not late after 4 days of silence, but after 16.';
COMMENT ON COLUMN customer_risk_setting.satisfaction_drop IS 'Satisfaction counts when CSAT (0..100 %) or NPS (-100..100) of the recent window is at least this many points below the window before (0 < drop <= 200, default 20).';

CREATE FUNCTION customer_risk_settings()
RETURNS customer_risk_setting
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  -- the row, or the documented defaults (the column defaults; risk_customer.sql
  -- checks the two agree) when there is none
  SELECT x.s
  FROM (SELECT s, 0 AS k FROM sales_supervisor.customer_risk_setting s
        UNION ALL
        SELECT ROW(true, 35, 25, 10, 20, 10, 30, 3, 1.5, 90, 30, 90, 180, 20, 3, 14)::sales_supervisor.customer_risk_setting, 1) x
  ORDER BY x.k LIMIT 1
$$;
COMMENT ON FUNCTION customer_risk_settings() IS
'The customer risk settings in force: the row of customer_risk_setting, or its column defaults when it has none.';
REVOKE ALL ON FUNCTION customer_risk_settings() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- The facts as of a day, phase by phase
-- ---------------------------------------------------------------------------

-- Phase 1, the sales lines: one pass over the lines up to the day with one
-- aggregate, customer_sales_scan (C, src/customer_sales.c), that keeps its
-- own table of customers -- a GROUP BY customer with the rhythm, the year-ago
-- purchase and the two trend sums as four aggregates cost a hash look-up and
-- four transition calls per line, twice this (bench/customer_risk.sh).  The
-- rhythm reads purchase days (positive lines; a refund is not a purchase);
-- the year-ago last purchase tells a quiet season from a lapse; the two
-- trend windows sum net amounts (refunds included) as sum() does.
CREATE TYPE customer_sales_row AS (
  customer_id       integer,
  purchase_days     integer,
  first_on          date,
  last_on           date,
  gaps              integer,
  median_gap        integer,
  year_ago_last_on  date,
  recent_sales      numeric,
  year_ago_sales    numeric
);
COMMENT ON TYPE customer_sales_row IS
'One customer of customer_sales_scan(): the purchase rhythm (as purchase_rhythm_result: distinct purchase days, first, last, gaps, lower median gap; NULL without a purchase, median_gap without a gap), the last purchase on or before the year-ago day, and net sales of the recent and the year-ago window (0 without a line).';

CREATE FUNCTION customer_sales_trans(internal, integer, date, boolean, numeric, date, date, date) RETURNS internal
AS 'MODULE_PATHNAME', 'customer_sales_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION customer_sales_trans(internal, integer, date, boolean, numeric, date, date, date) IS
'Transition function of customer_sales_scan(): one line into its customer''s entry (a line with a NULL customer, day or amount skipped; an infinite day 22023; NULL window bounds 22004, infinite ones or bounds changing between lines 22023).';

CREATE FUNCTION customer_sales_final(internal) RETURNS customer_sales_row[]
AS 'MODULE_PATHNAME', 'customer_sales_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION customer_sales_final(internal) IS
'Final function of customer_sales_scan(): one customer_sales_row per customer seen, in no particular order; NULL without a line.';

CREATE AGGREGATE customer_sales_scan(customer_id integer, sold_on date, purchase boolean, amount numeric,
                                     recent_from date, year_ago_from date, year_ago date) (
    SFUNC = customer_sales_trans,
    STYPE = internal,
    FINALFUNC = customer_sales_final,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customer_sales_scan(integer, date, boolean, numeric, date, date, date) IS
'The sales phase of customer_risk in one pass over the lines (no GROUP BY: the aggregate keeps a table of customers): per customer, the purchase rhythm of the lines with purchase true (as purchase_rhythm), the last such day on or before year_ago, and sum(amount) of the lines with recent_from < sold_on and of those with year_ago_from < sold_on <= year_ago (0 without a line); an array of customer_sales_row. Lines with a NULL customer, day or amount are skipped; the bounds must be the same on every line (22023), not NULL (22004), finite (22023). Parallel safe; no combine function (a parallel plan aggregates in the leader).';

-- shard_customer_sales_as_of: customer_sales_as_of on a coordinator, from
-- the lines the shards hold that login reads (row-level security as on one
-- server: shard_line_scope, shipped to each shard as shard_scope_qual): each
-- shard groups its lines sold on or before the day per customer, day and
-- purchase (positive line) or not, summing the amounts (pushed down: at most
-- one row per customer, day and sign per shard), and customer_sales_scan
-- runs over those rows on the coordinator -- the same measures as over the
-- lines: the purchase days are distinct days, and the window sums add exact
-- sums.  Every shard checked first.  Security definer (the foreign tables
-- are the owner's) with the caller's login, defaulted in the caller's
-- context.  Parallel restricted (the shards' reads belong to the leader).
CREATE FUNCTION shard_customer_sales_as_of(p_day date, p_window integer, login name DEFAULT current_user)
RETURNS TABLE (customer_id integer, rhythm purchase_rhythm_result, year_ago_last_on date,
               recent_sales numeric, year_ago_sales numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_year_ago date := (p_day - interval '1 year')::date;
  v_recent_from date := p_day - p_window;
  v_year_ago_from date := (p_day - interval '1 year')::date - p_window;
  v_days customer_sales_row[];
  sc record;
BEGIN
  IF p_day IS NULL OR p_window IS NULL OR login IS NULL THEN
    RAISE EXCEPTION 'p_day, p_window and login must not be null' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Leave login out: it defaults to current_user.';
  END IF;
  sc := sales_supervisor.shard_line_scope(login);   -- refuses a login the session may not act as
  PERFORM sales_supervisor.shard_require_all();      -- (its errors name the shard: not caught below)
  BEGIN
    EXECUTE (
      SELECT 'SELECT sales_supervisor.customer_sales_scan(d.customer_id, d.sold_on, d.purchase, d.amount, $2, $3, $4) FROM ('
             || string_agg(format('SELECT s.customer_id, s.sold_on, s.refund_of IS NULL AS purchase, sum(s.amount) AS amount
                                   FROM %I.sale s WHERE s.sold_on <= $1%s GROUP BY 1, 2, 3', sv.schema_name,
                                  CASE WHEN sc.reads_all THEN ''
                                       ELSE ' AND ' || sales_supervisor.shard_scope_qual('s', 'member_id', 5) END),
                           ' UNION ALL ' ORDER BY sv.server_name)
             || ') d'
      FROM sales_supervisor.shard_servers() sv)
      INTO v_days
      USING p_day, v_recent_from, v_year_ago_from, v_year_ago, sc.booked_ids, sc.moved_ids, sc.moved_dates,
            CASE WHEN sc.reads_all THEN '{}'::bigint[]
                 ELSE sales_supervisor.shard_scope_sale_ids(sc.credit_ids, '-infinity', p_day) END;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    PERFORM sales_supervisor.shard_read_failed(SQLERRM);
  END;
  RETURN QUERY
  SELECT r.customer_id,
         CASE WHEN r.purchase_days IS NOT NULL
              THEN ROW(r.purchase_days, r.first_on, r.last_on, r.gaps, r.median_gap)::purchase_rhythm_result END,
         r.year_ago_last_on, r.recent_sales, r.year_ago_sales
  FROM unnest(v_days) r;
END
$$;
COMMENT ON FUNCTION shard_customer_sales_as_of(date, integer, name) IS
'Internal: customer_sales_as_of on a coordinator: the same measures per customer (purchase rhythm, last purchase a year earlier, net sales of the recent and the year-ago window) from the lines the registered shards hold sold on or before p_day that login reads (row-level security as on one server, shipped to each shard: shard_line_scope), each shard summing its lines per customer, day and sign (pushed down), customer_sales_scan over those rows on the coordinator. Every shard checked first (55000 when none is registered); a shard lost during the read is 08006. Security definer with the caller''s login (22004 for a NULL argument, 42501 for a login the session may not act as). Parallel restricted.';
REVOKE ALL ON FUNCTION shard_customer_sales_as_of(date, integer, name) FROM PUBLIC;
-- (customer_sales_as_of runs as its caller, the sales roles)
GRANT EXECUTE ON FUNCTION shard_customer_sales_as_of(date, integer, name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

CREATE FUNCTION customer_sales_as_of(p_day date, p_window integer)
RETURNS TABLE (customer_id integer, rhythm purchase_rhythm_result, year_ago_last_on date,
               recent_sales numeric, year_ago_sales numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
-- planned with the day's dates as constants: the generic plan of a SQL
-- function (parameters, a bitmap scan of the BRIN index, the bounds computed
-- per line) took 4 x as long over the lines as this
SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
  v_year_ago date := (p_day - interval '1 year')::date;
  v_recent_from date := p_day - p_window;
  v_year_ago_from date := (p_day - interval '1 year')::date - p_window;
BEGIN
  IF sales_supervisor.shards_registered() THEN
    -- a coordinator: the shards' lines the caller reads (this function runs
    -- as its caller: current_user is the caller's login)
    RETURN QUERY SELECT * FROM sales_supervisor.shard_customer_sales_as_of(p_day, p_window, current_user);
    RETURN;
  END IF;
  RETURN QUERY
  SELECT r.customer_id,
         CASE WHEN r.purchase_days IS NOT NULL
              THEN ROW(r.purchase_days, r.first_on, r.last_on, r.gaps, r.median_gap)::purchase_rhythm_result END,
         r.year_ago_last_on, r.recent_sales, r.year_ago_sales
  -- a purchase is a positive line: refund_of IS NULL, which sale_amount_sign
  -- makes the same as amount > 0 and costs no numeric comparison per line
  FROM unnest((SELECT sales_supervisor.customer_sales_scan(s.customer_id, s.sold_on, s.refund_of IS NULL, s.amount,
                                                           v_recent_from, v_year_ago_from, v_year_ago)
               FROM sales_supervisor.sale s
               WHERE s.sold_on <= p_day)) r;
END
$$;
COMMENT ON FUNCTION customer_sales_as_of(date, integer) IS
'Phase 1 of customer_risk: per customer, from the sales lines sold on or before p_day only (one pass, customer_sales_scan): the purchase rhythm of the positive lines, the last purchase on or before the same day a year earlier, and net sales of the p_window days ending on p_day and of the same days a year earlier. Runs with the caller''s row-level security. On a coordinator the shards'' lines the caller reads (shard_customer_sales_as_of, row-level security shipped to the shards). Parallel restricted.';
REVOKE ALL ON FUNCTION customer_sales_as_of(date, integer) FROM PUBLIC;

-- Phase 2, the customer file, visits, complaints and surveys, each read up
-- to p_end (the first instant after the day): the customers of the day
-- (active, customer since the day or before) with their tier's cadence.  Each
-- table is read once and grouped (a lookup per customer costs more when
-- everyone is scored; a rep's call sees few rows either way).
CREATE FUNCTION customer_contact_as_of(p_day date, p_end timestamptz, p_set customer_risk_setting)
RETURNS TABLE (customer_id integer, owner_id integer, team_id integer, tier text, since date, every_days integer,
               last_visit_on date, open_complaints integer, late_complaints integer,
               csat_recent numeric, csat_before numeric, nps_recent numeric, nps_before numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT c.customer_id, c.owner_id, c.team_id, c.tier, c.since, vc.every_days, v.last_done_on,
         coalesce(f.open_late, 0), coalesce(f.resolved_late, 0),
         q.csat_recent, q.csat_before, q.nps_recent, q.nps_before
  FROM sales_supervisor.customer c
  JOIN sales_supervisor.visit_cadence vc ON vc.tier = c.tier
  LEFT JOIN (SELECT cv.customer_id, max(cv.done_at)::date AS last_done_on
             FROM sales_supervisor.customer_visit cv
             WHERE cv.done_at < p_end GROUP BY cv.customer_id) v ON v.customer_id = c.customer_id
  LEFT JOIN (
    SELECT fb.customer_id,
           count(*) FILTER (WHERE (fb.resolved_at IS NULL OR fb.resolved_at >= p_end)
                              AND fb.opened_at + make_interval(days => p_set.complaint_response_days) < p_end)::integer
             AS open_late,
           count(*) FILTER (WHERE fb.resolved_at < p_end
                              AND fb.resolved_at >= p_end - make_interval(days => p_set.complaint_window_days)
                              AND fb.resolved_at > fb.opened_at + make_interval(days => p_set.complaint_response_days))::integer
             AS resolved_late
    FROM sales_supervisor.feedback fb
    WHERE fb.kind = 'complaint' AND fb.opened_at < p_end
    GROUP BY fb.customer_id) f ON f.customer_id = c.customer_id
  LEFT JOIN (
    SELECT r.customer_id,
           sales_supervisor.csat(r.csat) FILTER (WHERE r.answered_at >= w.split) AS csat_recent,
           sales_supervisor.csat(r.csat) FILTER (WHERE r.answered_at < w.split) AS csat_before,
           sales_supervisor.nps(r.nps) FILTER (WHERE r.answered_at >= w.split) AS nps_recent,
           sales_supervisor.nps(r.nps) FILTER (WHERE r.answered_at < w.split) AS nps_before
    FROM sales_supervisor.survey_response r
    CROSS JOIN (SELECT p_end - make_interval(days => p_set.survey_window_days) AS split) w
    WHERE r.answered_at < p_end AND r.answered_at >= p_end - make_interval(days => 2 * p_set.survey_window_days)
    GROUP BY r.customer_id) q ON q.customer_id = c.customer_id
  WHERE c.active AND c.since <= p_day
$$;
COMMENT ON FUNCTION customer_contact_as_of(date, timestamptz, customer_risk_setting) IS
'Phase 2 of customer_risk: the active customers who were customers on p_day, with their tier''s cadence, last done visit, complaints open past their response deadline and complaints resolved late within the complaint window, CSAT and NPS of the recent survey window and of the window before; every row read is before p_end (the first instant after p_day). Runs with the caller''s row-level security.';
REVOKE ALL ON FUNCTION customer_contact_as_of(date, timestamptz, customer_risk_setting) FROM PUBLIC;

-- Phase 3, the usual gap: the customer's own median gap when they have
-- min_gaps gaps or more; with fewer (but one at least) the typical gap of
-- their tier (the median of the own gaps of the tier's customers that have
-- enough), else of every customer in sight; with one purchase day none.
CREATE FUNCTION customer_rhythm_as_of(p_day date, p_end timestamptz, p_set customer_risk_setting)
RETURNS TABLE (customer_id integer, owner_id integer, team_id integer, tier text, since date, every_days integer,
               last_visit_on date, open_complaints integer, late_complaints integer,
               csat_recent numeric, csat_before numeric, nps_recent numeric, nps_before numeric,
               purchase_days integer, last_purchase_on date, gaps integer, usual_gap integer, gap_basis text,
               year_ago_last_on date, recent_sales numeric, year_ago_sales numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH c AS MATERIALIZED (
         SELECT k.*, (s.rhythm).purchase_days, (s.rhythm).last_on, (s.rhythm).gaps, (s.rhythm).median_gap,
                s.year_ago_last_on, coalesce(s.recent_sales, 0) AS recent_sales,
                coalesce(s.year_ago_sales, 0) AS year_ago_sales
         FROM sales_supervisor.customer_contact_as_of(p_day, p_end, p_set) k
         LEFT JOIN sales_supervisor.customer_sales_as_of(p_day, p_set.trend_window_days) s USING (customer_id)),
       by_tier AS (
         SELECT c.tier, percentile_disc(0.5) WITHIN GROUP (ORDER BY c.median_gap) AS gap
         FROM c WHERE c.gaps >= p_set.min_gaps GROUP BY c.tier),
       company AS (
         SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY c.median_gap) AS gap
         FROM c WHERE c.gaps >= p_set.min_gaps)
  SELECT c.customer_id, c.owner_id, c.team_id, c.tier, c.since, c.every_days, c.last_visit_on,
         c.open_complaints, c.late_complaints, c.csat_recent, c.csat_before, c.nps_recent, c.nps_before,
         coalesce(c.purchase_days, 0), c.last_on, coalesce(c.gaps, 0),
         CASE WHEN c.gaps >= k.min_gaps THEN c.median_gap
              WHEN c.gaps >= 1 THEN coalesce(t.gap, company.gap) END,
         CASE WHEN c.gaps >= k.min_gaps THEN 'own'
              WHEN c.gaps >= 1 AND t.gap IS NOT NULL THEN 'tier'
              WHEN c.gaps >= 1 AND company.gap IS NOT NULL THEN 'company' END,
         c.year_ago_last_on, c.recent_sales, c.year_ago_sales
  FROM c
  LEFT JOIN by_tier t ON t.tier = c.tier
  CROSS JOIN company
  CROSS JOIN (SELECT p_set.min_gaps AS min_gaps OFFSET 0) k
$$;
COMMENT ON FUNCTION customer_rhythm_as_of(date, timestamptz, customer_risk_setting) IS
'Phase 3 of customer_risk: phases 1 and 2 joined, and each customer''s usual gap between purchases: their own median gap with min_gaps gaps or more (basis own); with fewer but at least one, the median of the own gaps of the customers of their tier who have enough (tier), else of all such customers in sight (company); none with one purchase day or none. Runs with the caller''s row-level security.';
REVOKE ALL ON FUNCTION customer_rhythm_as_of(date, timestamptz, customer_risk_setting) FROM PUBLIC;

-- Phase 4, the facts: which of the five hold.  The rhythm is suspended in
-- the customer's quiet season: a year earlier on the same date the customer
-- (already buying then) was just as late against their usual gap, and they
-- have bought within the last year (a whole year of silence is no season).
CREATE FUNCTION customer_risk_facts(p_day date, p_end timestamptz, p_set customer_risk_setting)
RETURNS TABLE (customer_id integer, owner_id integer, team_id integer, tier text, every_days integer,
               purchase_days integer, last_purchase_on date, days_since_purchase integer, gaps integer,
               usual_gap integer, gap_basis text, quiet_season boolean, recent_sales numeric, year_ago_sales numeric,
               visit_due_on date, open_complaints integer, late_complaints integer,
               csat_recent numeric, csat_before numeric, nps_recent numeric, nps_before numeric,
               late boolean, falling boolean, visit_late boolean, complaints boolean, unhappy boolean)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT r.customer_id, r.owner_id, r.team_id, r.tier, r.every_days, r.purchase_days, r.last_purchase_on,
         p_day - r.last_purchase_on, r.gaps, r.usual_gap, r.gap_basis, q.quiet, r.recent_sales, r.year_ago_sales,
         coalesce(r.last_visit_on, r.since) + r.every_days, r.open_complaints, r.late_complaints,
         r.csat_recent, r.csat_before, r.nps_recent, r.nps_before,
         coalesce(p_day - r.last_purchase_on > greatest(k.tol * r.usual_gap, r.usual_gap + k.min_late), false)
           AND NOT q.quiet,
         r.year_ago_sales > 0 AND r.recent_sales < r.year_ago_sales * k.keep,
         coalesce(r.last_visit_on, r.since) + r.every_days < p_day,
         r.open_complaints + r.late_complaints > 0,
         coalesce(r.csat_before - r.csat_recent >= k.sat_drop, false) OR coalesce(r.nps_before - r.nps_recent >= k.sat_drop, false)
  FROM (SELECT p_set.rhythm_tolerance AS tol, p_set.rhythm_min_late_days AS min_late, 1 - p_set.trend_drop_pct / 100 AS keep, p_set.satisfaction_drop AS sat_drop,
               (p_day - interval '1 year')::date AS year_ago OFFSET 0) k
  CROSS JOIN sales_supervisor.customer_rhythm_as_of(p_day, p_end, p_set) r
  CROSS JOIN LATERAL (
    SELECT coalesce(r.year_ago_last_on IS NOT NULL AND r.last_purchase_on > k.year_ago
                    AND k.year_ago - r.year_ago_last_on > greatest(k.tol * r.usual_gap, r.usual_gap + k.min_late),
                    false) AS quiet) q
$$;
COMMENT ON FUNCTION customer_risk_facts(date, timestamptz, customer_risk_setting) IS
'Phase 4 of customer_risk: the measures of each customer as of p_day (rows before p_end only) and which of the five risk facts hold: late (days since the last purchase > rhythm_tolerance x usual gap and > usual gap + rhythm_min_late_days, outside the quiet season: not when a year earlier on the same date the customer was as late and has bought within the year), falling (recent net sales more than trend_drop_pct below the same window a year earlier), visit_late (last done visit, or customer-since, + cadence before p_day), complaints (open past the deadline or resolved late in the window), unhappy (CSAT or NPS down by satisfaction_drop points or more). Runs with the caller''s row-level security.';
REVOKE ALL ON FUNCTION customer_risk_facts(date, timestamptz, customer_risk_setting) FROM PUBLIC;

-- Phase 5, the judgement: the score (the sum of the weights of the facts
-- that hold), at risk from flag_score on, and one reason in words per fact.
CREATE FUNCTION customer_risk_at(p_day date, p_end timestamptz)
RETURNS TABLE (customer_id integer, owner_id integer, team_id integer, tier text, as_of date,
               score numeric(5,2), at_risk boolean, reasons text[],
               last_purchase_on date, days_since_purchase integer, usual_gap integer, gap_basis text,
               quiet_season boolean, recent_sales numeric, year_ago_sales numeric, visit_due_on date,
               open_complaints integer, late_complaints integer,
               csat_recent numeric, csat_before numeric, nps_recent numeric, nps_before numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT f.customer_id, f.owner_id, f.team_id, f.tier, p_day, sc.score, sc.score >= s.flag_score,
         array_remove(ARRAY[
           CASE WHEN f.late THEN
             format('no purchase for %s days (last on %s); usual gap %s days (%s), late after %s days',
                    f.days_since_purchase, f.last_purchase_on, f.usual_gap,
                    CASE f.gap_basis WHEN 'own' THEN format('own rhythm over %s gaps', f.gaps)
                                     ELSE format('typical of the %s', f.gap_basis) END,
                    floor(greatest(s.rhythm_tolerance * f.usual_gap, f.usual_gap + s.rhythm_min_late_days))) END,
           CASE WHEN f.falling THEN
             format('net sales of the last %s days %s, down %s %% from %s a year earlier', s.trend_window_days,
                    f.recent_sales, round(100 * (1 - f.recent_sales / f.year_ago_sales)), f.year_ago_sales) END,
           CASE WHEN f.visit_late THEN
             format('return visit due on %s (tier %s: every %s days) not done', f.visit_due_on, f.tier, f.every_days) END,
           CASE WHEN f.complaints THEN
             concat_ws('; ',
               CASE WHEN f.open_complaints > 0 THEN format('%s complaint(s) open past the %s-day response deadline',
                                                           f.open_complaints, s.complaint_response_days) END,
               CASE WHEN f.late_complaints > 0 THEN format('%s complaint(s) resolved late in the last %s days',
                                                           f.late_complaints, s.complaint_window_days) END) END,
           CASE WHEN f.unhappy THEN
             format('satisfaction down over the last %s days: CSAT %s -> %s, NPS %s -> %s', s.survey_window_days,
                    coalesce(round(f.csat_before)::text, '-'), coalesce(round(f.csat_recent)::text, '-'),
                    coalesce(round(f.nps_before)::text, '-'), coalesce(round(f.nps_recent)::text, '-')) END],
           NULL),
         f.last_purchase_on, f.days_since_purchase, f.usual_gap, f.gap_basis, f.quiet_season,
         f.recent_sales, f.year_ago_sales, f.visit_due_on, f.open_complaints, f.late_complaints,
         f.csat_recent, f.csat_before, f.nps_recent, f.nps_before
  -- the settings once, as columns (a field of a composite is unpacked anew at each use)
  FROM (SELECT x.cfg, (x.cfg).* FROM (SELECT sales_supervisor.customer_risk_settings() AS cfg OFFSET 0) x OFFSET 0) s
  CROSS JOIN LATERAL sales_supervisor.customer_risk_facts(p_day, p_end, s.cfg) f
  CROSS JOIN LATERAL (
    SELECT (CASE WHEN f.late THEN s.weight_rhythm ELSE 0 END
            + CASE WHEN f.falling THEN s.weight_trend ELSE 0 END
            + CASE WHEN f.visit_late THEN s.weight_visit ELSE 0 END
            + CASE WHEN f.complaints THEN s.weight_complaint ELSE 0 END
            + CASE WHEN f.unhappy THEN s.weight_satisfaction ELSE 0 END)::numeric(5,2) AS score) sc
$$;
COMMENT ON FUNCTION customer_risk_at(date, timestamptz) IS
'Phase 5 of customer_risk: per customer as of p_day (rows before p_end only), the score (the sum of the weights of the risk facts that hold, 0..100), at_risk (score >= flag_score) and one reason in words per fact that holds, with the measures behind them. Runs with the caller''s row-level security.';
REVOKE ALL ON FUNCTION customer_risk_at(date, timestamptz) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- customer_risk(day): the public entry
-- ---------------------------------------------------------------------------

CREATE FUNCTION customer_risk(p_day date)
RETURNS TABLE (customer_id integer, owner_id integer, team_id integer, tier text, as_of date,
               score numeric(5,2), at_risk boolean, reasons text[],
               last_purchase_on date, days_since_purchase integer, usual_gap integer, gap_basis text,
               quiet_season boolean, recent_sales numeric, year_ago_sales numeric, visit_due_on date,
               open_complaints integer, late_complaints integer,
               csat_recent numeric, csat_before numeric, nps_recent numeric, nps_before numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF p_day IS NULL THEN
    RAISE EXCEPTION 'customer_risk day must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT isfinite(p_day) THEN
    RAISE EXCEPTION 'customer_risk day must be a finite date, got %', p_day USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- the day ends at the next midnight of the session's time zone (as the
  -- timestamps' ::date casts read it)
  RETURN QUERY SELECT r.* FROM customer_risk_at(p_day, (p_day + 1)::timestamptz) r;
END
$$;
COMMENT ON FUNCTION customer_risk(date) IS
'Customer risk as of p_day, for every customer the caller sees (row-level security applies) who was an active customer on that day: the score (0..100, the sum of the weights of customer_risk_setting of the facts that hold: purchase overdue against the customer''s rhythm outside their quiet season, net sales falling against a year earlier, return visit overdue, complaints open past the deadline or resolved late, satisfaction falling), at_risk (score >= flag_score), the reasons in words, and the measures behind them. Reads no row dated after p_day (sales by sold_on; visits, feedback, surveys by their timestamps before the next midnight of the session''s time zone), so a past day can be backtested. Errors: NULL day 22004, infinite day 22023.';
REVOKE ALL ON FUNCTION customer_risk(date) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Daily job: the at-risk customers
-- ---------------------------------------------------------------------------

-- Derived data the job rebuilds, like the overdue flags: no foreign keys.
CREATE TABLE customer_risk_flag (
  customer_id          integer PRIMARY KEY,
  owner_id             integer NOT NULL,
  team_id              integer NOT NULL,
  as_of                date NOT NULL,
  score                numeric(5,2) NOT NULL,
  reasons              text[] NOT NULL,
  days_since_purchase  integer,
  usual_gap            integer,
  flagged_on           date NOT NULL DEFAULT CURRENT_DATE
);
CREATE INDEX customer_risk_flag_owner_idx ON customer_risk_flag (owner_id);
CREATE INDEX customer_risk_flag_team_idx ON customer_risk_flag (team_id);
COMMENT ON TABLE customer_risk_flag IS
'Customers at risk (customer_risk score >= flag_score) as of the last run of the daily customer_risk job (flag_customer_risk): a flag appears when the customer reaches the score, its figures follow each run, and it disappears when the customer drops below (or becomes inactive). Read it through v_customer_risk.';
COMMENT ON COLUMN customer_risk_flag.customer_id IS 'Customer at risk.';
COMMENT ON COLUMN customer_risk_flag.owner_id IS 'Owning rep when last checked.';
COMMENT ON COLUMN customer_risk_flag.team_id IS 'Owning team when last checked.';
COMMENT ON COLUMN customer_risk_flag.as_of IS 'Day the risk was computed as of (the company''s today at the last run).';
COMMENT ON COLUMN customer_risk_flag.score IS 'Risk score 0..100 (see customer_risk_setting).';
COMMENT ON COLUMN customer_risk_flag.reasons IS 'The facts behind the score, in words, one per fact.';
COMMENT ON COLUMN customer_risk_flag.days_since_purchase IS 'Days since the last purchase (NULL: never bought).';
COMMENT ON COLUMN customer_risk_flag.usual_gap IS 'Usual gap between purchases in days (NULL: not judged, fewer than two purchase days).';
COMMENT ON COLUMN customer_risk_flag.flagged_on IS 'Day the job first flagged the customer in this spell of risk.';

CREATE PROCEDURE flag_customer_risk()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_day date := company_today();
  v_risk bigint;
  v_new bigint;
  v_changed bigint;
  v_cleared bigint;
BEGIN
  PERFORM job_progress(format('customer risk: step 1/2, scoring every customer as of %s', v_day));
  -- the company's day, ending at the company's midnight
  WITH cur AS MATERIALIZED (
         SELECT r.customer_id, r.owner_id, r.team_id, r.as_of, r.score, r.reasons, r.days_since_purchase, r.usual_gap
         FROM customer_risk_at(v_day, (v_day + 1)::timestamp AT TIME ZONE company_time_zone()) r
         WHERE r.at_risk),
       ins AS (
         INSERT INTO customer_risk_flag (customer_id, owner_id, team_id, as_of, score, reasons, days_since_purchase,
                                         usual_gap, flagged_on)
         SELECT cur.*, v_day FROM cur ON CONFLICT (customer_id) DO NOTHING RETURNING 1),
       upd AS (
         UPDATE customer_risk_flag f
         SET owner_id = cur.owner_id, team_id = cur.team_id, as_of = cur.as_of, score = cur.score,
             reasons = cur.reasons, days_since_purchase = cur.days_since_purchase, usual_gap = cur.usual_gap
         FROM cur
         WHERE f.customer_id = cur.customer_id
           AND (f.owner_id, f.team_id, f.as_of, f.score, f.reasons, f.days_since_purchase, f.usual_gap)
               IS DISTINCT FROM (cur.owner_id, cur.team_id, cur.as_of, cur.score, cur.reasons,
                                 cur.days_since_purchase, cur.usual_gap)
         RETURNING 1),
       del AS (
         DELETE FROM customer_risk_flag f
         WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.customer_id = f.customer_id) RETURNING 1)
  SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),
         (SELECT count(*) FROM del)
  INTO v_risk, v_new, v_changed, v_cleared;
  PERFORM job_progress(format('customer risk: step 2/2, %s customers at risk: %s newly flagged, %s flags changed, %s cleared',
                              v_risk, v_new, v_changed, v_cleared),
                       v_new + v_changed + v_cleared);
END
$$;
COMMENT ON PROCEDURE flag_customer_risk() IS
'Daily job customer_risk: makes customer_risk_flag equal to the customers at risk as of the company''s today (customer_risk_at with the day ending at the company''s midnight): new flags inserted with flagged_on today, changed ones updated (as_of and the days move every day), flags of customers no longer at risk deleted; rows affected = inserted + updated + deleted. Run it as the extension owner (row-level security of the caller would narrow the list).';
REVOKE ALL ON PROCEDURE flag_customer_risk() FROM PUBLIC;

INSERT INTO job_setting (job_name, schedule, command, description) VALUES
  ('customer_risk', '30 1 * * *', 'CALL sales_supervisor.flag_customer_risk()',
   'Daily: refresh customer_risk_flag, the customers at risk of drifting away (customer_risk as of today).');

-- ---------------------------------------------------------------------------
-- The Monday list: at-risk customers per rep and team
-- ---------------------------------------------------------------------------

-- Security invoker, unlike the BI views of 55_reports.sql: it shows customers,
-- so each reader sees the flags of the customers row-level security lets them
-- see (a rep their own, a supervisor the subtree's); names of reps and teams
-- out of the reader's sight are NULL rather than hiding the customer.
CREATE VIEW v_customer_risk WITH (security_invoker = true) AS
SELECT f.team_id, t.name AS team_name, f.owner_id, m.full_name AS owner_name,
       f.customer_id, c.name AS customer_name, c.tier, f.score, f.reasons,
       f.days_since_purchase, f.usual_gap, f.as_of, f.flagged_on
FROM customer_risk_flag f
JOIN customer c ON c.customer_id = f.customer_id
LEFT JOIN team t ON t.team_id = f.team_id
LEFT JOIN member m ON m.member_id = f.owner_id;
COMMENT ON VIEW v_customer_risk IS
'Customers at risk of drifting away, as of the last run of the daily customer_risk job, with their team, owning rep, score and reasons: the supervisor''s Monday list (ORDER BY team_name, score DESC). Security invoker: each reader sees the customers row-level security lets them see.';
COMMENT ON COLUMN v_customer_risk.team_id IS 'Owning team of the customer.';
COMMENT ON COLUMN v_customer_risk.team_name IS 'Team name.';
COMMENT ON COLUMN v_customer_risk.owner_id IS 'Owning rep.';
COMMENT ON COLUMN v_customer_risk.owner_name IS 'Rep''s full name (NULL when the reader may not see the member row).';
COMMENT ON COLUMN v_customer_risk.customer_id IS 'Customer at risk.';
COMMENT ON COLUMN v_customer_risk.customer_name IS 'Customer name.';
COMMENT ON COLUMN v_customer_risk.tier IS 'Customer tier.';
COMMENT ON COLUMN v_customer_risk.score IS 'Risk score 0..100: the sum of the weights of the facts that hold (customer_risk_setting).';
COMMENT ON COLUMN v_customer_risk.reasons IS 'The facts behind the score, in words.';
COMMENT ON COLUMN v_customer_risk.days_since_purchase IS 'Days since the last purchase (NULL: never bought).';
COMMENT ON COLUMN v_customer_risk.usual_gap IS 'Usual gap between purchases in days (NULL: not judged).';
COMMENT ON COLUMN v_customer_risk.as_of IS 'Day the risk was computed as of.';
COMMENT ON COLUMN v_customer_risk.flagged_on IS 'Day the customer was first flagged in this spell of risk.';

-- ---------------------------------------------------------------------------
-- Grants and row-level security, as in 30_security.sql
-- ---------------------------------------------------------------------------

-- The computation runs with the caller's rights, so every phase is granted
-- to the roles that see customers; what each call reads is their row scope.
GRANT EXECUTE ON FUNCTION customer_risk(date), customer_risk_at(date, timestamptz),
  customer_risk_facts(date, timestamptz, customer_risk_setting),
  customer_rhythm_as_of(date, timestamptz, customer_risk_setting),
  customer_contact_as_of(date, timestamptz, customer_risk_setting),
  customer_sales_as_of(date, integer), customer_risk_settings()
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

GRANT SELECT ON customer_risk_setting
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT INSERT, UPDATE, DELETE ON customer_risk_setting TO sales_supervisor_manager;
ALTER TABLE customer_risk_setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_risk_setting_read ON customer_risk_setting FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (true);
CREATE POLICY customer_risk_setting_manager_insert ON customer_risk_setting FOR INSERT
  TO sales_supervisor_manager
  WITH CHECK (true);
CREATE POLICY customer_risk_setting_manager_update ON customer_risk_setting FOR UPDATE
  TO sales_supervisor_manager
  USING (true) WITH CHECK (true);
CREATE POLICY customer_risk_setting_manager_delete ON customer_risk_setting FOR DELETE
  TO sales_supervisor_manager
  USING (true);

-- The flags are customer data: visible exactly when the customer is.
GRANT SELECT ON customer_risk_flag TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON v_customer_risk TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
ALTER TABLE customer_risk_flag ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_risk_flag_via_customer ON customer_risk_flag
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));

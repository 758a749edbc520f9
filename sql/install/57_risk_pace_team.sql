-- Layer 5, risk: pace to quota and team risk (issue 19, parts 2 and 3) -- the
-- sales-performance and team-management risks of ROLE.md, as of any date.
--
--   pace_team_setting  the knobs (one row, validated by a trigger: 22023/22004)
--   team_opening       open positions of a team (the smallest real notion of a
--                      vacancy: the model had none)
--   kpi_gate(curve)    the attainment below which a KPI curve gives no points
--   pace_share         share of a period's quota normally sold by a date
--                      (seasonal_distribution, uniform within a month)
--   pace_points_*      sales to date, weighted pipeline and quota per rep and
--                      team for a set of (period, as-of date) points, one scan
--                      of the lines of their dates
--   pace_compute       the projection, its band and the gate for one date
--   pace_to_quota()    the same, for the caller's scope (security definer)
--   team_risk_*        the five team-risk facts; team_risk() for supervisors,
--                      managers (their subtree) and HR
--   pace_snapshot, team_risk_flag, pace_backtest   written by the daily job
--                      risk_pace_team (flag_pace_and_team_risk)
--   v_pace_to_quota, v_team_risk, v_pace_backtest   BI views
-- Nothing here reads a row dated after the as-of date: sales by sold_on,
-- opportunities by created_on/closed_on, relief by recorded_at, training by
-- held_on, reviews of cycles closed by then.  See docs/risk.md.

-- ---------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------

CREATE TABLE pace_team_setting (
  singleton                boolean PRIMARY KEY DEFAULT true CONSTRAINT pace_team_setting_one_row CHECK (singleton),
  seasonal_name            text NOT NULL DEFAULT 'default',
  pipeline_weight          numeric NOT NULL DEFAULT 0.1,
  pending_probability_pct  numeric NOT NULL DEFAULT 50,
  band_periods             integer NOT NULL DEFAULT 6,
  band_z                   numeric NOT NULL DEFAULT 1.28,
  gate_attainment          numeric,
  below_gate_months        integer NOT NULL DEFAULT 3,
  no_training_months       integer NOT NULL DEFAULT 6,
  review_min_drop          numeric NOT NULL DEFAULT 0.25,
  dispersion_max           numeric NOT NULL DEFAULT 0.35
);
COMMENT ON TABLE pace_team_setting IS
'Settings of pace to quota and team risk (one row; every value checked by a trigger, 22023 naming the bad value, 22004 for NULL where a value is required). See docs/risk.md.';
COMMENT ON COLUMN pace_team_setting.singleton IS 'Always true: the table has one row.';
COMMENT ON COLUMN pace_team_setting.seasonal_name IS 'Name of the seasonal_distribution that says what share of a period''s quota is normally sold by a date (default: default); a fiscal year without it is paced uniformly by days.';
COMMENT ON COLUMN pace_team_setting.pipeline_weight IS 'Weight 0..1 of the weighted open pipeline against the seasonal run rate in the rest of the period (default 0.1, the lowest backtested WAPE without bias on the demo history): projected = sales to date + (1 - w) x run rate + w x pipeline.';
COMMENT ON COLUMN pace_team_setting.pending_probability_pct IS 'Probability 0..100 (default 50) an opportunity closed after the as-of date counts with: its probability on that date is not recorded, and its outcome is a later fact.';
COMMENT ON COLUMN pace_team_setting.band_periods IS 'Earlier periods of the same kind (2..60, default 6) whose projection errors, at the same day of the period, give the band.';
COMMENT ON COLUMN pace_team_setting.band_z IS 'Half-width of the band in standard deviations of those errors (0..5, default 1.28: about 80 % if normal).';
COMMENT ON COLUMN pace_team_setting.gate_attainment IS 'The gate as an attainment (0 < gate <= 10); NULL, the default: the gate of the sales KPI''s curve (kpi_gate of the KPI measuring sales_amount, for teams team_sales_amount), else 1.';
COMMENT ON COLUMN pace_team_setting.below_gate_months IS 'N: a member is a team risk after this many consecutive ended months below the gate (1..24, default 3).';
COMMENT ON COLUMN pace_team_setting.no_training_months IS 'M: a member is a team risk after this many months without attending a training (1..60, default 6).';
COMMENT ON COLUMN pace_team_setting.review_min_drop IS 'Least fall of the mean review score from one closed cycle to the next that counts as falling (>= 0, default 0.25 points of the rating scale).';
COMMENT ON COLUMN pace_team_setting.dispersion_max IS 'A team of three or more reps is a risk when the population standard deviation of their projected attainments exceeds this (0..10, default 0.35).';
INSERT INTO pace_team_setting DEFAULT VALUES;

-- pace_team_setting_check: the rules of the settings, with a message naming
-- the value (a CHECK constraint would say only its name).
CREATE FUNCTION pace_team_setting_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_bad text;
BEGIN
  IF num_nulls(NEW.seasonal_name, NEW.pipeline_weight, NEW.pending_probability_pct, NEW.band_periods,
               NEW.band_z, NEW.below_gate_months, NEW.no_training_months, NEW.review_min_drop,
               NEW.dispersion_max) > 0 THEN
    RAISE EXCEPTION 'pace_team_setting: only gate_attainment may be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave a setting out to keep its value.';
  END IF;
  v_bad := CASE
    WHEN btrim(NEW.seasonal_name) = '' THEN format('seasonal_name must not be blank, got %L', NEW.seasonal_name)
    WHEN NEW.pipeline_weight NOT BETWEEN 0 AND 1 THEN format('pipeline_weight must be within 0..1, got %s', NEW.pipeline_weight)
    WHEN NEW.pending_probability_pct NOT BETWEEN 0 AND 100
      THEN format('pending_probability_pct must be within 0..100, got %s', NEW.pending_probability_pct)
    WHEN NEW.band_periods NOT BETWEEN 2 AND 60 THEN format('band_periods must be within 2..60, got %s', NEW.band_periods)
    WHEN NEW.band_z NOT BETWEEN 0 AND 5 THEN format('band_z must be within 0..5, got %s', NEW.band_z)
    WHEN NEW.gate_attainment <= 0 OR NEW.gate_attainment > 10
      THEN format('gate_attainment must be > 0 and <= 10 (or NULL), got %s', NEW.gate_attainment)
    WHEN NEW.below_gate_months NOT BETWEEN 1 AND 24
      THEN format('below_gate_months must be within 1..24, got %s', NEW.below_gate_months)
    WHEN NEW.no_training_months NOT BETWEEN 1 AND 60
      THEN format('no_training_months must be within 1..60, got %s', NEW.no_training_months)
    WHEN NEW.review_min_drop < 0 THEN format('review_min_drop must be >= 0, got %s', NEW.review_min_drop)
    WHEN NEW.dispersion_max NOT BETWEEN 0 AND 10 THEN format('dispersion_max must be within 0..10, got %s', NEW.dispersion_max)
  END;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'pace_team_setting: %', v_bad
      USING ERRCODE = 'invalid_parameter_value', HINT = 'See the column comments of pace_team_setting.';
  END IF;
  -- pg_restore brings the dumped row to the one CREATE EXTENSION made: update it
  IF TG_OP = 'INSERT' AND is_restoring() THEN
    UPDATE pace_team_setting s
    SET seasonal_name = NEW.seasonal_name, pipeline_weight = NEW.pipeline_weight,
        pending_probability_pct = NEW.pending_probability_pct, band_periods = NEW.band_periods,
        band_z = NEW.band_z, gate_attainment = NEW.gate_attainment, below_gate_months = NEW.below_gate_months,
        no_training_months = NEW.no_training_months, review_min_drop = NEW.review_min_drop,
        dispersion_max = NEW.dispersion_max
    WHERE s.singleton = NEW.singleton;
    RETURN CASE WHEN FOUND THEN NULL ELSE NEW END;
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION pace_team_setting_check() IS
'Trigger on pace_team_setting: every setting within its range (22023 naming the setting and the value), none NULL but gate_attainment (22004); while pg_restore runs, the dumped row updates the one CREATE EXTENSION made.';
CREATE TRIGGER pace_team_setting_check BEFORE INSERT OR UPDATE ON pace_team_setting
  FOR EACH ROW EXECUTE FUNCTION pace_team_setting_check();

-- ---------------------------------------------------------------------------
-- Open positions
-- ---------------------------------------------------------------------------

-- An open position: a seat of a team that HR has opened (a leaver not yet
-- replaced, or growth) and not filled yet.  The model had members and quotas,
-- but no seat without a member, so a vacancy carried by the rest of the team
-- was invisible.
CREATE TABLE team_opening (
  opening_id   integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  team_id      integer NOT NULL REFERENCES team ON DELETE RESTRICT,
  level        member_level NOT NULL DEFAULT 'sales_rep',
  opened_on    date NOT NULL,
  filled_on    date,
  reason       text NOT NULL CHECK (btrim(reason) <> ''),
  CONSTRAINT team_opening_filled_after_opened CHECK (filled_on >= opened_on)
);
CREATE INDEX team_opening_team_idx ON team_opening (team_id);
COMMENT ON TABLE team_opening IS
'Open positions: a seat of a team opened on a date (a leaver not yet replaced, or growth) and filled on a later date (NULL while open). Open on a date d when opened_on <= d and (filled_on is NULL or filled_on > d). Written by HR; read by team_risk.';
COMMENT ON COLUMN team_opening.opening_id IS 'Opening identifier.';
COMMENT ON COLUMN team_opening.team_id IS 'Team the seat belongs to.';
COMMENT ON COLUMN team_opening.level IS 'Career level of the seat (default sales_rep).';
COMMENT ON COLUMN team_opening.opened_on IS 'Date the seat became open.';
COMMENT ON COLUMN team_opening.filled_on IS 'Date the seat was filled (on or after opened_on); NULL while open.';
COMMENT ON COLUMN team_opening.reason IS 'Why the seat is open (leaver replaced, new seat, ...).';

-- ---------------------------------------------------------------------------
-- The gate and the seasonal share
-- ---------------------------------------------------------------------------

-- pace_require_settings: pace and team risk read pace_team_setting's one
-- row (the install writes it); without it they would return nothing, so
-- every entry point refuses instead, saying how to restore it.
CREATE FUNCTION pace_require_settings()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pace_team_setting) THEN
    RAISE EXCEPTION 'pace_team_setting has no row: pace to quota and team risk have no settings'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO sales_supervisor.pace_team_setting DEFAULT VALUES (as the owner) restores the defaults.';
  END IF;
END
$fn$;
COMMENT ON FUNCTION pace_require_settings() IS
'Internal: refuses (55000) when pace_team_setting has no row, which pace_to_quota, team_risk and the risk_pace_team job need.';
REVOKE ALL ON FUNCTION pace_require_settings() FROM PUBLIC;

-- kpi_gate: where a curve starts to give points.  linear: the x of the last
-- point before the first point with y > 0 (points are interpolated, so any
-- attainment above it scores); step: the x of the first point with y > 0
-- (below the first x a step curve gives 0).  A curve whose first y is already
-- > 0 (linear) has no gate: 0.  A curve that never gives points: NULL.
CREATE FUNCTION kpi_gate(curve score_curve)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH pts AS (
    SELECT p.i, m[1]::float8::numeric AS x, m[2]::float8 AS y
    FROM regexp_matches(curve::text, '\(([^,()]+),([^,()]+)\)', 'g') WITH ORDINALITY AS p(m, i)),
  first_pos AS (SELECT min(i) AS i FROM pts WHERE y > 0)
  SELECT CASE WHEN (SELECT i FROM first_pos) IS NULL THEN NULL
              WHEN starts_with(curve::text, 'step') THEN (SELECT x FROM pts WHERE i = (SELECT i FROM first_pos))
              WHEN (SELECT i FROM first_pos) = 1 THEN 0
              ELSE (SELECT x FROM pts WHERE i = (SELECT i FROM first_pos) - 1) END
$$;
COMMENT ON FUNCTION kpi_gate(score_curve) IS
'The gate of a KPI curve: the attainment below which it gives no points (linear: the x of the last point before the first with y > 0; step: the x of the first point with y > 0); 0 when a linear curve scores from its first point, NULL when it never scores.';
GRANT EXECUTE ON FUNCTION kpi_gate(score_curve) TO PUBLIC;

-- pace_gate: the gate of the pace (teams: team_sales_amount's curve, else the reps').
CREATE FUNCTION pace_gate(p_team boolean)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce((SELECT s.gate_attainment FROM pace_team_setting s),
                  CASE WHEN p_team THEN (SELECT kpi_gate(d.curve) FROM kpi_definition d
                                         WHERE d.metric = 'team_sales_amount' ORDER BY d.kpi_id LIMIT 1) END,
                  (SELECT kpi_gate(d.curve) FROM kpi_definition d WHERE d.metric = 'sales_amount'
                   ORDER BY d.kpi_id LIMIT 1),
                  1)
$$;
COMMENT ON FUNCTION pace_gate(boolean) IS
'Internal: the gate of the pace as an attainment: pace_team_setting.gate_attainment, else kpi_gate of the first KPI measuring team_sales_amount (teams) or sales_amount, else 1.';
REVOKE ALL ON FUNCTION pace_gate(boolean) FROM PUBLIC;

-- pace_share: what share of a period's quota is normally sold by a date.
-- The period's months (fiscal_period of kind month within its dates) weigh
-- their seasonal share_pct (pace_team_setting.seasonal_name, the month's
-- fiscal year); within a month the share accrues uniformly by day (the
-- distribution says nothing finer), so a day counts 1 / days of its month.
-- A period without months or without the distribution: uniform by days.
CREATE FUNCTION pace_share(p_period integer, p_as_of date)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH p AS (SELECT fp.start_on, fp.end_on FROM fiscal_period fp WHERE fp.period_id = p_period),
  mon AS (
    SELECT sd.share_pct AS w,
           least(greatest((p_as_of - pm.start_on + 1)::numeric / (pm.end_on - pm.start_on + 1), 0), 1) AS done
    FROM p JOIN fiscal_period pm ON pm.kind = 'month' AND pm.start_on >= p.start_on AND pm.end_on <= p.end_on
    JOIN seasonal_distribution sd ON sd.name = (SELECT s.seasonal_name FROM pace_team_setting s)
                                  AND sd.fiscal_year = pm.fiscal_year AND sd.month = pm.month)
  SELECT coalesce((SELECT round(sum(w * done) / nullif(sum(w), 0), 12) FROM mon),
                  (SELECT least(greatest((p_as_of - p.start_on + 1)::numeric / (p.end_on - p.start_on + 1), 0), 1)
                   FROM p))
$$;
COMMENT ON FUNCTION pace_share(integer, date) IS
'Internal: share (0..1, 12 decimals) of the period''s quota normally sold by the end of the date: the seasonal shares of its months (pace_team_setting.seasonal_name), each accruing uniformly over the days of its month, over their sum; uniform by days without them.';
REVOKE ALL ON FUNCTION pace_share(integer, date) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- The figures of a set of points (period, as-of date), point k = k-th array element
-- ---------------------------------------------------------------------------

-- pace_line_scan (C, src/pace_lines.c): the one pass over the lines of
-- pace_points_sales.  Per line, the point of its day (point_of_day), and its
-- amount added to the credited sum of (rep, point, on or before the point's
-- as-of date, the day for a rep in moved) -- a split line's (its sale in
-- credits, sale_credit's rows packed by pace_credit_rows) split there in
-- exact cents among its credited reps, as credited_sales splits it.  A
-- GROUP BY of those four computed keys, a hash join with sale_credit, the
-- allocate_quota window and a second GROUP BY cost 8 x one scan of the
-- lines, the last three still 1 s at 10 M lines after the pass was in C
-- (bench/pace_to_quota.sh).
CREATE TYPE pace_line_row AS (
  member_id  integer,
  k          integer,
  in_date    boolean,
  day        date,
  amount     numeric
);
COMMENT ON TYPE pace_line_row IS
'One row of pace_line_scan(): the credited sum of a rep, point k and in_date (day NULL unless the rep is in moved).';

-- pace_credit_rows (C): the rows of sale_credit packed for pace_line_scan
-- (16 bytes each, sorted by sale and rep); three array_agg()s of 600 000
-- rows, the numerics above all, cost a third of pace to quota.
CREATE FUNCTION pace_credit_trans(internal, bigint, integer, numeric)
RETURNS internal
AS 'MODULE_PATHNAME', 'pace_credit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pace_credit_trans(internal, bigint, integer, numeric) IS
'Transition function of pace_credit_rows(): one credit row appended (a NULL argument 22004; a share outside (0, 100] or with more than two decimals 22023).';

CREATE FUNCTION pace_credit_final(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'pace_credit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pace_credit_final(internal) IS
'Final function of pace_credit_rows(): the rows sorted by sale and rep (in place) and packed into one bytea; empty without a row; a rep twice on a sale 22023.';

CREATE AGGREGATE pace_credit_rows(sale_id bigint, member_id integer, share numeric) (
    SFUNC = pace_credit_trans,
    STYPE = internal,
    FINALFUNC = pace_credit_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE pace_credit_rows(bigint, integer, numeric) IS
'Credit rows (sale_credit''s sale_id, member_id, share_pct) packed for pace_line_scan: 16 bytes a row (sale, rep, share in hundredths of a percent, in this server''s byte order), sorted by sale and rep; an empty bytea without a row. NULL arguments 22004; a share outside (0, 100] or with more than two decimals, or a rep twice on a sale, 22023. Parallel safe; no combine function.';

CREATE FUNCTION pace_line_trans(internal, bigint, integer, date, numeric, date, integer[], date[], integer[], bytea)
RETURNS internal
AS 'MODULE_PATHNAME', 'pace_line_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pace_line_trans(internal, bigint, integer, date, numeric, date, integer[], date[], integer[], bytea) IS
'Transition function of pace_line_scan(): one line into its credited sums -- a split line (its sale in credits) split among its reps in exact cents (lines with a NULL member, day or amount, or a day without a point, not read; an infinite day 22023; NULL lo, arrays or credits 22004; a point_of_day element beyond as_of, a multi-dimensional array, credits that are not pace_credit_rows() output, a split amount not in whole cents, or arguments changing between lines 22023).';

CREATE FUNCTION pace_line_final(internal) RETURNS pace_line_row[]
AS 'MODULE_PATHNAME', 'pace_line_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pace_line_final(internal) IS
'Final function of pace_line_scan(): the credited sums as pace_line_row; NULL without a line read.';

CREATE AGGREGATE pace_line_scan(sale_id bigint, member_id integer, sold_on date, amount numeric, lo date,
                                point_of_day integer[], as_of date[], moved integer[], credits bytea) (
    SFUNC = pace_line_trans,
    STYPE = internal,
    FINALFUNC = pace_line_final,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE pace_line_scan(bigint, integer, date, numeric, date, integer[], date[], integer[], bytea) IS
'The pass over the sales lines of pace to quota, in C, without GROUP BY: a line of day d belongs to point k = point_of_day[d - lo + 1] (none: not read); per (member_id, k, in_date = d <= as_of[k], day = d for a member in moved else NULL) the credited sum, as credited_sales credits: a line whose sale_id has rows in credits (pace_credit_rows() of sale_credit) is split among those reps by sign(amount) x allocate_quota(|amount|, share, 0.01) in rep order -- largest remainder, ties to the larger share, then the lower rep -- and its booked rep keeps a sum of 0 for it; any other line counts whole for member_id. An array of pace_line_row. Lines with a NULL member, day or amount are skipped. lo, the arrays and credits must be the same on every line (22023; pass constants), not NULL (22004), the arrays one-dimensional, point_of_day within as_of, credits pace_credit_rows() output, split amounts in whole cents (22023). Parallel safe; no combine function.';

-- shard_pace_points_sales: pace_points_sales on a coordinator, from the
-- shards' credited sales per rep and day (shard_credited_daily_rows: each
-- shard groups its lines, at most reps x days rows per shard come back) for
-- the dates of the points: each day summed into its point (the periods must
-- not overlap), to date when on or before the point's as-of date, for the
-- team the rep was in that day.  A day's sum is exact: the same totals as
-- the single server's pass over the lines.  Parallel restricted (the
-- shards' reads belong to the leader).
CREATE FUNCTION shard_pace_points_sales(p_period integer[], p_as_of date[], p_through date)
RETURNS TABLE (k integer, member_id integer, team_id integer, to_date numeric, total numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_lo date := (SELECT min(fp.start_on) FROM fiscal_period fp WHERE fp.period_id = ANY (p_period));
  v_hi date := least((SELECT max(fp.end_on) FROM fiscal_period fp WHERE fp.period_id = ANY (p_period)), p_through);
BEGIN
  IF v_lo IS NULL OR v_hi IS NULL OR v_lo > v_hi THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT u.k::integer, d.member_id, t.team_id,
         coalesce(sum(d.credited_amount) FILTER (WHERE d.sold_on <= u.as_of), 0), sum(d.credited_amount)
  FROM shard_credited_daily_rows(v_lo, v_hi) d
  JOIN (unnest(p_period, p_as_of) WITH ORDINALITY AS u(period_id, as_of, k)
        JOIN fiscal_period fp ON fp.period_id = u.period_id) ON d.sold_on BETWEEN fp.start_on AND fp.end_on
  JOIN member_team_days() t ON t.member_id = d.member_id AND t.days @> d.sold_on
  GROUP BY 1, 2, 3;
END
$$;
COMMENT ON FUNCTION shard_pace_points_sales(integer[], date[], date) IS
'Internal: pace_points_sales on a coordinator: per point k (the k-th period and as-of date; the periods must not overlap), rep and the team the rep was in on the sale date, the credited sales from the period''s start through the as-of date and through the period''s end or p_through if earlier, summed from the shards'' credited sales per rep and day (shard_credited_daily_rows, grouped on each shard). Every shard checked first. Parallel restricted.';
REVOKE ALL ON FUNCTION shard_pace_points_sales(integer[], date[], date) FROM PUBLIC;

-- pace_points_sales: per point, rep and team in force on the sale date, the
-- credit to date and over the period through p_through, as credited_sales
-- credits it (splits in exact cents, refunds negative), in one pass over
-- the lines (pace_line_scan): each line summed straight into (rep, point, to
-- date or not) -- a line's point looked up by its day in an array (the
-- points' periods must not overlap) -- and a split line split among its
-- credited reps there, from the rows of sale_credit packed once
-- (pace_credit_rows).
-- Only for the reps whose team changed (more than one assignment) is the
-- day kept, to find the team of each line; for the others any day of the
-- point finds their one team.  On a coordinator (one shards_registered
-- check per call) the shards' lines instead (shard_pace_points_sales):
-- parallel restricted for that reason, as are its callers.
CREATE FUNCTION pace_points_sales(p_period integer[], p_as_of date[], p_through date)
RETURNS TABLE (k integer, member_id integer, team_id integer, to_date numeric, total numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
-- the planner takes the unnest of pace_line_scan's array for 10 rows and
-- would scan member_team_days() once per credited sum: hash joins instead
SET enable_nestloop = off
AS $$
#variable_conflict use_column
DECLARE
  v_lo date := (SELECT min(fp.start_on) FROM fiscal_period fp WHERE fp.period_id = ANY (p_period));
  v_hi date := least((SELECT max(fp.end_on) FROM fiscal_period fp WHERE fp.period_id = ANY (p_period)), p_through);
  v_k integer[];     -- v_k[day - v_lo + 1]: the point holding the day, NULL for none
  v_moved integer[] := (SELECT coalesce(array_agg(a.member_id), '{}')
                        FROM (SELECT ma.member_id FROM member_assignment ma GROUP BY 1 HAVING count(*) > 1) a);
  v_credits bytea := (SELECT pace_credit_rows(sc.sale_id, sc.member_id, sc.share_pct) FROM sale_credit sc);
BEGIN
  IF sales_supervisor.shards_registered() THEN   -- a coordinator: the shards' lines, grouped per rep and day there
    RETURN QUERY SELECT * FROM sales_supervisor.shard_pace_points_sales(p_period, p_as_of, p_through);
    RETURN;
  END IF;
  SELECT array_agg(x.k ORDER BY x.day) INTO v_k
  FROM (SELECT d::date AS day, min(u.k) AS k
        FROM generate_series(v_lo, v_hi, interval '1 day') d
        LEFT JOIN (unnest(p_period, p_as_of) WITH ORDINALITY AS u(period_id, as_of, k)
                   JOIN fiscal_period fp ON fp.period_id = u.period_id) ON d::date BETWEEN fp.start_on AND fp.end_on
        GROUP BY 1) x;
  RETURN QUERY
  SELECT c.k, c.member_id, t.team_id, coalesce(sum(c.amount) FILTER (WHERE c.in_date), 0), sum(c.amount)
  FROM unnest((SELECT pace_line_scan(s.sale_id, s.member_id, s.sold_on, s.amount, v_lo, v_k, p_as_of, v_moved,
                                     v_credits)
               FROM sale s WHERE s.sold_on >= v_lo AND s.sold_on <= v_hi)) c
  JOIN member_team_days() t ON t.member_id = c.member_id AND t.days @> coalesce(c.day, p_as_of[c.k])
  GROUP BY 1, 2, 3;
END
$$;
COMMENT ON FUNCTION pace_points_sales(integer[], date[], date) IS
'Internal: per point k (the k-th period and as-of date; the periods must not overlap), rep and the team the rep was in on the sale date: credited sales (as credited_sales credits them) from the period''s start through the as-of date, and through the period''s end or p_through if earlier. One pass over the lines of those dates (pace_line_scan), the split lines split among their credited reps in it; on a coordinator the shards'' lines (shard_pace_points_sales). Parallel restricted.';
REVOKE ALL ON FUNCTION pace_points_sales(integer[], date[], date) FROM PUBLIC;

-- pace_points_pipeline: per point and rep (with the rep's team on the as-of
-- date), the opportunities open on the as-of date (created by then, not
-- closed by then) expected to close by the period's end, weighted by
-- probability -- for a deal closed later, p_pending (its probability on the
-- date is not kept, and its outcome is a later fact).  None on or after the
-- period's last day.
CREATE FUNCTION pace_points_pipeline(p_period integer[], p_as_of date[], p_pending numeric)
RETURNS TABLE (k integer, member_id integer, team_id integer, weighted numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT u.k::integer, o.member_id, t.team_id,
         sum(o.amount * CASE WHEN o.closed_on IS NULL THEN o.probability ELSE p_pending END / 100)
  FROM unnest(p_period, p_as_of) WITH ORDINALITY AS u(period_id, as_of, k)
  JOIN fiscal_period fp ON fp.period_id = u.period_id
  JOIN opportunity o ON o.created_on <= u.as_of AND (o.closed_on IS NULL OR o.closed_on > u.as_of)
                    AND o.expected_close <= fp.end_on
  JOIN member_team_days() t ON t.member_id = o.member_id AND t.days @> u.as_of
  WHERE u.as_of < fp.end_on
  GROUP BY 1, 2, 3
$$;
COMMENT ON FUNCTION pace_points_pipeline(integer[], date[], numeric) IS
'Internal: per point k, rep and the rep''s team on the as-of date: sum of amount x probability / 100 of the opportunities open on the as-of date (created_on <= date < closed_on) expected to close by the period''s end; a deal closed after the date counts with p_pending percent. Empty from the period''s last day.';
REVOKE ALL ON FUNCTION pace_points_pipeline(integer[], date[], numeric) FROM PUBLIC;

-- pace_points_quota: per point, every rep and team quota of the period --
-- its own quota row, else the sum of the month quotas within its dates (a
-- quarter has none of its own) -- and for reps the relief recorded by the
-- as-of date (quota_relief_for's rule: a relief of a period within the dates).
CREATE FUNCTION pace_points_quota(p_period integer[], p_as_of date[])
RETURNS TABLE (k integer, member_id integer, team_id integer, quota numeric, credit numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH pts AS MATERIALIZED (
    SELECT u.k::integer AS k, u.period_id, u.as_of, fp.start_on, fp.end_on
    FROM unnest(p_period, p_as_of) WITH ORDINALITY AS u(period_id, as_of, k)
    JOIN fiscal_period fp ON fp.period_id = u.period_id),
  q AS (
    SELECT DISTINCT ON (p.k, q.member_id, q.team_id) p.k, p.as_of, p.start_on, p.end_on, q.member_id, q.team_id,
           sum(q.amount) AS amount
    FROM pts p
    JOIN fiscal_period pm ON pm.period_id = p.period_id
                          OR (pm.kind = 'month' AND pm.start_on >= p.start_on AND pm.end_on <= p.end_on)
    JOIN quota q ON q.period_id = pm.period_id
    GROUP BY p.k, p.as_of, p.start_on, p.end_on, q.member_id, q.team_id, pm.period_id = p.period_id
    ORDER BY p.k, q.member_id, q.team_id, pm.period_id = p.period_id DESC)
  SELECT q.k, q.member_id, q.team_id, q.amount - coalesce(r.reduction, 0), coalesce(r.credit, 0)
  FROM q
  LEFT JOIN LATERAL (
    SELECT sum(rl.amount) FILTER (WHERE rl.kind = 'reduction') AS reduction,
           sum(rl.amount) FILTER (WHERE rl.kind = 'credit') AS credit
    FROM quota_relief rl JOIN fiscal_period pr ON pr.period_id = rl.period_id
    WHERE rl.member_id = q.member_id AND pr.start_on >= q.start_on AND pr.end_on <= q.end_on
      AND rl.recorded_at::date <= q.as_of) r ON q.member_id IS NOT NULL
$$;
COMMENT ON FUNCTION pace_points_quota(integer[], date[]) IS
'Internal: per point k, every rep and team quota of the period (its own quota row, else the sum of the month quotas within its dates), for reps net of the reductions, with the credits, of the quota relief recorded by the as-of date for periods within its dates.';
REVOKE ALL ON FUNCTION pace_points_quota(integer[], date[]) FROM PUBLIC;

-- pace_team_closure: every team with every team of its subtree (itself included).
CREATE FUNCTION pace_team_closure()
RETURNS TABLE (team_id integer, sub_team_id integer)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH RECURSIVE c(team_id, sub_team_id, depth) AS (
    SELECT t.team_id, t.team_id, 0 FROM team t
    UNION ALL
    SELECT c.team_id, t.team_id, c.depth + 1 FROM c JOIN team t ON t.parent_id = c.sub_team_id
    WHERE c.depth < 1000)
  SELECT c.team_id, c.sub_team_id FROM c
$$;
COMMENT ON FUNCTION pace_team_closure() IS 'Internal: every team paired with each team of its subtree, itself included.';
REVOKE ALL ON FUNCTION pace_team_closure() FROM PUBLIC;

-- pace_points: per point, every rep and team with a quota in the period:
-- sales to date and over the period (a team: its subtree's reps, each line
-- for the team the rep was in on the sale date), weighted pipeline (a team:
-- its reps of the as-of date), the seasonal share and the projection
--   projected = to date + 0                                 from the last day
--             = to date + (1 - w) x to date x (1 - s) / s + w x pipeline   (s > 0)
--             = to date + pipeline                          (s = 0)
-- with s = pace_share, w = pace_team_setting.pipeline_weight.
CREATE FUNCTION pace_points(p_period integer[], p_as_of date[], p_through date)
RETURNS TABLE (k integer, period_id integer, as_of date, end_on date, member_id integer, team_id integer,
               quota numeric, sales_to_date numeric, sales_total numeric, pipeline numeric,
               share numeric, projected numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH s AS MATERIALIZED (SELECT * FROM pace_points_sales(p_period, p_as_of, p_through)),
  o AS MATERIALIZED (
    SELECT * FROM pace_points_pipeline(p_period, p_as_of, (SELECT st.pending_probability_pct FROM pace_team_setting st))),
  tree AS MATERIALIZED (SELECT * FROM pace_team_closure()),
  subj AS (
    SELECT s.k, s.member_id, -1 AS team_id, s.to_date, s.total, 0 AS pipe FROM s
    UNION ALL SELECT o.k, o.member_id, -1, 0, 0, o.weighted FROM o
    UNION ALL SELECT s.k, -1, tr.team_id, s.to_date, s.total, 0 FROM s JOIN tree tr ON tr.sub_team_id = s.team_id
    UNION ALL SELECT o.k, -1, tr.team_id, 0, 0, o.weighted FROM o JOIN tree tr ON tr.sub_team_id = o.team_id),
  agg AS (SELECT x.k, x.member_id, x.team_id, sum(x.to_date) AS to_date, sum(x.total) AS total,
                 sum(x.pipe) AS pipe
          FROM subj x GROUP BY 1, 2, 3),
  pts AS MATERIALIZED (SELECT u.k::integer AS k, u.period_id, u.as_of, fp.end_on, pace_share(u.period_id, u.as_of) AS share
          FROM unnest(p_period, p_as_of) WITH ORDINALITY AS u(period_id, as_of, k)
          JOIN fiscal_period fp ON fp.period_id = u.period_id),
  f AS (
    SELECT p.k, p.period_id, p.as_of, p.end_on, q.member_id, q.team_id, q.quota,
           coalesce(a.to_date, 0) + q.credit AS to_date, coalesce(a.total, 0) + q.credit AS total,
           coalesce(a.pipe, 0) AS pipe, p.share
    FROM pace_points_quota(p_period, p_as_of) q
    JOIN pts p ON p.k = q.k
    LEFT JOIN agg a ON a.k = q.k AND a.member_id = coalesce(q.member_id, -1) AND a.team_id = coalesce(q.team_id, -1))
  SELECT f.k, f.period_id, f.as_of, f.end_on, f.member_id, f.team_id, f.quota, f.to_date, f.total,
         round(f.pipe, 2), f.share,
         round(f.to_date + CASE WHEN f.as_of >= f.end_on THEN 0
                                WHEN f.share > 0 THEN (1 - w.w) * f.to_date * (1 - f.share) / f.share + w.w * f.pipe
                                ELSE f.pipe END, 2)
  FROM f CROSS JOIN (SELECT st.pipeline_weight AS w FROM pace_team_setting st) w
$$;
COMMENT ON FUNCTION pace_points(integer[], date[], date) IS
'Internal: per point k (period and as-of date) and rep or team with a quota in the period: sales to date and through the period''s end (or p_through), weighted open pipeline, seasonal share and the projected sales at the period''s end = to date + (1 - w) x to date x (1 - share) / share + w x pipeline (w = pipeline_weight; pipeline alone while the share is 0; nothing from the last day on).';
REVOKE ALL ON FUNCTION pace_points(integer[], date[], date) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Pace to quota as of a date
-- ---------------------------------------------------------------------------

-- pace_compute: the period of the kind holding the date, and the
-- band_periods periods of that kind before it, each at the same day of the
-- period (or its last day), in one pace_points call (one scan of the lines
-- from the first of them through the date).  Band: projected attainment
-- -/+ band_z x the sample standard deviation of the subject's errors
-- (projected - actual attainment) in those earlier periods, from 3 of them.
-- No rows when no period of the kind holds the date.
CREATE FUNCTION pace_compute(p_as_of date, p_kind period_kind)
RETURNS TABLE (subject text, period_id integer, as_of date, week_of_period integer, member_id integer,
               team_id integer, quota numeric, sales_to_date numeric, seasonal_share numeric,
               pace_amount numeric, pipeline numeric, projected numeric, projected_attainment numeric,
               band_low numeric, band_high numeric, gate numeric, below_gate boolean)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH cur AS MATERIALIZED (
    SELECT fp.period_id, fp.start_on, fp.end_on FROM fiscal_period fp
    WHERE fp.kind = p_kind AND p_as_of BETWEEN fp.start_on AND fp.end_on),
  hist AS MATERIALIZED (
    SELECT h.period_id, least(h.start_on + (p_as_of - c.start_on), h.end_on) AS as_of
    FROM cur c CROSS JOIN LATERAL (
      SELECT fp.period_id, fp.start_on, fp.end_on FROM fiscal_period fp
      WHERE fp.kind = p_kind AND fp.end_on < c.start_on
      ORDER BY fp.start_on DESC LIMIT (SELECT st.band_periods FROM pace_team_setting st)) h),
  pp AS MATERIALIZED (
    SELECT * FROM pace_points((SELECT array_agg(c.period_id) FROM cur c) || (SELECT array_agg(h.period_id) FROM hist h),
                              ARRAY[p_as_of] || (SELECT array_agg(h.as_of) FROM hist h), p_as_of)
    WHERE EXISTS (SELECT 1 FROM cur)),
  err AS (
    SELECT x.member_id, x.team_id, stddev_samp(x.projected / x.quota - x.sales_total / x.quota) AS sd
    FROM pp x WHERE x.k > 1 AND x.quota > 0
    GROUP BY 1, 2 HAVING count(*) >= 3),
  z AS MATERIALIZED (SELECT st.band_z, pace_gate(false) AS rep_gate, pace_gate(true) AS team_gate FROM pace_team_setting st),
  td AS MATERIALIZED (SELECT t.member_id, t.team_id FROM member_team_days() t WHERE t.days @> p_as_of)
  SELECT CASE WHEN p.member_id IS NULL THEN 'team' ELSE 'rep' END, p.period_id, p.as_of,
         (p.as_of - c.start_on) / 7 + 1, p.member_id, coalesce(p.team_id, td.team_id),
         p.quota, p.sales_to_date, round(p.share, 6), round(p.quota * p.share, 2), p.pipeline, p.projected,
         round(p.projected / nullif(p.quota, 0), 6),
         round(p.projected / nullif(p.quota, 0) - z.band_z * e.sd, 6),
         round(p.projected / nullif(p.quota, 0) + z.band_z * e.sd, 6),
         g.gate,
         p.as_of < p.end_on AND p.quota > 0 AND p.projected / p.quota < g.gate
  FROM pp p
  CROSS JOIN cur c CROSS JOIN z
  CROSS JOIN LATERAL (SELECT CASE WHEN p.member_id IS NULL THEN z.team_gate ELSE z.rep_gate END AS gate) g
  LEFT JOIN td ON td.member_id = p.member_id
  LEFT JOIN err e ON coalesce(e.member_id, -1) = coalesce(p.member_id, -1) AND coalesce(e.team_id, -1) = coalesce(p.team_id, -1)
  WHERE p.k = 1
$$;
COMMENT ON FUNCTION pace_compute(date, period_kind) IS
'Internal: pace to quota of every rep and team with a quota in the period of the kind holding the date (pace_points), with the band from the errors of the same projection at the same day of the band_periods earlier periods, the gate (pace_gate) and below_gate (projected attainment < gate before the period''s last day). No rows when no period of the kind holds the date.';
REVOKE ALL ON FUNCTION pace_compute(date, period_kind) FROM PUBLIC;

-- pace_reason: the facts behind a pace row, in words.
CREATE FUNCTION pace_reason(p_projected_attainment numeric, p_gate numeric, p_sales numeric, p_share numeric,
                            p_pipeline numeric, p_below boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT format('projected %s of quota at period end (sales to date %s, %s %% of the quota normally sold by now, weighted open pipeline %s)%s',
                coalesce(round(p_projected_attainment, 2)::text, 'n/a'), p_sales, round(100 * p_share, 1),
                p_pipeline,
                CASE WHEN p_below THEN format(', below the gate %s', round(p_gate, 2)) ELSE '' END)
$$;
COMMENT ON FUNCTION pace_reason(numeric, numeric, numeric, numeric, numeric, boolean) IS
'Internal: the reason text of a pace row: projected attainment, sales to date, seasonal share, weighted pipeline and, when below, the gate.';
REVOKE ALL ON FUNCTION pace_reason(numeric, numeric, numeric, numeric, numeric, boolean) FROM PUBLIC;

-- pace_sees_all: whether a login sees every row (HR, the extension owner, a superuser).
CREATE FUNCTION pace_sees_all(login name)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = login), false)
      OR pg_has_role(login, (SELECT e.extowner FROM pg_extension e WHERE e.extname = 'sales_supervisor'), 'MEMBER')
      OR pg_has_role(login, 'sales_supervisor_hr', 'MEMBER')
$$;
COMMENT ON FUNCTION pace_sees_all(name) IS
'Internal: true when login sees every pace and team-risk row: a superuser, a member of the extension owner, or of sales_supervisor_hr.';
REVOKE ALL ON FUNCTION pace_sees_all(name) FROM PUBLIC;

CREATE FUNCTION pace_to_quota(on_date date, period_kind period_kind DEFAULT 'month', login name DEFAULT current_user)
RETURNS TABLE (subject text, period_id integer, as_of date, week_of_period integer, member_id integer,
               team_id integer, quota numeric, sales_to_date numeric, seasonal_share numeric,
               pace_amount numeric, pipeline numeric, projected numeric, projected_attainment numeric,
               band_low numeric, band_high numeric, gate numeric, below_gate boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_me integer := require_role(login, ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor',
                                            'sales_supervisor_manager', 'sales_supervisor_hr'], 'read pace to quota');
  v_all boolean := pace_sees_all(login);
  v_rep boolean := NOT v_all AND NOT pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER')
                   AND NOT pg_has_role(login, 'sales_supervisor_manager', 'MEMBER');
  v_members integer[] := CASE WHEN NOT v_all THEN visible_member_ids(login) END;
  v_teams integer[] := CASE WHEN NOT v_all THEN led_team_ids(login) END;
BEGIN
  IF pace_to_quota.on_date IS NULL OR pace_to_quota.period_kind IS NULL THEN
    RAISE EXCEPTION 'pace_to_quota needs a date and a period kind'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'For example pace_to_quota(date ''2025-06-15'', ''month'').';
  END IF;
  PERFORM pace_require_settings();
  IF NOT EXISTS (SELECT 1 FROM fiscal_period fp WHERE fp.kind = pace_to_quota.period_kind
                 AND pace_to_quota.on_date BETWEEN fp.start_on AND fp.end_on) THEN
    RAISE EXCEPTION 'no fiscal period of kind % holds %', pace_to_quota.period_kind, pace_to_quota.on_date
      USING ERRCODE = 'no_data_found', HINT = 'Add the period to fiscal_period.';
  END IF;
  RETURN QUERY
  SELECT c.*, pace_reason(c.projected_attainment, c.gate, c.sales_to_date, c.seasonal_share, c.pipeline, c.below_gate)
  FROM pace_compute(pace_to_quota.on_date, pace_to_quota.period_kind) c
  WHERE v_all
     OR (v_rep AND c.subject = 'rep' AND c.member_id = v_me)
     OR (NOT v_rep AND c.subject = 'rep' AND c.member_id = ANY (v_members))
     OR (NOT v_rep AND c.subject = 'team' AND c.team_id = ANY (v_teams))
  ORDER BY c.subject, c.team_id, c.member_id;
END
$fn$;
COMMENT ON FUNCTION pace_to_quota(date, period_kind, name) IS
'Pace to quota as of a date, for the period of the kind holding it: per rep and team with a quota, sales to date (credited_sales), the share of the quota normally sold by the date (seasonal), the weighted open pipeline, the projected sales and attainment at the period''s end, a band from the subject''s own earlier projection errors, the KPI gate and below_gate (flagged mid-period), with the reason in words. Uses no row dated after the date. A rep sees their own row, supervisors and managers the reps of their scope and the teams they lead (subtrees), HR all. 22004 for a NULL argument, P0002 when no period of the kind holds the date.';
REVOKE ALL ON FUNCTION pace_to_quota(date, period_kind, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pace_to_quota(date, period_kind, name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- Team risk as of a date: facts about a team and its reps, never a prediction
-- about a person
-- ---------------------------------------------------------------------------

-- team_risk_members: the reps of each team on the date (level sales_rep in
-- member_assignment, hired by then and not left).
CREATE FUNCTION team_risk_members(p_as_of date)
RETURNS TABLE (team_id integer, member_id integer, hire_date date)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT t.team_id, m.member_id, m.hire_date
  FROM member m JOIN member_team_days() t ON t.member_id = m.member_id AND t.days @> p_as_of
  WHERE t.level = 'sales_rep' AND m.hire_date <= p_as_of AND (m.left_on IS NULL OR m.left_on > p_as_of)
$$;
COMMENT ON FUNCTION team_risk_members(date) IS 'Internal: the reps of each team on the date (member_assignment level sales_rep, hired on or before it, not left).';
REVOKE ALL ON FUNCTION team_risk_members(date) FROM PUBLIC;

-- team_risk_below_gate: reps whose attainment of each of the last p_months
-- ended months (month periods ending before the date, each with a quota of
-- the rep) was below the gate.
CREATE FUNCTION team_risk_below_gate(p_as_of date, p_months integer, p_gate numeric)
RETURNS TABLE (team_id integer, member_id integer, value numeric, reason text)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH mon AS MATERIALIZED (
    SELECT fp.period_id, fp.start_on, fp.end_on FROM fiscal_period fp
    WHERE fp.kind = 'month' AND fp.end_on < p_as_of ORDER BY fp.end_on DESC LIMIT p_months),
  att AS MATERIALIZED (
    SELECT p.member_id, p.as_of, round(p.sales_total / p.quota, 2) AS att
    FROM pace_points(ARRAY(SELECT period_id FROM mon ORDER BY start_on), ARRAY(SELECT end_on FROM mon ORDER BY start_on),
                     p_as_of) p
    WHERE p.member_id IS NOT NULL AND p.quota > 0)
  SELECT tm.team_id, tm.member_id, max(a.att),
         format('attainment below the gate %s in each of the last %s ended months (%s)', round(p_gate, 2), p_months,
                string_agg(to_char(a.as_of, 'YYYY-MM') || ': ' || a.att, ', ' ORDER BY a.as_of))
  FROM team_risk_members(p_as_of) tm JOIN att a ON a.member_id = tm.member_id
  WHERE (SELECT count(*) FROM mon) = p_months
  GROUP BY tm.team_id, tm.member_id
  HAVING count(*) = p_months AND bool_and(a.att < p_gate)
$$;
COMMENT ON FUNCTION team_risk_below_gate(date, integer, numeric) IS
'Internal: reps whose credited sales / quota was below the gate in each of the last p_months month periods ended before the date (value: the highest of those attainments).';
REVOKE ALL ON FUNCTION team_risk_below_gate(date, integer, numeric) FROM PUBLIC;

-- team_risk_training: reps employed for more than p_months months who
-- attended no training session held in the p_months months up to the date.
CREATE FUNCTION team_risk_training(p_as_of date, p_months integer)
RETURNS TABLE (team_id integer, member_id integer, value numeric, reason text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT tm.team_id, tm.member_id, (p_as_of - l.held_on)::numeric,
         CASE WHEN l.held_on IS NULL THEN format('no training attended on record (hired %s)', tm.hire_date)
              ELSE format('no training attended in the last %s months (last on %s)', p_months, l.held_on) END
  FROM team_risk_members(p_as_of) tm
  CROSS JOIN LATERAL (
    SELECT max(s.held_on) AS held_on
    FROM training_attendance a JOIN training_session s ON s.session_id = a.session_id
    WHERE a.member_id = tm.member_id AND a.attended AND s.held_on <= p_as_of) l
  WHERE tm.hire_date <= (p_as_of - make_interval(months => p_months))::date
    AND (l.held_on IS NULL OR l.held_on <= (p_as_of - make_interval(months => p_months))::date)
$$;
COMMENT ON FUNCTION team_risk_training(date, integer) IS
'Internal: reps hired at least p_months months before the date who attended no training session held in the p_months months up to it (value: days since the last one attended, NULL if none).';
REVOKE ALL ON FUNCTION team_risk_training(date, integer) FROM PUBLIC;

-- team_risk_reviews: reps whose mean review score (every criterion of every
-- review by someone else, in cycles closed by the date) fell by at least
-- p_drop from their previous closed cycle to their last.
CREATE FUNCTION team_risk_reviews(p_as_of date, p_drop numeric)
RETURNS TABLE (team_id integer, member_id integer, value numeric, reason text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH mean AS (
    SELECT r.reviewee_id AS member_id, c.fiscal_year, avg(rs.score) AS score
    FROM appraisal_cycle c
    JOIN review r ON r.cycle_id = c.cycle_id AND r.rater_role <> 'self'
    JOIN review_score rs ON rs.review_id = r.review_id
    WHERE c.state = 'closed' AND c.closed_at::date <= p_as_of
      -- the anonymity threshold of the cycle: a peer or subordinate group
      -- smaller than min_anonymous_reviews is left out, as everywhere else
      AND (r.rater_role = 'supervisor'
           OR (SELECT count(*) FROM review r2 WHERE r2.cycle_id = r.cycle_id AND r2.reviewee_id = r.reviewee_id
                 AND r2.rater_role = r.rater_role) >= c.min_anonymous_reviews)
    GROUP BY 1, 2),
  seq AS (
    SELECT m.*, lag(m.score) OVER w AS prev, lag(m.fiscal_year) OVER w AS prev_year,
           row_number() OVER (PARTITION BY m.member_id ORDER BY m.fiscal_year DESC) AS rn
    FROM mean m WINDOW w AS (PARTITION BY m.member_id ORDER BY m.fiscal_year))
  SELECT tm.team_id, tm.member_id, round(s.prev - s.score, 2),
         format('mean review score %s in %s, down from %s in %s', round(s.score, 2), s.fiscal_year,
                round(s.prev, 2), s.prev_year)
  FROM team_risk_members(p_as_of) tm JOIN seq s ON s.member_id = tm.member_id
  WHERE s.rn = 1 AND s.prev - s.score >= p_drop AND s.prev - s.score > 0
$$;
COMMENT ON FUNCTION team_risk_reviews(date, numeric) IS
'Internal: reps whose mean review score from others (every criterion, cycles closed by the date; peer and subordinate groups below the cycle''s min_anonymous_reviews left out) in their last closed cycle is at least p_drop (and more than 0) below the cycle before (value: the fall).';
REVOKE ALL ON FUNCTION team_risk_reviews(date, numeric) FROM PUBLIC;

-- team_risk_dispersion: teams of three or more reps with a month quota whose
-- projected attainments of the month (pace_compute) spread more than p_max
-- (population standard deviation).
CREATE FUNCTION team_risk_dispersion(p_as_of date, p_max numeric)
RETURNS TABLE (team_id integer, member_id integer, value numeric, reason text)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT c.team_id, NULL::integer, round(stddev_pop(c.projected_attainment), 2),
         format('projected attainment of the month ranges from %s to %s across %s reps (standard deviation %s, above %s)',
                round(min(c.projected_attainment), 2), round(max(c.projected_attainment), 2), count(*),
                round(stddev_pop(c.projected_attainment), 2), p_max)
  FROM pace_compute(p_as_of, 'month') c
  WHERE c.subject = 'rep' AND c.projected_attainment IS NOT NULL
  GROUP BY c.team_id
  HAVING count(*) >= 3 AND stddev_pop(c.projected_attainment) > p_max
$$;
COMMENT ON FUNCTION team_risk_dispersion(date, numeric) IS
'Internal: teams (of the reps on the date) with three or more reps with a month quota whose projected attainments of the month (pace_compute) have a population standard deviation above p_max (value: that deviation).';
REVOKE ALL ON FUNCTION team_risk_dispersion(date, numeric) FROM PUBLIC;

-- team_risk_openings: teams with open positions on the date, against the
-- quota the team carries in the month (its own quota, the reps in post).
CREATE FUNCTION team_risk_openings(p_as_of date)
RETURNS TABLE (team_id integer, member_id integer, value numeric, reason text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT o.team_id, NULL::integer, o.n::numeric,
         format('%s open position(s) since %s; %s', o.n, o.since,
                CASE WHEN q.amount IS NULL THEN 'the team has no quota for the month'
                     ELSE format('the team''s quota of %s for %s is carried by %s rep(s) in post', q.amount,
                                 to_char(q.start_on, 'YYYY-MM'),
                                 (SELECT count(*) FROM team_risk_members(p_as_of) tm WHERE tm.team_id = o.team_id)) END)
  FROM (SELECT t.team_id, count(*) AS n, min(t.opened_on) AS since FROM team_opening t
        WHERE t.opened_on <= p_as_of AND (t.filled_on IS NULL OR t.filled_on > p_as_of)
        GROUP BY t.team_id) o
  LEFT JOIN LATERAL (
    SELECT q.amount, fp.start_on FROM quota q JOIN fiscal_period fp ON fp.period_id = q.period_id
    WHERE q.team_id = o.team_id AND fp.kind = 'month' AND p_as_of BETWEEN fp.start_on AND fp.end_on) q ON true
$$;
COMMENT ON FUNCTION team_risk_openings(date) IS
'Internal: teams with positions open on the date (team_opening), with the team''s quota for the month holding the date and the number of reps in post (value: open positions).';
REVOKE ALL ON FUNCTION team_risk_openings(date) FROM PUBLIC;

-- team_risk_compute: the five facts, one row each.
CREATE FUNCTION team_risk_compute(p_as_of date)
RETURNS TABLE (team_id integer, member_id integer, risk text, value numeric, reason text)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT x.team_id, x.member_id, 'below_gate', x.value, x.reason
  FROM pace_team_setting s, team_risk_below_gate(p_as_of, s.below_gate_months, pace_gate(false)) x
  UNION ALL
  SELECT x.team_id, x.member_id, 'no_training', x.value, x.reason
  FROM pace_team_setting s, team_risk_training(p_as_of, s.no_training_months) x
  UNION ALL
  SELECT x.team_id, x.member_id, 'falling_reviews', x.value, x.reason
  FROM pace_team_setting s, team_risk_reviews(p_as_of, s.review_min_drop) x
  UNION ALL
  SELECT x.team_id, x.member_id, 'attainment_dispersion', x.value, x.reason
  FROM pace_team_setting s, team_risk_dispersion(p_as_of, s.dispersion_max) x
  UNION ALL
  SELECT x.team_id, x.member_id, 'open_positions', x.value, x.reason FROM team_risk_openings(p_as_of) x
$$;
COMMENT ON FUNCTION team_risk_compute(date) IS
'Internal: the team risks on the date, with the settings of pace_team_setting: below_gate, no_training, falling_reviews (one row per rep), attainment_dispersion, open_positions (one row per team).';
REVOKE ALL ON FUNCTION team_risk_compute(date) FROM PUBLIC;

CREATE FUNCTION team_risk(on_date date, login name DEFAULT current_user)
RETURNS TABLE (team_id integer, member_id integer, risk text, value numeric, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_me integer := require_role(login, ARRAY['sales_supervisor_supervisor', 'sales_supervisor_manager',
                                            'sales_supervisor_hr'], 'read team risk');
  v_all boolean := pace_sees_all(login);
  v_teams integer[] := CASE WHEN NOT v_all THEN led_team_ids(login) END;
BEGIN
  IF team_risk.on_date IS NULL THEN
    RAISE EXCEPTION 'team_risk needs a date'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'For example team_risk(date ''2025-06-15'').';
  END IF;
  PERFORM pace_require_settings();
  RETURN QUERY
  SELECT r.team_id, r.member_id, r.risk, r.value, r.reason
  FROM team_risk_compute(team_risk.on_date) r
  WHERE v_all OR r.team_id = ANY (v_teams)
  ORDER BY r.team_id, r.member_id NULLS FIRST, r.risk;
END
$fn$;
COMMENT ON FUNCTION team_risk(date, name) IS
'Team risk as of a date, facts only: reps below the KPI gate for N consecutive ended months, reps without training for M months, reps whose mean review score fell between their last two closed cycles, teams whose reps'' projected attainment is widely dispersed, teams with open positions against the quota they carry (N, M and thresholds in pace_team_setting). Supervisors and managers see the teams they lead (subtrees), HR all; reps are refused (42501). 22004 for a NULL argument.';
REVOKE ALL ON FUNCTION team_risk(date, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION team_risk(date, name)
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- The daily job and its tables
-- ---------------------------------------------------------------------------

-- Derived data the job rebuilds: no foreign keys (as the overdue flags).
CREATE TABLE pace_snapshot (
  period_kind           period_kind NOT NULL,
  subject               text NOT NULL CHECK (subject IN ('rep', 'team')),
  subject_id            integer NOT NULL,
  period_id             integer NOT NULL,
  as_of                 date NOT NULL,
  member_id             integer,
  team_id               integer,
  quota                 numeric NOT NULL,
  sales_to_date         numeric NOT NULL,
  seasonal_share        numeric NOT NULL,
  pipeline              numeric NOT NULL,
  projected             numeric NOT NULL,
  projected_attainment  numeric,
  band_low              numeric,
  band_high             numeric,
  gate                  numeric NOT NULL,
  below_gate            boolean NOT NULL,
  reason                text NOT NULL,
  flagged_on            date,
  PRIMARY KEY (period_kind, subject, subject_id)
);
CREATE INDEX pace_snapshot_member_idx ON pace_snapshot (member_id);
COMMENT ON TABLE pace_snapshot IS
'Pace to quota of every rep and team for the month, quarter and year holding the day of the last run of the risk_pace_team job (flag_pace_and_team_risk): the rows of pace_to_quota as of that day. flagged_on keeps the day a subject was first found below the gate in this period.';
COMMENT ON COLUMN pace_snapshot.period_kind IS 'Kind of the period paced: month, quarter or year.';
COMMENT ON COLUMN pace_snapshot.subject IS 'rep or team.';
COMMENT ON COLUMN pace_snapshot.subject_id IS 'member_id of a rep, team_id of a team.';
COMMENT ON COLUMN pace_snapshot.period_id IS 'The fiscal period paced.';
COMMENT ON COLUMN pace_snapshot.as_of IS 'Date of the pace (the job''s day in the company time zone).';
COMMENT ON COLUMN pace_snapshot.member_id IS 'The rep (NULL for a team).';
COMMENT ON COLUMN pace_snapshot.team_id IS 'The team; for a rep, the rep''s team on the date.';
COMMENT ON COLUMN pace_snapshot.quota IS 'Quota of the period (net of relief reductions), in the company currency.';
COMMENT ON COLUMN pace_snapshot.sales_to_date IS 'Credited sales from the period''s start through the date (plus relief credits).';
COMMENT ON COLUMN pace_snapshot.seasonal_share IS 'Share 0..1 of the quota normally sold by the date (seasonal_distribution, uniform within a month).';
COMMENT ON COLUMN pace_snapshot.pipeline IS 'Weighted open pipeline expected to close by the period''s end.';
COMMENT ON COLUMN pace_snapshot.projected IS 'Projected sales at the period''s end.';
COMMENT ON COLUMN pace_snapshot.projected_attainment IS 'projected / quota (NULL for a zero quota).';
COMMENT ON COLUMN pace_snapshot.band_low IS 'Low end of the band of the projected attainment (NULL with fewer than 3 earlier periods).';
COMMENT ON COLUMN pace_snapshot.band_high IS 'High end of the band of the projected attainment.';
COMMENT ON COLUMN pace_snapshot.gate IS 'The KPI gate as an attainment.';
COMMENT ON COLUMN pace_snapshot.below_gate IS 'True when projected below the gate before the period''s last day.';
COMMENT ON COLUMN pace_snapshot.reason IS 'The facts behind the row, in words.';
COMMENT ON COLUMN pace_snapshot.flagged_on IS 'Day the job first found the subject below the gate in this period; NULL while not below.';

CREATE TABLE team_risk_flag (
  team_id     integer NOT NULL,
  member_id   integer NOT NULL DEFAULT 0,
  risk        text NOT NULL CHECK (risk IN ('below_gate', 'no_training', 'falling_reviews',
                                            'attainment_dispersion', 'open_positions')),
  value       numeric,
  reason      text NOT NULL,
  as_of       date NOT NULL,
  flagged_on  date NOT NULL,
  PRIMARY KEY (team_id, member_id, risk)
);
COMMENT ON TABLE team_risk_flag IS
'Team risks as of the last run of the risk_pace_team job (team_risk of that day): a flag appears when the fact holds and disappears when it no longer does; flagged_on keeps the day it was first found. Supervisors and managers see the teams they lead, HR all, reps nothing.';
COMMENT ON COLUMN team_risk_flag.team_id IS 'Team concerned.';
COMMENT ON COLUMN team_risk_flag.member_id IS 'Rep concerned; 0 for a risk of the team as a whole.';
COMMENT ON COLUMN team_risk_flag.risk IS 'below_gate, no_training, falling_reviews, attainment_dispersion or open_positions.';
COMMENT ON COLUMN team_risk_flag.value IS 'The measure behind the risk (highest attainment, days since training, fall of the score, standard deviation, open positions).';
COMMENT ON COLUMN team_risk_flag.reason IS 'The facts, in words.';
COMMENT ON COLUMN team_risk_flag.as_of IS 'Date of the last run that found it.';
COMMENT ON COLUMN team_risk_flag.flagged_on IS 'Date it was first found in this spell.';

CREATE TABLE pace_backtest (
  period_kind     period_kind NOT NULL,
  week_of_period  integer NOT NULL,
  projections     bigint NOT NULL,
  wape            numeric,
  forecast_bias   numeric,
  computed_on     date NOT NULL,
  PRIMARY KEY (period_kind, week_of_period)
);
COMMENT ON TABLE pace_backtest IS
'Backtest of the projection of pace to quota on the ended months: per week of the month, the projection of every rep with a quota as of the week''s last day against the month''s actual sales, with the wape and forecast_bias aggregates. Written by refresh_pace_backtest() (job risk_pace_team).';
COMMENT ON COLUMN pace_backtest.period_kind IS 'Kind of the periods backtested (month).';
COMMENT ON COLUMN pace_backtest.week_of_period IS 'Week of the period (1: as of its 7th day, 2: its 14th, ...).';
COMMENT ON COLUMN pace_backtest.projections IS 'Count of rep-period projections.';
COMMENT ON COLUMN pace_backtest.wape IS 'wape(actual, projected), ratio with 6 decimals.';
COMMENT ON COLUMN pace_backtest.forecast_bias IS 'forecast_bias(actual, projected), ratio with 6 decimals: positive when the projection runs high.';
COMMENT ON COLUMN pace_backtest.computed_on IS 'Day it was computed.';

-- refresh_pace_backtest: every month period ended before the date, projected
-- as of its 7th, 14th, 21st and 28th day, one pace_points call per week.
CREATE FUNCTION refresh_pace_backtest(p_as_of date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM pace_require_settings();
  DELETE FROM pace_backtest;
  WITH pts AS MATERIALIZED (
    SELECT fp.period_id, fp.start_on + 7 * w - 1 AS as_of, w
    FROM fiscal_period fp CROSS JOIN generate_series(1, 4) w
    WHERE fp.kind = 'month' AND fp.end_on < p_as_of),
  pp AS (   -- one call per week: the months of one call do not overlap
    SELECT p.*, wk.w
    FROM generate_series(1, 4) wk(w)
    CROSS JOIN LATERAL pace_points(ARRAY(SELECT x.period_id FROM pts x WHERE x.w = wk.w ORDER BY x.period_id),
                                   ARRAY(SELECT x.as_of FROM pts x WHERE x.w = wk.w ORDER BY x.period_id), p_as_of) p
    WHERE p.member_id IS NOT NULL AND p.quota > 0)
  INSERT INTO pace_backtest (period_kind, week_of_period, projections, wape, forecast_bias, computed_on)
  SELECT 'month', pp.w, count(*), round(wape(pp.sales_total::float8, pp.projected::float8)::numeric, 6),
         round(forecast_bias(pp.sales_total::float8, pp.projected::float8)::numeric, 6), p_as_of
  FROM pp GROUP BY pp.w;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION refresh_pace_backtest(date) IS
'Rewrites pace_backtest: every month period ended before the date, each rep with a quota projected as of the month''s 7th, 14th, 21st and 28th day (pace_points, using no line after those days) against the month''s credited sales, wape and forecast_bias per week. Returns the rows written. Owner only.';
REVOKE ALL ON FUNCTION refresh_pace_backtest(date) FROM PUBLIC;

-- flag_pace_snapshot: pace_snapshot := pace_compute of the date for each kind.
CREATE FUNCTION flag_pace_snapshot(p_as_of date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM pace_require_settings();
  CREATE TEMP TABLE pace_now ON COMMIT DROP AS
  SELECT k.kind, c.*, pace_reason(c.projected_attainment, c.gate, c.sales_to_date, c.seasonal_share,
                                  c.pipeline, c.below_gate) AS reason
  FROM unnest(ARRAY['month', 'quarter', 'year']::period_kind[]) k(kind), pace_compute(p_as_of, k.kind) c;
  DELETE FROM pace_snapshot s WHERE NOT EXISTS (
    SELECT 1 FROM pace_now p WHERE p.kind = s.period_kind AND p.subject = s.subject
      AND coalesce(p.member_id, p.team_id) = s.subject_id AND p.period_id = s.period_id);
  INSERT INTO pace_snapshot AS s (period_kind, subject, subject_id, period_id, as_of, member_id, team_id, quota,
                                  sales_to_date, seasonal_share, pipeline, projected, projected_attainment,
                                  band_low, band_high, gate, below_gate, reason, flagged_on)
  SELECT p.kind, p.subject, coalesce(p.member_id, p.team_id), p.period_id, p.as_of, p.member_id, p.team_id, p.quota,
         p.sales_to_date, p.seasonal_share, p.pipeline, p.projected, p.projected_attainment, p.band_low,
         p.band_high, p.gate, p.below_gate, p.reason, CASE WHEN p.below_gate THEN p_as_of END
  FROM pace_now p
  ON CONFLICT (period_kind, subject, subject_id) DO UPDATE
  SET period_id = EXCLUDED.period_id, as_of = EXCLUDED.as_of, member_id = EXCLUDED.member_id,
      team_id = EXCLUDED.team_id, quota = EXCLUDED.quota, sales_to_date = EXCLUDED.sales_to_date,
      seasonal_share = EXCLUDED.seasonal_share, pipeline = EXCLUDED.pipeline, projected = EXCLUDED.projected,
      projected_attainment = EXCLUDED.projected_attainment, band_low = EXCLUDED.band_low,
      band_high = EXCLUDED.band_high, gate = EXCLUDED.gate, below_gate = EXCLUDED.below_gate,
      reason = EXCLUDED.reason,
      flagged_on = CASE WHEN NOT EXCLUDED.below_gate THEN NULL ELSE coalesce(s.flagged_on, EXCLUDED.flagged_on) END;
  SELECT count(*) INTO n FROM pace_now;
  DROP TABLE pace_now;
  RETURN n;
END
$$;
COMMENT ON FUNCTION flag_pace_snapshot(date) IS
'Makes pace_snapshot the pace of every rep and team for the month, quarter and year holding the date (pace_compute), keeping flagged_on while a subject stays below the gate in the same period. Returns the rows. Owner only.';
REVOKE ALL ON FUNCTION flag_pace_snapshot(date) FROM PUBLIC;

-- flag_team_risk: team_risk_flag := team_risk_compute of the date.
CREATE FUNCTION flag_team_risk(p_as_of date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM pace_require_settings();
  CREATE TEMP TABLE risk_now ON COMMIT DROP AS
  SELECT r.team_id, coalesce(r.member_id, 0) AS member_id, r.risk, r.value, r.reason FROM team_risk_compute(p_as_of) r;
  DELETE FROM team_risk_flag f WHERE NOT EXISTS (
    SELECT 1 FROM risk_now r WHERE (r.team_id, r.member_id, r.risk) = (f.team_id, f.member_id, f.risk));
  INSERT INTO team_risk_flag AS f (team_id, member_id, risk, value, reason, as_of, flagged_on)
  SELECT r.team_id, r.member_id, r.risk, r.value, r.reason, p_as_of, p_as_of FROM risk_now r
  ON CONFLICT (team_id, member_id, risk) DO UPDATE
  SET value = EXCLUDED.value, reason = EXCLUDED.reason, as_of = EXCLUDED.as_of;
  SELECT count(*) INTO n FROM risk_now;
  DROP TABLE risk_now;
  RETURN n;
END
$$;
COMMENT ON FUNCTION flag_team_risk(date) IS
'Makes team_risk_flag the team risks of the date (team_risk_compute): new ones inserted with flagged_on = the date, the others updated, those that no longer hold deleted. Returns the rows. Owner only.';
REVOKE ALL ON FUNCTION flag_team_risk(date) FROM PUBLIC;

CREATE PROCEDURE flag_pace_and_team_risk()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_day date := company_today();
  n bigint;
BEGIN
  PERFORM job_progress(format('risk: step 1/3, pace to quota as of %s', v_day));
  n := flag_pace_snapshot(v_day);
  PERFORM job_progress(format('risk: step 2/3, %s pace rows; team risks as of %s', n, v_day), n);
  n := flag_team_risk(v_day);
  PERFORM job_progress(format('risk: step 3/3, %s team risks; backtest of the ended months', n), n);
  n := refresh_pace_backtest(v_day);
  PERFORM job_progress(format('risk: done, %s backtest rows', n), n);
END
$$;
COMMENT ON PROCEDURE flag_pace_and_team_risk() IS
'Daily job risk_pace_team: as of today in the company time zone, pace_snapshot (flag_pace_snapshot), team_risk_flag (flag_team_risk) and pace_backtest (refresh_pace_backtest), each step logged with job_progress. Run it as the extension owner.';
REVOKE ALL ON PROCEDURE flag_pace_and_team_risk() FROM PUBLIC;

INSERT INTO job_setting (job_name, schedule, command, description) VALUES
  ('risk_pace_team', '30 1 * * *', 'CALL sales_supervisor.flag_pace_and_team_risk()',
   'Daily: refresh pace_snapshot (pace to quota of every rep and team), team_risk_flag and pace_backtest.');

-- ---------------------------------------------------------------------------
-- Grants, row-level security, BI views
-- ---------------------------------------------------------------------------

ALTER TABLE pace_team_setting ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON pace_team_setting TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT UPDATE ON pace_team_setting TO sales_supervisor_hr;
CREATE POLICY pace_team_setting_read ON pace_team_setting FOR SELECT
  TO sales_supervisor_supervisor, sales_supervisor_manager USING (true);
CREATE POLICY pace_team_setting_hr ON pace_team_setting TO sales_supervisor_hr USING (true) WITH CHECK (true);

ALTER TABLE team_opening ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON team_opening TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON team_opening TO sales_supervisor_hr;
CREATE POLICY team_opening_subtree ON team_opening FOR SELECT TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));
CREATE POLICY team_opening_hr ON team_opening TO sales_supervisor_hr USING (true) WITH CHECK (true);

ALTER TABLE pace_snapshot ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON pace_snapshot
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
CREATE POLICY pace_snapshot_own ON pace_snapshot FOR SELECT TO sales_supervisor_rep
  USING (subject = 'rep' AND member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY pace_snapshot_subtree ON pace_snapshot FOR SELECT TO sales_supervisor_supervisor, sales_supervisor_manager
  USING ((subject = 'rep' AND member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]))
         OR (subject = 'team' AND team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[])));
CREATE POLICY pace_snapshot_hr ON pace_snapshot FOR SELECT TO sales_supervisor_hr USING (true);

ALTER TABLE team_risk_flag ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON team_risk_flag TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
CREATE POLICY team_risk_flag_subtree ON team_risk_flag FOR SELECT TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));
CREATE POLICY team_risk_flag_hr ON team_risk_flag FOR SELECT TO sales_supervisor_hr USING (true);

ALTER TABLE pace_backtest ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON pace_backtest TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
CREATE POLICY pace_backtest_read ON pace_backtest FOR SELECT
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr USING (true);

-- BI views (owner-run, granted to sales_supervisor_bi only, as 55_reports.sql)
CREATE VIEW v_pace_to_quota AS
SELECT s.period_kind, s.period_id, s.as_of, s.subject, s.member_id, m.full_name, s.team_id, t.name AS team_name,
       s.quota::numeric(38,2) AS quota, s.sales_to_date::numeric(38,2) AS sales_to_date,
       s.seasonal_share::numeric(38,6) AS seasonal_share, s.pipeline::numeric(38,2) AS pipeline,
       s.projected::numeric(38,2) AS projected, s.projected_attainment::numeric(38,6) AS projected_attainment,
       s.band_low::numeric(38,6) AS band_low, s.band_high::numeric(38,6) AS band_high,
       s.gate::numeric(38,6) AS gate, s.below_gate, s.flagged_on, s.reason
FROM pace_snapshot s
LEFT JOIN member m ON m.member_id = s.member_id
LEFT JOIN team t ON t.team_id = s.team_id;
COMMENT ON VIEW v_pace_to_quota IS
'Pace to quota of every rep and team for the month, quarter and year holding the day of the last risk_pace_team run (pace_snapshot): sales to date, seasonal share, weighted pipeline, projection with its band, the KPI gate and whether projected below it.';
COMMENT ON COLUMN v_pace_to_quota.period_kind IS 'Kind of the period: month, quarter or year.';
COMMENT ON COLUMN v_pace_to_quota.period_id IS 'Fiscal period paced (fiscal_period.period_id).';
COMMENT ON COLUMN v_pace_to_quota.as_of IS 'Date of the pace.';
COMMENT ON COLUMN v_pace_to_quota.subject IS 'What the row paces: rep or team.';
COMMENT ON COLUMN v_pace_to_quota.member_id IS 'The rep (member.member_id); NULL for a team.';
COMMENT ON COLUMN v_pace_to_quota.full_name IS 'Full name of the rep.';
COMMENT ON COLUMN v_pace_to_quota.team_id IS 'The team; for a rep, the rep''s team on the date (team.team_id).';
COMMENT ON COLUMN v_pace_to_quota.team_name IS 'Name of the team.';
COMMENT ON COLUMN v_pace_to_quota.quota IS 'Quota of the period, net of relief reductions, in the company currency.';
COMMENT ON COLUMN v_pace_to_quota.sales_to_date IS 'Credited sales of the period through the date, in the company currency.';
COMMENT ON COLUMN v_pace_to_quota.seasonal_share IS 'Share of the quota normally sold by the date, a ratio with 6 decimals.';
COMMENT ON COLUMN v_pace_to_quota.pipeline IS 'Weighted open pipeline expected to close in the period, in the company currency.';
COMMENT ON COLUMN v_pace_to_quota.projected IS 'Projected sales at the period''s end, in the company currency.';
COMMENT ON COLUMN v_pace_to_quota.projected_attainment IS 'Projected / quota, a ratio with 6 decimals (1 = 100 %).';
COMMENT ON COLUMN v_pace_to_quota.band_low IS 'Low end of the band of the projected attainment, a ratio with 6 decimals (NULL without 3 earlier periods).';
COMMENT ON COLUMN v_pace_to_quota.band_high IS 'High end of the band of the projected attainment, a ratio with 6 decimals.';
COMMENT ON COLUMN v_pace_to_quota.gate IS 'The KPI gate as an attainment, a ratio with 6 decimals.';
COMMENT ON COLUMN v_pace_to_quota.below_gate IS 'True when projected below the gate before the period''s last day.';
COMMENT ON COLUMN v_pace_to_quota.flagged_on IS 'Day first found below the gate in this period.';
COMMENT ON COLUMN v_pace_to_quota.reason IS 'The facts behind the row, in words.';
GRANT SELECT ON v_pace_to_quota TO sales_supervisor_bi;

CREATE VIEW v_team_risk AS
SELECT f.team_id, t.name AS team_name, nullif(f.member_id, 0) AS member_id, m.full_name, f.risk,
       f.value::numeric(38,6) AS value, f.reason, f.as_of, f.flagged_on
FROM team_risk_flag f
JOIN team t ON t.team_id = f.team_id
LEFT JOIN member m ON m.member_id = f.member_id;
COMMENT ON VIEW v_team_risk IS
'Team risks found by the last risk_pace_team run (team_risk_flag): per team, and per rep where the fact is about a rep, the risk, its measure and the facts in words.';
COMMENT ON COLUMN v_team_risk.team_id IS 'The team the risk concerns (team.team_id).';
COMMENT ON COLUMN v_team_risk.team_name IS 'Name of the team.';
COMMENT ON COLUMN v_team_risk.member_id IS 'Rep concerned (member.member_id); NULL for a risk of the team as a whole.';
COMMENT ON COLUMN v_team_risk.full_name IS 'Full name of the rep.';
COMMENT ON COLUMN v_team_risk.risk IS 'below_gate, no_training, falling_reviews, attainment_dispersion or open_positions.';
COMMENT ON COLUMN v_team_risk.value IS 'The measure behind the risk (see team_risk_flag.value), a ratio with 6 decimals for the attainments, fall of score and deviation; days or positions otherwise.';
COMMENT ON COLUMN v_team_risk.reason IS 'The facts, in words.';
COMMENT ON COLUMN v_team_risk.as_of IS 'Date of the last run that found it.';
COMMENT ON COLUMN v_team_risk.flagged_on IS 'Date it was first found in this spell.';
GRANT SELECT ON v_team_risk TO sales_supervisor_bi;

CREATE VIEW v_pace_backtest AS
SELECT b.period_kind, b.week_of_period, b.projections, b.wape::numeric(38,6) AS wape,
       b.forecast_bias::numeric(38,6) AS forecast_bias, b.computed_on
FROM pace_backtest b;
COMMENT ON VIEW v_pace_backtest IS
'Accuracy of the pace-to-quota projection on the ended months, by week of the month (pace_backtest): wape and forecast_bias of every rep''s projection as of the week''s last day against the month''s actual sales.';
COMMENT ON COLUMN v_pace_backtest.period_kind IS 'Kind of the periods backtested (month).';
COMMENT ON COLUMN v_pace_backtest.week_of_period IS 'Week of the period: the projection as of its 7 x week-th day.';
COMMENT ON COLUMN v_pace_backtest.projections IS 'Count of rep-month projections.';
COMMENT ON COLUMN v_pace_backtest.wape IS 'wape(actual, projected), a ratio with 6 decimals (0.1 = 10 % error).';
COMMENT ON COLUMN v_pace_backtest.forecast_bias IS 'forecast_bias(actual, projected), a ratio with 6 decimals: positive when the projection runs high.';
COMMENT ON COLUMN v_pace_backtest.computed_on IS 'Day it was computed.';
-- (supervisors, managers and HR read the table pace_backtest itself: an owner-rights
-- view is the BI role's only)
GRANT SELECT ON v_pace_backtest TO sales_supervisor_bi;

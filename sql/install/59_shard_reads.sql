-- Layer 5, operations: scale-out, the year's other heavy reads on the shards
-- (issue 18, part 2; docs/scale-out.md says what is built and what is not yet).
--   nps_from_counts, csat_from_counts
--                              nps() and csat() from their components (counts),
--                              so that per-shard counts combine exactly
--   shard_survey_query         the per-shard survey components, aggregated on
--                              each shard (GROUP BY customer pushed down)
--   shard_survey_metrics       per customer: survey components over the shards
--                              and the nps / csat they combine to
--   shard_forecast_accuracy    v_forecast_accuracy with its actuals read from
--                              the shards (per rep and month, pushed down)
--   shard_credit_by_team_month credit_by_team_month over the shards: the fact
--                              read of the sales KPIs (per rep, team on the
--                              sale date and month)
--   shard_kpi_measure          the KPI measures whose facts the shards hold,
--                              by kpi_measure's own family functions
-- Why components: a shard cannot return a partial aggregate that the
-- coordinator merges (PostgreSQL 15 ships only whole aggregates), and nps of
-- nps is not nps.  Counts and sums of counts are exact, so each shard returns
-- counts (promoters, detractors, answers ...) and the coordinator computes the
-- final value from their sums, by the formula the aggregate's final function
-- uses.  wape, forecast_bias and mape read credited sales per rep and period:
-- their inputs are sums (exact across shards), the aggregate runs on the
-- coordinator over the same per-rep rows as on one server.

-- nps_from_counts: nps() from its parts.  nps's final function computes
-- 100 * (promoters - detractors) / answers as numeric (numeric_mul, then
-- numeric_div of integers of scale 0); the same expression here gives the
-- same digits, so the sum of the shards' counts gives nps() of all answers.
CREATE FUNCTION nps_from_counts(promoters bigint, detractors bigint, answers bigint)
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF promoters < 0 OR detractors < 0 OR answers < 0 OR promoters + detractors > answers THEN
    RAISE EXCEPTION 'nps counts % promoters, % detractors of % answers are not counts of one set of answers',
                    promoters, detractors, answers
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Promoters (9-10) and detractors (0-6) are non-negative and together at most the answers.';
  END IF;
  IF answers = 0 THEN
    RETURN NULL;   -- as nps() over no answer
  END IF;
  RETURN 100::numeric * (promoters - detractors)::numeric / answers::numeric;
END
$$;
COMMENT ON FUNCTION nps_from_counts(bigint, bigint, bigint) IS
'nps() from its components: 100 * (promoters - detractors) / answers, the same numeric as the nps aggregate over those answers (promoters score 9-10, detractors 0-6); NULL for no answers (STRICT: NULL for a NULL count); 22023 for counts that cannot come from one set of answers. Used to combine the counts of several shards exactly (docs/scale-out.md).';
REVOKE ALL ON FUNCTION nps_from_counts(bigint, bigint, bigint) FROM PUBLIC;
-- a computation like the core's: anybody may call it
GRANT EXECUTE ON FUNCTION nps_from_counts(bigint, bigint, bigint) TO PUBLIC;

-- csat_from_counts: csat() from its parts, 100 * satisfied / answers.
CREATE FUNCTION csat_from_counts(satisfied bigint, answers bigint)
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF satisfied < 0 OR answers < 0 OR satisfied > answers THEN
    RAISE EXCEPTION 'csat counts % satisfied of % answers are not counts of one set of answers', satisfied, answers
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Satisfied answers (4-5) are non-negative and at most the answers.';
  END IF;
  IF answers = 0 THEN
    RETURN NULL;   -- as csat() over no answer
  END IF;
  RETURN 100::numeric * satisfied::numeric / answers::numeric;
END
$$;
COMMENT ON FUNCTION csat_from_counts(bigint, bigint) IS
'csat() from its components: 100 * satisfied / answers, the same numeric as the csat aggregate over those answers (satisfied: 4 or 5 of 5); NULL for no answers (STRICT: NULL for a NULL count); 22023 for counts that cannot come from one set of answers. Used to combine the counts of several shards exactly (docs/scale-out.md).';
REVOKE ALL ON FUNCTION csat_from_counts(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION csat_from_counts(bigint, bigint) TO PUBLIC;

-- shard_survey_query: the survey components per customer ($1, $2: the
-- answers' time range, from included, to excluded), one UNION ALL branch per
-- shard, each a GROUP BY customer over the shard's survey_response that is
-- shipped whole (counts with FILTER are shipped); the coordinator adds the
-- shards' counts.  Grouped by customer, not by rep: the KPIs credit a survey
-- to the customer's owner as the coordinator knows it, and an owner change
-- must not move a shard's rows.
CREATE FUNCTION shard_survey_query()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT 'SELECT c.customer_id, sum(c.responses)::bigint, sum(c.nps_answers)::bigint, sum(c.promoters)::bigint,
                 sum(c.detractors)::bigint, sum(c.csat_answers)::bigint, sum(c.satisfied)::bigint,
                 max(c.last_response_at) FROM ('
         || string_agg(format('SELECT r.customer_id, count(*) AS responses, count(r.nps) AS nps_answers,
                                      count(*) FILTER (WHERE r.nps >= 9) AS promoters,
                                      count(*) FILTER (WHERE r.nps <= 6) AS detractors,
                                      count(r.csat) AS csat_answers, count(*) FILTER (WHERE r.csat >= 4) AS satisfied,
                                      max(r.answered_at) AS last_response_at
                               FROM %I.survey_response r WHERE r.answered_at >= $1 AND r.answered_at < $2 GROUP BY 1',
                              sv.schema_name), ' UNION ALL ' ORDER BY sv.server_name)
         || ') c GROUP BY 1'
  FROM sales_supervisor.shard_servers() sv
  HAVING count(*) > 0
$$;
COMMENT ON FUNCTION shard_survey_query() IS
'Internal: the query of shard_survey_metrics over the registered shards ($1, $2: the answers'' time range, $2 excluded): one UNION ALL branch per shard, each a GROUP BY customer of the counts nps and csat are made of (answers, promoters, detractors, satisfied) over the shard''s survey_response, shipped to the shard whole; the coordinator adds up the counts. NULL when no shard is registered.';
REVOKE ALL ON FUNCTION shard_survey_query() FROM PUBLIC;

-- shard_survey_metrics: per customer, the surveys answered between the dates
-- (the session's time zone, as kpi_measure counts them) on every shard: the
-- components summed over the shards, and nps / csat computed from the sums.
-- A rep's or a team's figure is nps_from_counts of the sums of its
-- customers' components, never an average of nps values.
CREATE FUNCTION shard_survey_metrics(from_date date, to_date date, login name DEFAULT current_user)
RETURNS TABLE (customer_id integer, owner_id integer, responses bigint, nps_answers bigint, promoters bigint,
               detractors bigint, csat_answers bigint, satisfied bigint, nps numeric, csat numeric,
               last_response_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'read the surveys of the shards');
  IF from_date IS NULL OR to_date IS NULL THEN
    RAISE EXCEPTION 'from_date and to_date must not be null' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Use ''-infinity'' and ''infinity'' for every answer.';
  END IF;
  IF from_date > to_date THEN
    RAISE EXCEPTION 'from_date % is after to_date %', from_date, to_date USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM sales_supervisor.shard_require_all();
  BEGIN
    RETURN QUERY EXECUTE format(
      'SELECT p.customer_id, cu.owner_id, p.responses, p.nps_answers, p.promoters, p.detractors, p.csat_answers,
              p.satisfied, sales_supervisor.nps_from_counts(p.promoters, p.detractors, p.nps_answers),
              sales_supervisor.csat_from_counts(p.satisfied, p.csat_answers), p.last_response_at
       FROM (%s) p(customer_id, responses, nps_answers, promoters, detractors, csat_answers, satisfied, last_response_at)
       LEFT JOIN sales_supervisor.customer cu ON cu.customer_id = p.customer_id
       ORDER BY p.customer_id', sales_supervisor.shard_survey_query())
      USING from_date::timestamptz, (to_date + 1)::timestamptz;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    RAISE EXCEPTION 'a shard became unreachable during the read: nothing was returned'
      USING ERRCODE = 'connection_failure', DETAIL = SQLERRM, HINT = 'shard_status() shows which.';
  END;
END
$$;
COMMENT ON FUNCTION shard_survey_metrics(date, date, name) IS
'Per customer with survey answers between the dates (session time zone, from_date 00:00 to the end of to_date; ''-infinity'' and ''infinity'' for all), over the survey_response rows held by the registered shards: its owner on the coordinator, the components nps and csat are made of, summed over the shards (answers, promoters 9-10, detractors 0-6, csat answers, satisfied 4-5; counted on each shard, the GROUP BY pushed down) and nps / csat computed from them (nps_from_counts, csat_from_counts): equal to nps() and csat() over the same answers on one server. Checks every shard first. Reads all answers (no row-level security): HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_survey_metrics(date, date, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_survey_metrics(date, date, name) TO sales_supervisor_hr;

-- shard_forecast_query: v_forecast_accuracy with its actuals from the
-- shards ($1, $2: the dates the forecast periods span).  The view reads the
-- materialized v_credited_sales_daily per rep and day; here each shard sums
-- its credited lines per rep and month (shard_credit_query, pushed down) and
-- a period's actual is the sum of its months -- exact because every forecast
-- period covers whole calendar months (shard_forecast_accuracy checks it).
-- cm keeps the lines too: a column left unused would be projected away above
-- each shard's scan, and in PostgreSQL 15 that projection keeps the shards'
-- scans from running asynchronously (measured).
-- The rest is the view's text: the latest forecast per rep and period, the
-- team on the day it was submitted, wape / forecast_bias / mape over the same
-- per-rep (actual, forecast) rows as on one server.
CREATE FUNCTION shard_forecast_query()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT format($q$
    WITH cm AS MATERIALIZED (
      SELECT c.member_id, c.month, sum(c.amount) AS amount, sum(c.lines) AS lines
      FROM (%s) c(member_id, month, refunds, lines, amount) GROUP BY 1, 2),
    team_days AS (
      SELECT a.member_id, a.team_id,
             daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                       CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END) AS days
      FROM sales_supervisor.member_assignment a
      WINDOW w AS (PARTITION BY a.member_id)),
    latest AS (
      SELECT DISTINCT ON (f.member_id, f.period_id) f.member_id, f.period_id, f.amount, f.submitted_at
      FROM sales_supervisor.forecast f
      ORDER BY f.member_id, f.period_id, f.submitted_at DESC),
    fa AS (
      SELECT l.period_id, a.team_id, l.member_id, l.amount AS forecast,
             (SELECT coalesce(sum(cm.amount), 0) FROM cm
              WHERE cm.member_id = l.member_id AND cm.month BETWEEN fp.start_on AND fp.end_on) AS actual
      FROM latest l
      JOIN sales_supervisor.fiscal_period fp ON fp.period_id = l.period_id
      JOIN team_days a ON a.member_id = l.member_id AND a.days @> l.submitted_at::date)
    SELECT fp.period_id, fp.kind, fp.fiscal_year, fp.quarter, fp.month, fa.team_id, t.name,
           count(*), sum(fa.forecast)::numeric(38,2), sum(fa.actual)::numeric(38,2),
           sales_supervisor.wape(fa.actual::float8, fa.forecast::float8)::numeric(38,6),
           sales_supervisor.forecast_bias(fa.actual::float8, fa.forecast::float8)::numeric(38,6),
           sales_supervisor.mape(fa.actual::float8, fa.forecast::float8)::numeric(38,6)
    FROM fa
    JOIN sales_supervisor.fiscal_period fp ON fp.period_id = fa.period_id
    JOIN sales_supervisor.team t ON t.team_id = fa.team_id
    GROUP BY fp.period_id, fp.kind, fp.fiscal_year, fp.quarter, fp.month, fa.team_id, t.name
    ORDER BY fp.period_id, fa.team_id$q$, sales_supervisor.shard_credit_query())
$fn$;
COMMENT ON FUNCTION shard_forecast_query() IS
'Internal: the query of shard_forecast_accuracy ($1, $2: first and last date of the forecast periods): v_forecast_accuracy''s text with the actuals summed from the shards'' credited sales per rep and month (shard_credit_query). NULL when no shard is registered.';
REVOKE ALL ON FUNCTION shard_forecast_query() FROM PUBLIC;

-- shard_forecast_accuracy: the BI view v_forecast_accuracy over the shards'
-- lines.  Refuses (55000) when a forecast period does not cover whole
-- calendar months: its actual could not be summed from monthly rows.
CREATE FUNCTION shard_forecast_accuracy(login name DEFAULT current_user)
RETURNS TABLE (period_id integer, period_kind period_kind, fiscal_year integer, quarter smallint, month smallint,
               team_id integer, team_name text, forecasts bigint, forecast_total numeric, actual_total numeric,
               wape numeric, forecast_bias numeric, mape numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_from date;
  v_to   date;
  v_bad  integer;
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'read the forecast accuracy of the shards');
  SELECT min(fp.period_id) FILTER (WHERE fp.start_on <> sales_supervisor.month_start(fp.start_on)
                                      OR fp.end_on + 1 <> sales_supervisor.month_start(fp.end_on + 1)),
         min(fp.start_on), max(fp.end_on)
    INTO v_bad, v_from, v_to
  FROM sales_supervisor.fiscal_period fp
  WHERE fp.period_id IN (SELECT f.period_id FROM sales_supervisor.forecast f);
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'forecast period % does not cover whole calendar months', v_bad
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The shards return credited sales per rep and calendar month.',
            HINT = 'Read v_forecast_accuracy on a single server.';
  END IF;
  PERFORM sales_supervisor.shard_require_all();
  IF v_from IS NULL THEN
    RETURN;   -- no forecast: no row, as the view
  END IF;
  BEGIN
    RETURN QUERY EXECUTE sales_supervisor.shard_forecast_query() USING v_from, v_to;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    RAISE EXCEPTION 'a shard became unreachable during the read: nothing was returned'
      USING ERRCODE = 'connection_failure', DETAIL = SQLERRM, HINT = 'shard_status() shows which.';
  END;
END
$$;
COMMENT ON FUNCTION shard_forecast_accuracy(name) IS
'The rows of v_forecast_accuracy (forecast per fiscal period and team against the sales credited within the period, with wape, forecast_bias and mape) with the actuals read from the registered shards: each shard credits and sums its lines per rep and month (pushed down), the coordinator sums the months of each period and runs the aggregates over the same per-rep rows as one server. Fresh (not as of the last refresh of v_credited_sales_daily). Refuses (55000) a forecast period that does not cover whole calendar months. Checks every shard first. Reads all lines (no row-level security): HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_forecast_accuracy(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_forecast_accuracy(name) TO sales_supervisor_hr;

-- shard_credit_by_team_month: credit_by_team_month over the shards' lines --
-- the fact read of the KPI measures sales_amount, team_sales_amount and
-- forecast_wape and of the BI views per team.  A rep's month within one
-- assignment is the shards' monthly row (shard_credit_query); a month in
-- which the rep changed team is read again per day for those reps and
-- months only (shard_day_query), each day counted for the team of that day
-- (member_team_days; a day outside every assignment: the rep's team).
-- Equal to credit_by_team_month on one server while no commission run has
-- credited the dates (that function then reads the run's ledger instead).
CREATE FUNCTION shard_credit_by_team_month(from_date date, to_date date, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, team_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_reps   integer[];
  v_months date[];
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'read the credited sales of the shards');
  IF from_date IS NULL OR to_date IS NULL THEN
    RAISE EXCEPTION 'from_date and to_date must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF from_date > to_date THEN
    RAISE EXCEPTION 'from_date % is after to_date %', from_date, to_date USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM sales_supervisor.shard_require_all();
  IF to_regclass('pg_temp._sct_month') IS NOT NULL THEN
    DROP TABLE pg_temp._sct_month, pg_temp._sct_day;
  END IF;
  IF to_regclass('pg_temp._sct_whole') IS NOT NULL THEN
    DROP TABLE pg_temp._sct_team, pg_temp._sct_whole;
  END IF;
  CREATE TEMP TABLE _sct_month (member_id integer, month date, refunds boolean, lines bigint, amount numeric) ON COMMIT DROP;
  CREATE TEMP TABLE _sct_day (member_id integer, sold_on date, refunds boolean, lines bigint, amount numeric) ON COMMIT DROP;
  BEGIN
    EXECUTE 'INSERT INTO pg_temp._sct_month ' || sales_supervisor.shard_credit_query() USING from_date, to_date;
    CREATE TEMP TABLE _sct_team ON COMMIT DROP AS SELECT * FROM sales_supervisor.member_team_days();
    CREATE TEMP TABLE _sct_whole ON COMMIT DROP AS   -- months within one assignment
    SELECT cm.member_id, t.team_id, cm.month, cm.refunds, cm.lines, cm.amount
    FROM pg_temp._sct_month cm
    JOIN pg_temp._sct_team t ON t.member_id = cm.member_id
     AND t.days @> daterange(greatest(cm.month, from_date), least((cm.month + interval '1 month')::date, to_date + 1));
    SELECT array_agg(DISTINCT cm.member_id), array_agg(DISTINCT cm.month) INTO v_reps, v_months
    FROM pg_temp._sct_month cm
    WHERE NOT EXISTS (SELECT 1 FROM pg_temp._sct_whole w WHERE w.member_id = cm.member_id AND w.month = cm.month);
    IF v_reps IS NOT NULL THEN
      EXECUTE 'INSERT INTO pg_temp._sct_day ' || sales_supervisor.shard_day_query()
        USING from_date, to_date, v_reps, v_months;
    END IF;
  EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure OR connection_exception THEN
    RAISE EXCEPTION 'a shard became unreachable during the read: nothing was returned'
      USING ERRCODE = 'connection_failure', DETAIL = SQLERRM, HINT = 'shard_status() shows which.';
  END;
  RETURN QUERY
  SELECT w.member_id, w.team_id, w.month, w.refunds, w.lines, w.amount FROM pg_temp._sct_whole w
  UNION ALL
  SELECT d.member_id, coalesce(t.team_id, m.team_id), sales_supervisor.month_start(d.sold_on), d.refunds,
         sum(d.lines)::bigint, sum(d.amount)
  FROM pg_temp._sct_day d
  JOIN sales_supervisor.member m ON m.member_id = d.member_id
  LEFT JOIN pg_temp._sct_team t ON t.member_id = d.member_id AND t.days @> d.sold_on
  WHERE NOT EXISTS (SELECT 1 FROM pg_temp._sct_whole w
                    WHERE w.member_id = d.member_id AND w.month = sales_supervisor.month_start(d.sold_on))
    AND EXISTS (SELECT 1 FROM pg_temp._sct_month cm
                WHERE cm.member_id = d.member_id AND cm.month = sales_supervisor.month_start(d.sold_on))
  GROUP BY 1, 2, 3, 4;
END
$$;
COMMENT ON FUNCTION shard_credit_by_team_month(date, date, name) IS
'credit_by_team_month(from_date, to_date) over the lines held by the registered shards: credited sales per rep, team (the one the rep was in on the sale date, member_team_days) and month, refunds apart -- the fact read of the KPI measures sales_amount, team_sales_amount and forecast_wape. Each shard aggregates its lines per rep and month (pushed down); only the months in which a rep changed team are read again per day, for those reps. Equal to credit_by_team_month of one server while no commission run has credited the dates (it then reads the run''s ledger). Checks every shard first. Reads all lines (no row-level security): HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_credit_by_team_month(date, date, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_credit_by_team_month(date, date, name) TO sales_supervisor_hr;

-- shard_kpi_measure: the KPI measures whose facts the shards hold, computed
-- by kpi_measure's own family functions over the temporary tables they read,
-- filled from the shards: _k_credit_team from shard_credit_by_team_month and
-- _k_credit from it (sales_amount, team_sales_amount: kpi_measure_sales;
-- forecast_wape: kpi_measure_forecast), and csat / nps per scope from the
-- shards' survey components (shard_survey_metrics summed over the scope's
-- customers, nps_from_counts / csat_from_counts, rounded as
-- kpi_measure_service rounds them).  The other metrics read coordinator
-- tables and are kpi_measure's.
CREATE FUNCTION shard_kpi_measure(cycle integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, metric text, actual numeric, target numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  c appraisal_cycle;
  y record;
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'measure KPIs from the shards');
  c := sales_supervisor.appraisal_cycle_row(cycle, false);
  SELECT * INTO y FROM sales_supervisor.year_bounds(c.fiscal_year);
  PERFORM sales_supervisor.shard_require_all();
  IF to_regclass('pg_temp._k_who') IS NOT NULL THEN DROP TABLE pg_temp._k_who; END IF;
  IF to_regclass('pg_temp._k_scope') IS NOT NULL THEN DROP TABLE pg_temp._k_scope; END IF;
  IF to_regclass('pg_temp._k_credit') IS NOT NULL THEN DROP TABLE pg_temp._k_credit; END IF;
  IF to_regclass('pg_temp._k_credit_team') IS NOT NULL THEN DROP TABLE pg_temp._k_credit_team; END IF;
  IF to_regclass('pg_temp._k_survey') IS NOT NULL THEN DROP TABLE pg_temp._k_survey; END IF;
  CREATE TEMP TABLE _k_who ON COMMIT DROP AS SELECT * FROM sales_supervisor.kpi_measure_who(cycle, y.start_on, y.end_on);
  -- scope: the member, plus the members of the subtree of every team they lead (as kpi_measure)
  CREATE TEMP TABLE _k_scope ON COMMIT DROP AS
  WITH RECURSIVE led(member_id, team_id, depth) AS (
    SELECT tl.member_id, tl.team_id, 0 FROM sales_supervisor.team_leader tl JOIN _k_who w ON w.member_id = tl.member_id
    UNION
    SELECT led.member_id, t.team_id, led.depth + 1 FROM sales_supervisor.team t JOIN led ON t.parent_id = led.team_id
    WHERE led.depth < 1000)
  SELECT w.member_id, w.member_id AS scope_id FROM _k_who w
  UNION
  SELECT led.member_id, m.member_id FROM led JOIN sales_supervisor.member m ON m.team_id = led.team_id;
  CREATE TEMP TABLE _k_credit_team ON COMMIT DROP AS
  SELECT * FROM sales_supervisor.shard_credit_by_team_month(y.start_on, y.end_on, login);   -- (the caller's login, not the owner's)
  CREATE TEMP TABLE _k_credit ON COMMIT DROP AS
  SELECT cs.member_id, extract(quarter FROM cs.month)::integer AS quarter, sum(cs.amount) AS amount
  FROM _k_credit_team cs GROUP BY 1, 2;
  CREATE TEMP TABLE _k_survey ON COMMIT DROP AS
  SELECT * FROM sales_supervisor.shard_survey_metrics(y.start_on, y.end_on, login);   -- (the caller's login, not the owner's)
  ANALYZE _k_who; ANALYZE _k_scope; ANALYZE _k_credit; ANALYZE _k_credit_team; ANALYZE _k_survey;
  RETURN QUERY
  SELECT * FROM sales_supervisor.kpi_measure_sales(c.fiscal_year)
  UNION ALL SELECT * FROM sales_supervisor.kpi_measure_forecast(c.fiscal_year)
  UNION ALL
  SELECT sv.member_id, m.metric,
         CASE m.measures WHEN 'csat' THEN sv.csat WHEN 'nps' THEN sv.nps END, NULL::numeric
  FROM (SELECT s.member_id,
               round(sales_supervisor.csat_from_counts(sum(p.satisfied)::bigint, sum(p.csat_answers)::bigint), 4) AS csat,
               round(sales_supervisor.nps_from_counts(sum(p.promoters)::bigint, sum(p.detractors)::bigint,
                                                      sum(p.nps_answers)::bigint), 4) AS nps
        FROM _k_scope s
        JOIN sales_supervisor.customer cu ON cu.owner_id = s.scope_id
        JOIN _k_survey p ON p.customer_id = cu.customer_id
        GROUP BY s.member_id) sv
  CROSS JOIN sales_supervisor.kpi_metrics() m
  WHERE m.measures IN ('csat', 'nps');
END
$$;
COMMENT ON FUNCTION shard_kpi_measure(integer, name) IS
'The KPI measures of an appraisal cycle whose facts the shards hold, as kpi_measure computes them on one server, per member scored: sales_amount and team_sales_amount (kpi_measure_sales) and forecast_wape (kpi_measure_forecast) over the credited sales of shard_credit_by_team_month, csat and nps of the scope''s customers from the shards'' survey counts (shard_survey_metrics, combined exactly, rounded to 4 decimals), as metric, actual and natural target. The other metrics (visits, feedback, training, reports) read coordinator tables: kpi_measure''s. Does not store anything (score_kpis on a coordinator reads the sales facts from the shards itself, and the survey answers on the coordinator). Checks every shard first. HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_kpi_measure(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_kpi_measure(integer, name) TO sales_supervisor_hr;

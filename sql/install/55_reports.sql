-- Layer 5, reports: views with stable names and commented columns for BI tools
-- (Metabase, Superset, Tableau, Power BI, Grafana), and the job that refreshes
-- the materialized ones.
--
-- Security: these views are owned by the extension owner and are NOT
-- security_invoker, so they read the tables as their owner and row-level
-- security does not narrow them.  That is intended for the BI role
-- (sales_supervisor_bi), which holds SELECT on these views and on nothing
-- else: it sees the whole organisation's figures but no raw table.  They are
-- deliberately not granted to the rep, supervisor or manager roles (they would
-- see past their row scope); pay is shown only in groups of three or more.
--
-- Sales are credited by split exactly as the KPIs and the commission credit
-- them (credited_sales): a sales line with sale_credit rows is divided between
-- the credited reps in exact cents (allocate_quota, largest remainder), a line
-- without them counts fully for sale.member_id; refund lines (negative) count
-- the same way.  So a report and an appraisal never differ by a fraction of a
-- cent.  Team figures roll up the team tree: a team's sales figure covers
-- every sale made by a member while in its subtree.  Every team (and level) a
-- view shows is the one in force on the date the row is about
-- (member_assignment, read as member_team_days() reads it): a sale's date
-- (v_rep_sales_month, v_team_attainment), an opportunity's expected close
-- (v_pipeline), the day a rep submitted their latest forecast for the period
-- (v_forecast_accuracy, v_team_scorecard's forecast_wape), a work report's due
-- date (reports_on_time_pct), the last day of the fiscal year or today if
-- earlier (v_team_scorecard's active_members), the last day of the fiscal year
-- or of a leaver's last assignment (v_pay_summary); a rep quota is split over
-- the teams of its period by days (v_team_attainment).  Customers are not
-- dated: customer.team_id.  v_rep_attainment, v_promotion_pipeline and
-- v_org_summary show today's team and level (member).
--
-- The one view that reads the sales lines, v_credited_sales_daily, is
-- materialized (one row per rep and day instead of one per line, so tens of
-- millions of lines become some hundred thousand rows) with a UNIQUE index for
-- REFRESH ... CONCURRENTLY, which the refresh_reports job runs.  Every view
-- built on it is as fresh as its last refresh.  On a coordinator its rows come
-- from the shards (credited_sales_daily), and so do those of every view on it.
--
-- Column types, for the BI tools that read the declared type (JDBC, ODBC):
-- counts are bigint; amounts of money numeric(38,2) (the company currency,
-- exact to the cent; 38 digits hold any sum of numeric(14,2) amounts a bigint
-- can count, and are the widest exact decimal most BI tools take); ratios
-- (attainment, wape, bias, mape; 1 = 100 %) numeric(38,6), rounded to 6
-- decimals; percentages and scores on a -100..100 scale numeric(5,2).  Every
-- column comment says what the figure is and in which unit.

-- ---------------------------------------------------------------------------
-- Sales credited per rep and day (materialized)
-- ---------------------------------------------------------------------------

-- credited_sales_daily: the rows of v_credited_sales_daily.  On a single
-- server the GROUP BY over credited_sales that the view ran before (in
-- PL/pgSQL its RETURN QUERY is planned as that statement, parallel workers
-- included; the rows pass through a tuplestore); on a coordinator (shards
-- registered) the shards' lines, each shard aggregating its own per rep and
-- day (shard_credited_daily_rows).  One shards_registered check per call:
-- a dispatch in the view's own SQL (a gate per branch) would need two, and a
-- branch calling a function that is not parallel safe would take the
-- parallel plan away from the single server's refresh.
CREATE FUNCTION credited_sales_daily()
RETURNS TABLE (member_id integer, sold_on date, credited_amount numeric, sales_lines bigint, refund_lines bigint,
               split_lines bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF sales_supervisor.shards_registered() THEN
    RETURN QUERY SELECT * FROM sales_supervisor.shard_credited_daily_rows('-infinity', 'infinity');
    RETURN;
  END IF;
  RETURN QUERY
  SELECT cs.member_id, cs.sold_on, sum(cs.amount), count(*),
         count(*) FILTER (WHERE cs.refund_of IS NOT NULL), count(*) FILTER (WHERE cs.share_pct < 100)
  FROM sales_supervisor.credited_sales('-infinity', 'infinity') cs
  GROUP BY 1, 2;
END
$$;
COMMENT ON FUNCTION credited_sales_daily() IS
'Internal: the rows of the materialized v_credited_sales_daily -- sales credited per rep and day as credited_sales credits them, with the counts of lines, refund lines and split lines -- from this server''s lines on a single server, from the shards'' (each aggregating its own lines, shard_credited_daily_rows) on a coordinator. Run by REFRESH MATERIALIZED VIEW as the view''s owner: reads every line.';
REVOKE ALL ON FUNCTION credited_sales_daily() FROM PUBLIC;

CREATE MATERIALIZED VIEW v_credited_sales_daily AS
SELECT d.member_id,
       d.sold_on,
       d.credited_amount::numeric(38,2) AS credited_amount,
       d.sales_lines,
       d.refund_lines,
       d.split_lines
FROM credited_sales_daily() d;
CREATE UNIQUE INDEX v_credited_sales_daily_key ON v_credited_sales_daily (member_id, sold_on);
CREATE INDEX v_credited_sales_daily_sold_on_idx ON v_credited_sales_daily (sold_on);
COMMENT ON MATERIALIZED VIEW v_credited_sales_daily IS
'Materialized: sales credited to each rep per day as credited_sales credits them (a split line divided between its reps in exact cents), refunds negative; on a coordinator the lines of the shards, each shard aggregating its own (credited_sales_daily). As fresh as the last run of the refresh_reports job (REFRESH MATERIALIZED VIEW CONCURRENTLY).';
COMMENT ON COLUMN v_credited_sales_daily.member_id IS 'Id of the rep credited (member.member_id).';
COMMENT ON COLUMN v_credited_sales_daily.sold_on IS 'Day of the sales lines (date sold).';
COMMENT ON COLUMN v_credited_sales_daily.credited_amount IS 'Sales credited to the rep that day, in the company currency to the cent (split credit, refunds negative).';
COMMENT ON COLUMN v_credited_sales_daily.sales_lines IS 'Count of sales lines credited to the rep that day (a split line counts once for each credited rep).';
COMMENT ON COLUMN v_credited_sales_daily.refund_lines IS 'Count of those lines that are refund or cancellation lines.';
COMMENT ON COLUMN v_credited_sales_daily.split_lines IS 'Count of those lines whose credit is split between reps.';
GRANT SELECT ON v_credited_sales_daily TO sales_supervisor_bi;

CREATE VIEW v_rep_sales_month AS
WITH team_days AS (   -- member_team_days() written out: a view reads tables as its owner, not functions
  SELECT a.member_id, a.team_id, a.level,
         daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                   CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END) AS days
  FROM member_assignment a
  WINDOW w AS (PARTITION BY a.member_id))
SELECT d.member_id, m.full_name, a.team_id, date_trunc('month', d.sold_on)::date AS month,
       sum(d.credited_amount)::numeric(38,2) AS credited_amount, sum(d.sales_lines)::bigint AS sales_lines,
       sum(d.refund_lines)::bigint AS refund_lines, sum(d.split_lines)::bigint AS split_lines
FROM v_credited_sales_daily d
JOIN member m ON m.member_id = d.member_id
JOIN team_days a ON a.member_id = d.member_id AND a.days @> d.sold_on   -- each day's credit for the team that day
GROUP BY d.member_id, m.full_name, a.team_id, date_trunc('month', d.sold_on);
COMMENT ON VIEW v_rep_sales_month IS
'Sales credited to each rep per calendar month and team, the team being the one the rep was in on the sale date (member_assignment): a month in which the rep changed team has one row per team. From the materialized v_credited_sales_daily: as fresh as its last refresh.';
COMMENT ON COLUMN v_rep_sales_month.member_id IS 'Id of the rep credited (member.member_id).';
COMMENT ON COLUMN v_rep_sales_month.full_name IS 'Full name of the rep.';
COMMENT ON COLUMN v_rep_sales_month.team_id IS 'Team the rep was in on the sale dates of the row (team.team_id; member_assignment).';
COMMENT ON COLUMN v_rep_sales_month.month IS 'First day of the calendar month.';
COMMENT ON COLUMN v_rep_sales_month.credited_amount IS 'Sales credited to the rep in the month while in the team, in the company currency to the cent (split credit, refunds negative).';
COMMENT ON COLUMN v_rep_sales_month.sales_lines IS 'Count of sales lines credited to the rep in the month while in the team.';
COMMENT ON COLUMN v_rep_sales_month.refund_lines IS 'Count of those lines that are refund lines.';
COMMENT ON COLUMN v_rep_sales_month.split_lines IS 'Count of those lines whose credit is split between reps.';
GRANT SELECT ON v_rep_sales_month TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Attainment against quota, per rep and per team, by fiscal period
-- ---------------------------------------------------------------------------

CREATE VIEW v_rep_attainment AS
WITH team_days AS (   -- member_team_days() written out: a view reads tables as its owner, not functions
  SELECT a.member_id, a.team_id, a.level,
         daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                   CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END) AS days
  FROM member_assignment a
  WINDOW w AS (PARTITION BY a.member_id))
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month, fp.start_on, fp.end_on,
       m.member_id, m.full_name, coalesce(td.team_id, m.team_id) AS team_id, coalesce(td.level, m.level) AS level,
       q.amount AS quota, s.credited_sales, s.sales_lines,
       kpi_attainment(s.credited_sales + rf.credit, q.amount - rf.reduction)::numeric(38,6) AS attainment,
       rf.reduction AS quota_relief, rf.credit AS relief_credit
FROM fiscal_period fp
CROSS JOIN member m
LEFT JOIN team_days td ON td.member_id = m.member_id AND td.days @> fp.end_on
LEFT JOIN quota q ON q.member_id = m.member_id AND q.period_id = fp.period_id
CROSS JOIN LATERAL (   -- quota_relief_for, written out: a view's functions run as the caller (the BI role reads no table)
  SELECT coalesce(sum(r.amount) FILTER (WHERE r.kind = 'reduction'), 0)::numeric(14,2) AS reduction,
         coalesce(sum(r.amount) FILTER (WHERE r.kind = 'credit'), 0)::numeric(14,2) AS credit
  FROM quota_relief r JOIN fiscal_period pr ON pr.period_id = r.period_id
  WHERE r.member_id = m.member_id AND pr.start_on >= fp.start_on AND pr.end_on <= fp.end_on) rf
CROSS JOIN LATERAL (
  SELECT coalesce(sum(d.credited_amount), 0)::numeric(38,2) AS credited_sales,
         coalesce(sum(d.sales_lines), 0)::bigint AS sales_lines
  FROM v_credited_sales_daily d
  WHERE d.member_id = m.member_id AND d.sold_on BETWEEN fp.start_on AND fp.end_on) s
WHERE q.quota_id IS NOT NULL OR s.sales_lines > 0;
COMMENT ON VIEW v_rep_attainment IS
'Attainment of each rep per fiscal period (year, quarter, month): credited sales (split credit, refunds netted) against the rep''s quota, net of quota relief (reductions lower the quota, credits count as sold), kpi_attainment(sales + relief credit, quota - relief). One row per member and period where the member has a quota or sales. Sales come from the materialized v_credited_sales_daily.';
COMMENT ON COLUMN v_rep_attainment.period_id IS 'Id of the fiscal period (fiscal_period.period_id).';
COMMENT ON COLUMN v_rep_attainment.period_kind IS 'Kind of the period: year, quarter or month.';
COMMENT ON COLUMN v_rep_attainment.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_rep_attainment.quarter IS 'Quarter of the fiscal year, 1..4 (NULL for a year).';
COMMENT ON COLUMN v_rep_attainment.month IS 'Month of the fiscal year, 1..12 (months only).';
COMMENT ON COLUMN v_rep_attainment.start_on IS 'First day of the period.';
COMMENT ON COLUMN v_rep_attainment.end_on IS 'Last day of the period (inclusive).';
COMMENT ON COLUMN v_rep_attainment.member_id IS 'Id of the member measured (member.member_id).';
COMMENT ON COLUMN v_rep_attainment.full_name IS 'Full name of the member.';
COMMENT ON COLUMN v_rep_attainment.team_id IS 'Member''s team on the last day of the period (member_assignment; a member who left before it: their last team) (team.team_id).';
COMMENT ON COLUMN v_rep_attainment.level IS 'Member''s career level on the last day of the period (member_assignment).';
COMMENT ON COLUMN v_rep_attainment.quota IS 'Quota of the member for the period, in the company currency; NULL when none is set.';
COMMENT ON COLUMN v_rep_attainment.credited_sales IS 'Sales credited to the member within the period, in the company currency to the cent (0 when none).';
COMMENT ON COLUMN v_rep_attainment.sales_lines IS 'Count of sales lines credited to the member within the period.';
COMMENT ON COLUMN v_rep_attainment.attainment IS 'kpi_attainment(credited_sales + relief_credit, quota - quota_relief) as a ratio with 6 decimals: 1.000000 = quota met (100 %); NULL without a quota or with a zero quota.';
COMMENT ON COLUMN v_rep_attainment.quota_relief IS 'Quota relief (reductions) counting for the period: quota_relief rows of the period and of the periods within it (0 when none).';
COMMENT ON COLUMN v_rep_attainment.relief_credit IS 'Relief credited towards the quota (counts as sold) for the period (0 when none).';
GRANT SELECT ON v_rep_attainment TO sales_supervisor_bi;

CREATE VIEW v_team_attainment AS
WITH RECURSIVE subtree(team_id, sub_team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT st.team_id, c.team_id, st.depth + 1
  FROM subtree st JOIN team c ON c.parent_id = st.sub_team_id
  WHERE st.depth < 1000),
seller_team AS (   -- member_team_days() written out: a view reads tables as its owner, not functions
  SELECT a.member_id, a.team_id,
         daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                   CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END) AS days
  FROM member_assignment a
  WINDOW w AS (PARTITION BY a.member_id)),
seller_team_period AS (   -- each day's credit for the team the rep was in that day
  SELECT fp.period_id, a.team_id, sum(d.credited_amount) AS credited, sum(d.sales_lines) AS lines
  FROM fiscal_period fp
  JOIN v_credited_sales_daily d ON d.sold_on BETWEEN fp.start_on AND fp.end_on
  JOIN seller_team a ON a.member_id = d.member_id AND a.days @> d.sold_on
  GROUP BY fp.period_id, a.team_id),
team_period AS (
  SELECT st.team_id, rp.period_id, sum(rp.credited) AS credited, sum(rp.lines) AS lines
  FROM seller_team_period rp
  JOIN subtree st ON st.sub_team_id = rp.team_id
  GROUP BY st.team_id, rp.period_id),
rep_quota_part AS (   -- each rep quota over the member's assignments in its period, by days, exactly
                      -- (allocate_quota); a part whose assignment began with quota_policy leave
                      -- stays with the team before it; no assignment in the period: today's team
  SELECT q.period_id, coalesce(CASE WHEN a.quota_policy = 'leave' THEN a.prev_team END, a.team_id, m.team_id) AS team_id,
         CASE WHEN a.team_id IS NULL THEN q.amount
              ELSE allocate_quota(q.amount, a.days::numeric) OVER (PARTITION BY q.quota_id ORDER BY a.first_day) END AS amount
  FROM quota q
  JOIN fiscal_period qp ON qp.period_id = q.period_id
  JOIN member m ON m.member_id = q.member_id
  LEFT JOIN LATERAL (
    SELECT a.team_id, a.quota_policy, lower(a.valid) AS first_day,
           upper(a.valid * daterange(qp.start_on, qp.end_on, '[]')) - lower(a.valid * daterange(qp.start_on, qp.end_on, '[]')) AS days,
           (SELECT b.team_id FROM member_assignment b WHERE b.member_id = a.member_id AND upper(b.valid) = lower(a.valid)) AS prev_team
    FROM member_assignment a
    WHERE a.member_id = q.member_id AND a.valid && daterange(qp.start_on, qp.end_on, '[]')) a ON true),
team_rep_quota AS (
  SELECT st.team_id, rp.period_id, sum(rp.amount) AS rep_quotas
  FROM rep_quota_part rp
  JOIN subtree st ON st.sub_team_id = rp.team_id
  GROUP BY st.team_id, rp.period_id)
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month, fp.start_on, fp.end_on,
       t.team_id, t.name AS team_name, t.parent_id,
       tq.amount AS team_quota, trq.rep_quotas::numeric(38,2) AS rep_quotas,
       coalesce(tp.credited, 0)::numeric(38,2) AS credited_sales, coalesce(tp.lines, 0)::bigint AS sales_lines,
       kpi_attainment(coalesce(tp.credited, 0), tq.amount)::numeric(38,6) AS attainment,
       kpi_attainment(coalesce(tp.credited, 0), trq.rep_quotas)::numeric(38,6) AS attainment_vs_rep_quotas
FROM fiscal_period fp
CROSS JOIN team t
LEFT JOIN quota tq ON tq.team_id = t.team_id AND tq.period_id = fp.period_id
LEFT JOIN team_rep_quota trq ON trq.team_id = t.team_id AND trq.period_id = fp.period_id
LEFT JOIN team_period tp ON tp.team_id = t.team_id AND tp.period_id = fp.period_id;
COMMENT ON VIEW v_team_attainment IS
'Attainment of each team per fiscal period, rolled up the team tree: sales credited to the members while they were in the team''s subtree (member_assignment: a sale counts for the team its rep was in on the sale date), against the team''s own quota and against the sum of its members'' quotas -- each rep quota counted for the teams the rep was in during its period, split by days exactly (allocate_quota), a transfer with quota_policy leave leaving the rest with the team before. One row per team and period.';
COMMENT ON COLUMN v_team_attainment.period_id IS 'Id of the fiscal period (fiscal_period.period_id).';
COMMENT ON COLUMN v_team_attainment.period_kind IS 'Kind of the period: year, quarter or month.';
COMMENT ON COLUMN v_team_attainment.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_team_attainment.quarter IS 'Quarter of the fiscal year, 1..4 (NULL for a year).';
COMMENT ON COLUMN v_team_attainment.month IS 'Month of the fiscal year, 1..12 (months only).';
COMMENT ON COLUMN v_team_attainment.start_on IS 'First day of the period.';
COMMENT ON COLUMN v_team_attainment.end_on IS 'Last day of the period (inclusive).';
COMMENT ON COLUMN v_team_attainment.team_id IS 'Team measured (team.team_id); its whole subtree is counted.';
COMMENT ON COLUMN v_team_attainment.team_name IS 'Name of the team.';
COMMENT ON COLUMN v_team_attainment.parent_id IS 'Parent team (team.team_id; NULL for a department).';
COMMENT ON COLUMN v_team_attainment.team_quota IS 'Quota set for the team itself for the period, in the company currency; NULL when none.';
COMMENT ON COLUMN v_team_attainment.rep_quotas IS 'Sum of the members'' quotas counted for the subtree for the period, in the company currency (a member there for part of the period counts for those days, split exactly; after a transfer with quota_policy leave the rest stays with the old team); NULL when none.';
COMMENT ON COLUMN v_team_attainment.credited_sales IS 'Sales credited within the period to members while they were in the subtree (by sale date), in the company currency to the cent.';
COMMENT ON COLUMN v_team_attainment.sales_lines IS 'Count of sales lines credited to them within the period.';
COMMENT ON COLUMN v_team_attainment.attainment IS 'kpi_attainment(credited_sales, team_quota) as a ratio with 6 decimals (1.000000 = 100 %); NULL without a team quota.';
COMMENT ON COLUMN v_team_attainment.attainment_vs_rep_quotas IS 'kpi_attainment(credited_sales, rep_quotas) as a ratio with 6 decimals (1.000000 = 100 %): against the members'' quotas added up.';
GRANT SELECT ON v_team_attainment TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Pipeline and forecast accuracy
-- ---------------------------------------------------------------------------

CREATE VIEW v_pipeline AS
WITH team_days AS (   -- member_team_days() written out: a view reads tables as its owner, not functions
  SELECT a.member_id, a.team_id, a.level,
         daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                   CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END) AS days
  FROM member_assignment a
  WINDOW w AS (PARTITION BY a.member_id))
SELECT o.member_id, m.full_name, a.team_id, o.stage,
       date_trunc('month', o.expected_close)::date AS expected_close_month,
       count(*) AS opportunities, sum(o.amount)::numeric(38,2) AS amount,
       (sum(o.amount * o.probability) / 100)::numeric(38,2) AS weighted_amount
FROM opportunity o
JOIN member m ON m.member_id = o.member_id
JOIN team_days a ON a.member_id = o.member_id AND a.days @> o.expected_close
GROUP BY o.member_id, m.full_name, a.team_id, o.stage, date_trunc('month', o.expected_close);
COMMENT ON VIEW v_pipeline IS
'Sales pipeline per rep, team, stage and month of expected close: number of opportunities, their amount and the amount weighted by probability. The team is the one in force on each opportunity''s expected close date (member_assignment, future-dated transfers included), so a month in which the rep changes team has one row per team. won and lost are the closed stages.';
COMMENT ON COLUMN v_pipeline.member_id IS 'Rep who owns the opportunities (member.member_id).';
COMMENT ON COLUMN v_pipeline.full_name IS 'Full name of the rep.';
COMMENT ON COLUMN v_pipeline.team_id IS 'Team the rep is (or was) in on the opportunities'' expected close date (team.team_id; member_assignment, future-dated transfers included).';
COMMENT ON COLUMN v_pipeline.stage IS 'Pipeline stage of the opportunities (won and lost are closed).';
COMMENT ON COLUMN v_pipeline.expected_close_month IS 'First day of the month the opportunities are expected to close.';
COMMENT ON COLUMN v_pipeline.opportunities IS 'Count of opportunities in the group.';
COMMENT ON COLUMN v_pipeline.amount IS 'Sum of their expected deal amounts, in the company currency.';
COMMENT ON COLUMN v_pipeline.weighted_amount IS 'Sum of amount x probability / 100 (the expected value of the pipeline), in the company currency rounded to the cent.';
GRANT SELECT ON v_pipeline TO sales_supervisor_bi;

CREATE VIEW v_forecast_accuracy AS
WITH team_days AS (   -- member_team_days() written out: a view reads tables as its owner, not functions
  SELECT a.member_id, a.team_id, a.level,
         daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                   CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END) AS days
  FROM member_assignment a
  WINDOW w AS (PARTITION BY a.member_id)),
latest AS (
  SELECT DISTINCT ON (f.member_id, f.period_id) f.member_id, f.period_id, f.amount, f.submitted_at
  FROM forecast f
  ORDER BY f.member_id, f.period_id, f.submitted_at DESC),
fa AS (   -- each latest forecast for the team the rep was in the day they submitted it
  SELECT l.period_id, a.team_id, l.member_id, l.amount AS forecast,
         (SELECT coalesce(sum(d.credited_amount), 0) FROM v_credited_sales_daily d
          WHERE d.member_id = l.member_id AND d.sold_on BETWEEN fp.start_on AND fp.end_on) AS actual
  FROM latest l
  JOIN fiscal_period fp ON fp.period_id = l.period_id
  JOIN team_days a ON a.member_id = l.member_id AND a.days @> l.submitted_at::date)
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month,
       fa.team_id, t.name AS team_name,
       count(*) AS forecasts, sum(fa.forecast)::numeric(38,2) AS forecast_total,
       sum(fa.actual)::numeric(38,2) AS actual_total,
       wape(fa.actual::float8, fa.forecast::float8)::numeric(38,6) AS wape,
       forecast_bias(fa.actual::float8, fa.forecast::float8)::numeric(38,6) AS forecast_bias,
       mape(fa.actual::float8, fa.forecast::float8)::numeric(38,6) AS mape
FROM fa
JOIN fiscal_period fp ON fp.period_id = fa.period_id
JOIN team t ON t.team_id = fa.team_id
GROUP BY fp.period_id, fp.kind, fp.fiscal_year, fp.quarter, fp.month, fa.team_id, t.name;
COMMENT ON VIEW v_forecast_accuracy IS
'Forecast accuracy per fiscal period and team: each rep''s latest forecast for the period against the sales credited to them within the period, with the wape, forecast_bias and mape aggregates. A forecast counts for the team the rep was in on the day they submitted it (submitted_at::date in the session time zone; member_assignment). Actuals come from the materialized v_credited_sales_daily.';
COMMENT ON COLUMN v_forecast_accuracy.period_id IS 'Fiscal period forecast (fiscal_period.period_id).';
COMMENT ON COLUMN v_forecast_accuracy.period_kind IS 'Kind of the period: year, quarter or month.';
COMMENT ON COLUMN v_forecast_accuracy.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_forecast_accuracy.quarter IS 'Quarter of the fiscal year, 1..4 (NULL for a year).';
COMMENT ON COLUMN v_forecast_accuracy.month IS 'Month of the fiscal year, 1..12 (months only).';
COMMENT ON COLUMN v_forecast_accuracy.team_id IS 'Team the forecasting reps were in on the day they submitted their latest forecast for the period (team.team_id; member_assignment).';
COMMENT ON COLUMN v_forecast_accuracy.team_name IS 'Name of the team.';
COMMENT ON COLUMN v_forecast_accuracy.forecasts IS 'Count of reps with a forecast for the period.';
COMMENT ON COLUMN v_forecast_accuracy.forecast_total IS 'Sum of their latest forecasts, in the company currency.';
COMMENT ON COLUMN v_forecast_accuracy.actual_total IS 'Sum of the sales credited to them within the period, in the company currency to the cent.';
COMMENT ON COLUMN v_forecast_accuracy.wape IS 'wape(actual, forecast) = sum |forecast - actual| / sum |actual|, a ratio with 6 decimals (0.1 = 10 % error); NULL when no sales.';
COMMENT ON COLUMN v_forecast_accuracy.forecast_bias IS 'forecast_bias(actual, forecast) = sum (forecast - actual) / sum |actual|, a ratio with 6 decimals: positive when the team over-forecasts.';
COMMENT ON COLUMN v_forecast_accuracy.mape IS 'mape(actual, forecast): mean of |forecast - actual| / |actual| over reps with sales, a ratio with 6 decimals.';
GRANT SELECT ON v_forecast_accuracy TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Customers
-- ---------------------------------------------------------------------------

CREATE VIEW v_customer_health AS
SELECT c.customer_id, c.name AS customer_name, c.tier, c.industry, c.region, c.team_id, c.owner_id,
       m.full_name AS owner_name, c.active,
       lv.last_visit_on,
       coalesce(lv.last_visit_on, c.since) + vc.every_days AS next_visit_due_on,
       c.active AND coalesce(lv.last_visit_on, c.since) + vc.every_days < CURRENT_DATE AS visit_overdue,
       CASE WHEN c.active AND coalesce(lv.last_visit_on, c.since) + vc.every_days < CURRENT_DATE
            THEN CURRENT_DATE - (coalesce(lv.last_visit_on, c.since) + vc.every_days) END AS days_overdue,
       vf.flagged_on AS overdue_flagged_on,
       sv.responses AS survey_responses, sv.csat_pct::numeric(5,2) AS csat_pct, sv.nps::numeric(5,2) AS nps,
       sv.last_response_at,
       coalesce(fb.open_feedback, 0) AS open_feedback, coalesce(fb.open_complaints, 0) AS open_complaints,
       coalesce(fo.overdue_feedback, 0) AS overdue_feedback
FROM customer c
JOIN visit_cadence vc ON vc.tier = c.tier
JOIN member m ON m.member_id = c.owner_id
LEFT JOIN LATERAL (SELECT max(cv.done_at)::date AS last_visit_on FROM customer_visit cv
                   WHERE cv.customer_id = c.customer_id AND cv.done_at IS NOT NULL) lv ON true
LEFT JOIN visit_overdue_flag vf ON vf.customer_id = c.customer_id
LEFT JOIN LATERAL (SELECT count(*) AS responses, csat(r.csat) AS csat_pct, nps(r.nps) AS nps,
                          max(r.answered_at) AS last_response_at
                   FROM survey_response r WHERE r.customer_id = c.customer_id) sv ON true
LEFT JOIN LATERAL (SELECT count(*) AS open_feedback, count(*) FILTER (WHERE f.kind = 'complaint') AS open_complaints
                   FROM feedback f WHERE f.customer_id = c.customer_id AND f.resolved_at IS NULL) fb ON true
LEFT JOIN LATERAL (SELECT count(*) AS overdue_feedback FROM feedback_overdue_flag o
                   WHERE o.customer_id = c.customer_id) fo ON true;
COMMENT ON VIEW v_customer_health IS
'Health of each customer: tier, owner, last done visit and the next one due (overdue by the tier''s cadence, the rule of overdue_visit, evaluated today), when the overdue_visits job flagged it, survey results with the csat and nps aggregates over all responses, unresolved feedback and the items the overdue_feedback job flagged.';
COMMENT ON COLUMN v_customer_health.customer_id IS 'Id of the customer (customer.customer_id).';
COMMENT ON COLUMN v_customer_health.customer_name IS 'Name of the customer.';
COMMENT ON COLUMN v_customer_health.tier IS 'Customer tier code, for example A, B or C (visit_cadence.tier: decides the visit cadence).';
COMMENT ON COLUMN v_customer_health.industry IS 'Industry of the customer.';
COMMENT ON COLUMN v_customer_health.region IS 'Sales region of the customer.';
COMMENT ON COLUMN v_customer_health.team_id IS 'Team that owns the customer (team.team_id).';
COMMENT ON COLUMN v_customer_health.owner_id IS 'Rep who owns the customer (member.member_id).';
COMMENT ON COLUMN v_customer_health.owner_name IS 'Full name of the owning rep.';
COMMENT ON COLUMN v_customer_health.active IS 'Whether the customer is current; false for former customers.';
COMMENT ON COLUMN v_customer_health.last_visit_on IS 'Date of the last done visit (NULL if never visited).';
COMMENT ON COLUMN v_customer_health.next_visit_due_on IS 'Last done visit (or customer-since date) plus the tier''s cadence.';
COMMENT ON COLUMN v_customer_health.visit_overdue IS 'True when an active customer''s next visit was due before today.';
COMMENT ON COLUMN v_customer_health.days_overdue IS 'Days since the visit was due (a whole number of days), when overdue; NULL otherwise.';
COMMENT ON COLUMN v_customer_health.overdue_flagged_on IS 'Date the overdue_visits job first flagged the customer (NULL when not flagged at its last run).';
COMMENT ON COLUMN v_customer_health.survey_responses IS 'Count of the customer''s survey responses (all time).';
COMMENT ON COLUMN v_customer_health.csat_pct IS 'csat(): percentage 0..100 (2 decimals) of satisfied answers (4 or 5 of 5); NULL without CSAT answers.';
COMMENT ON COLUMN v_customer_health.nps IS 'nps(): net promoter score on the -100..100 scale (2 decimals); NULL without NPS answers.';
COMMENT ON COLUMN v_customer_health.last_response_at IS 'When the latest survey response came in (timestamp).';
COMMENT ON COLUMN v_customer_health.open_feedback IS 'Count of unresolved feedback items (open or in progress).';
COMMENT ON COLUMN v_customer_health.open_complaints IS 'Count of those items that are complaints.';
COMMENT ON COLUMN v_customer_health.overdue_feedback IS 'Count of feedback items past their response deadline at the last run of the overdue_feedback job.';
GRANT SELECT ON v_customer_health TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Team scorecard
-- ---------------------------------------------------------------------------

CREATE VIEW v_team_scorecard AS
WITH RECURSIVE subtree(team_id, sub_team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT st.team_id, c.team_id, st.depth + 1
  FROM subtree st JOIN team c ON c.parent_id = st.sub_team_id
  WHERE st.depth < 1000),
team_days AS (   -- member_team_days() written out: a view reads tables as its owner, not functions
  SELECT a.member_id, a.team_id, a.level,
         daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                   CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END) AS days
  FROM member_assignment a
  WINDOW w AS (PARTITION BY a.member_id)),
yr AS (SELECT fp.period_id, fp.fiscal_year, fp.start_on, fp.end_on, least(fp.end_on, CURRENT_DATE) AS as_of
       FROM fiscal_period fp WHERE fp.kind = 'year'),
quarter_forecast AS (   -- each rep's latest forecast for each quarter against the rep's credited
                        -- sales in it, for the team the rep was in the day they submitted it
  SELECT q.fiscal_year, a.team_id, l.amount AS forecast,
         (SELECT coalesce(sum(d.credited_amount), 0) FROM v_credited_sales_daily d
          WHERE d.member_id = l.member_id AND d.sold_on BETWEEN q.start_on AND q.end_on) AS actual
  FROM fiscal_period q
  JOIN LATERAL (SELECT DISTINCT ON (f.member_id) f.member_id, f.amount, f.submitted_at FROM forecast f
                WHERE f.period_id = q.period_id
                ORDER BY f.member_id, f.submitted_at DESC) l ON true
  JOIN team_days a ON a.member_id = l.member_id AND a.days @> l.submitted_at::date
  WHERE q.kind = 'quarter'),
team_wape AS (   -- by subtree and year, in one pass (not a scan of every forecast per team)
  SELECT st.team_id, qf.fiscal_year, wape(qf.actual::float8, qf.forecast::float8) AS wape
  FROM quarter_forecast qf JOIN subtree st ON st.sub_team_id = qf.team_id
  GROUP BY st.team_id, qf.fiscal_year)
SELECT t.team_id, t.name AS team_name, t.parent_id, yr.fiscal_year,
       (SELECT count(*) FROM member m   -- employed on as_of, in the subtree that day
        JOIN team_days a ON a.member_id = m.member_id AND a.days @> yr.as_of
        JOIN subtree st ON st.sub_team_id = a.team_id
        WHERE st.team_id = t.team_id AND m.hire_date <= yr.as_of
          AND (m.left_on >= yr.as_of OR m.left_on IS NULL AND m.active)) AS active_members,
       (SELECT count(*) FROM customer c JOIN subtree st ON st.sub_team_id = c.team_id
        WHERE st.team_id = t.team_id AND c.active) AS active_customers,
       ta.credited_sales, ta.team_quota, ta.attainment,
       tw.wape::numeric(38,6) AS forecast_wape,
       sv.responses AS survey_responses, sv.csat_pct::numeric(5,2) AS csat_pct, sv.nps::numeric(5,2) AS nps,
       (SELECT count(*) FROM feedback f JOIN customer c ON c.customer_id = f.customer_id
        JOIN subtree st ON st.sub_team_id = c.team_id
        WHERE st.team_id = t.team_id AND f.kind = 'complaint'
          AND f.opened_at >= yr.start_on AND f.opened_at < yr.end_on + 1) AS complaints,
       (SELECT count(*) FROM visit_overdue_flag vf JOIN subtree st ON st.sub_team_id = vf.team_id
        WHERE st.team_id = t.team_id) AS overdue_customers_now,
       (SELECT round(100.0 * count(*) FILTER (WHERE w.submitted_at IS NOT NULL AND w.submitted_at::date <= w.due_on)
                     / nullif(count(*), 0), 2)
        FROM work_report w JOIN team_days a ON a.member_id = w.member_id AND a.days @> w.due_on
        JOIN subtree st ON st.sub_team_id = a.team_id
        WHERE st.team_id = t.team_id AND w.due_on BETWEEN yr.start_on AND yr.end_on)::numeric(5,2) AS reports_on_time_pct
FROM team t
CROSS JOIN yr
LEFT JOIN v_team_attainment ta ON ta.team_id = t.team_id AND ta.period_id = yr.period_id
LEFT JOIN team_wape tw ON tw.team_id = t.team_id AND tw.fiscal_year = yr.fiscal_year
LEFT JOIN LATERAL (SELECT count(*) AS responses, csat(r.csat) AS csat_pct, nps(r.nps) AS nps
                   FROM survey_response r JOIN customer c ON c.customer_id = r.customer_id
                   JOIN subtree st ON st.sub_team_id = c.team_id
                   WHERE st.team_id = t.team_id
                     AND r.answered_at >= yr.start_on AND r.answered_at < yr.end_on + 1) sv ON true;
COMMENT ON VIEW v_team_scorecard IS
'One row per team and fiscal year, rolled up the team tree (the team and every team below it): head counts, credited sales against the team''s yearly quota, forecast error (wape of the reps'' latest quarterly forecasts), customer satisfaction (csat, nps of the year''s survey responses), complaints received in the year, customers flagged overdue for a visit at the last overdue_visits run, and the share of work reports submitted on time. Members count for the team they were in on the date each figure is about (member_assignment): members on the last day of the year (today while the year runs), sales on the sale date, forecasts on the day submitted, work reports on the due date. Customers count for the team that owns them today (customer.team_id; customers are not dated).';
COMMENT ON COLUMN v_team_scorecard.team_id IS 'Team measured (team.team_id); its whole subtree is counted.';
COMMENT ON COLUMN v_team_scorecard.team_name IS 'Name of the team.';
COMMENT ON COLUMN v_team_scorecard.parent_id IS 'Parent team (team.team_id; NULL for a department).';
COMMENT ON COLUMN v_team_scorecard.fiscal_year IS 'Fiscal year (a fiscal_period of kind year).';
COMMENT ON COLUMN v_team_scorecard.active_members IS 'Count of members employed on the last day of the year, or today while the year runs (hired by then, and left_on not before it, or no left_on and active), who were in the subtree that day (member_assignment).';
COMMENT ON COLUMN v_team_scorecard.active_customers IS 'Count of active customers owned by teams of the subtree today (customer.team_id; customers are not dated).';
COMMENT ON COLUMN v_team_scorecard.credited_sales IS 'Sales credited in the year to members while they were in the subtree (by sale date), in the company currency to the cent.';
COMMENT ON COLUMN v_team_scorecard.team_quota IS 'The team''s quota for the year, in the company currency; NULL when none.';
COMMENT ON COLUMN v_team_scorecard.attainment IS 'kpi_attainment(credited_sales, team_quota) as a ratio with 6 decimals (1.000000 = 100 %); NULL without a team quota.';
COMMENT ON COLUMN v_team_scorecard.forecast_wape IS 'wape of the reps'' latest forecasts for the year''s quarters against their credited sales in the quarter, a ratio with 6 decimals (0.1 = 10 % error), each forecast counted for the subtree the rep was in on the day they submitted it; NULL without forecasts or sales.';
COMMENT ON COLUMN v_team_scorecard.survey_responses IS 'Count of survey responses received in the year from the subtree''s customers.';
COMMENT ON COLUMN v_team_scorecard.csat_pct IS 'csat() of those responses: percentage 0..100 (2 decimals) of satisfied answers; NULL without CSAT answers.';
COMMENT ON COLUMN v_team_scorecard.nps IS 'nps() of those responses: net promoter score on the -100..100 scale (2 decimals); NULL without NPS answers.';
COMMENT ON COLUMN v_team_scorecard.complaints IS 'Count of complaints opened in the year by the subtree''s customers.';
COMMENT ON COLUMN v_team_scorecard.overdue_customers_now IS 'Count of customers of the subtree flagged overdue for a visit at the last overdue_visits run (a current figure, not the year''s).';
COMMENT ON COLUMN v_team_scorecard.reports_on_time_pct IS 'Percentage 0..100 (2 decimals) of the work reports due in the year, from members in the subtree on the due date, that were submitted by their due date; NULL when none were due.';
GRANT SELECT ON v_team_scorecard TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Appraisal, promotion, pay
-- ---------------------------------------------------------------------------

CREATE VIEW v_grade_distribution AS
SELECT gp.cycle_id, c.fiscal_year, c.state AS cycle_state, gp.grade, gp.ordinal,
       gp.distribution_pct AS target_pct, n.graded,
       CASE WHEN sh.forced THEN (allocate_quota(n.graded::numeric, sh.shares))[sh.pos]::bigint END AS target_count,
       coalesce(a.actual, 0) AS actual_count,
       round(100.0 * coalesce(a.actual, 0) / nullif(n.graded, 0), 2)::numeric(5,2) AS actual_pct,
       CASE WHEN sh.forced THEN coalesce(a.actual, 0) - (allocate_quota(n.graded::numeric, sh.shares))[sh.pos]::bigint END
         AS deviation
FROM grade_policy gp
JOIN appraisal_cycle c ON c.cycle_id = gp.cycle_id
CROSS JOIN LATERAL (SELECT count(*) AS graded FROM appraisal_result r
                    WHERE r.cycle_id = gp.cycle_id AND r.grade IS NOT NULL) n
CROSS JOIN LATERAL (SELECT array_agg(g.distribution_pct ORDER BY g.ordinal) AS shares,
                           bool_and(g.distribution_pct IS NOT NULL) AND sum(g.distribution_pct) > 0 AS forced,
                           count(*) FILTER (WHERE g.ordinal < gp.ordinal) + 1 AS pos
                    FROM grade_policy g WHERE g.cycle_id = gp.cycle_id) sh
LEFT JOIN LATERAL (SELECT count(*) AS actual FROM appraisal_result r
                   WHERE r.cycle_id = gp.cycle_id AND r.grade = gp.grade) a ON true;
COMMENT ON VIEW v_grade_distribution IS
'Appraisal grades given per cycle against the forced distribution of the cycle''s grade_policy: the target count of each grade is allocate_quota(people graded, distribution shares) - the same largest-remainder rule grade_by_distribution applies - and the deviation is actual minus target.';
COMMENT ON COLUMN v_grade_distribution.cycle_id IS 'Id of the appraisal cycle (appraisal_cycle.cycle_id).';
COMMENT ON COLUMN v_grade_distribution.fiscal_year IS 'Fiscal year the cycle appraises.';
COMMENT ON COLUMN v_grade_distribution.cycle_state IS 'State of the cycle (open, reviewing, calibrating, closed).';
COMMENT ON COLUMN v_grade_distribution.grade IS 'Grade of the cycle''s grade policy (for example A).';
COMMENT ON COLUMN v_grade_distribution.ordinal IS 'Position of the grade in the policy, 1 = best.';
COMMENT ON COLUMN v_grade_distribution.target_pct IS 'Target share of the grade in percent 0..100 (grade_policy.distribution_pct); NULL when grades are not forced.';
COMMENT ON COLUMN v_grade_distribution.graded IS 'Count of people with a grade in the cycle.';
COMMENT ON COLUMN v_grade_distribution.target_count IS 'Target count of people with the grade: allocate_quota(graded, shares)[grade]; NULL unless every grade of the cycle has a share and the shares are not all zero.';
COMMENT ON COLUMN v_grade_distribution.actual_count IS 'Count of people given the grade.';
COMMENT ON COLUMN v_grade_distribution.actual_pct IS 'actual_count as a percentage 0..100 of graded (2 decimals).';
COMMENT ON COLUMN v_grade_distribution.deviation IS 'actual_count - target_count, in people (positive: more than the distribution allows).';
GRANT SELECT ON v_grade_distribution TO sales_supervisor_bi;

CREATE VIEW v_promotion_pipeline AS
SELECT c.cycle_id, c.fiscal_year, c.state AS cycle_state, pr.rule_id, pr.from_level, pr.to_level, pr.active AS rule_active,
       (SELECT count(*) FROM member m WHERE m.active AND m.level = pr.from_level) AS members_at_level,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id) AS candidates,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'proposed') AS proposed,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'approved') AS approved,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'rejected') AS rejected,
       (SELECT count(*) FROM promotion p WHERE p.cycle_id = c.cycle_id AND p.from_level = pr.from_level
          AND p.to_level = pr.to_level) AS promoted
FROM appraisal_cycle c
CROSS JOIN promotion_rule pr;
COMMENT ON VIEW v_promotion_pipeline IS
'Promotion pipeline per appraisal cycle and promotion rule (ladder step): members at the starting level today, candidates listed by the cycle and their decisions, and promotions recorded for the cycle on that step. Counts only, no names.';
COMMENT ON COLUMN v_promotion_pipeline.cycle_id IS 'Id of the appraisal cycle (appraisal_cycle.cycle_id).';
COMMENT ON COLUMN v_promotion_pipeline.fiscal_year IS 'Fiscal year the cycle appraises.';
COMMENT ON COLUMN v_promotion_pipeline.cycle_state IS 'State of the cycle (open, reviewing, calibrating, closed).';
COMMENT ON COLUMN v_promotion_pipeline.rule_id IS 'Promotion rule, one ladder step (promotion_rule.rule_id).';
COMMENT ON COLUMN v_promotion_pipeline.from_level IS 'Career level promoted from.';
COMMENT ON COLUMN v_promotion_pipeline.to_level IS 'Career level promoted to.';
COMMENT ON COLUMN v_promotion_pipeline.rule_active IS 'Whether the rule is applied by promotion_candidates.';
COMMENT ON COLUMN v_promotion_pipeline.members_at_level IS 'Count of active members at from_level today.';
COMMENT ON COLUMN v_promotion_pipeline.candidates IS 'Count of candidates the cycle listed under the rule.';
COMMENT ON COLUMN v_promotion_pipeline.proposed IS 'Count of those candidates not decided yet.';
COMMENT ON COLUMN v_promotion_pipeline.approved IS 'Count of those candidates approved.';
COMMENT ON COLUMN v_promotion_pipeline.rejected IS 'Count of those candidates rejected.';
COMMENT ON COLUMN v_promotion_pipeline.promoted IS 'Count of promotions recorded with this cycle from from_level to to_level.';
GRANT SELECT ON v_promotion_pipeline TO sales_supervisor_bi;

CREATE VIEW v_pay_summary AS
WITH team_days AS (   -- member_team_days() written out: a view reads tables as its owner, not functions
  SELECT a.member_id, a.team_id, a.level,
         daterange(CASE WHEN lower(a.valid) > min(lower(a.valid)) OVER w THEN lower(a.valid) END,
                   CASE WHEN lower(a.valid) < max(lower(a.valid)) OVER w THEN upper(a.valid) END) AS days
  FROM member_assignment a
  WINDOW w AS (PARTITION BY a.member_id)),
pay_team AS (   -- each pay row with the team and level in force on the last day of its fiscal year
                 -- (a year without a fiscal_period of kind year: today's, from member)
  SELECT p.fiscal_year, p.currency, p.base_salary, p.commission, p.year_end_bonus,
         coalesce(a.team_id, m.team_id) AS team_id, coalesce(a.level, m.level) AS level
  FROM pay p
  JOIN member m ON m.member_id = p.member_id
  LEFT JOIN fiscal_period yr ON yr.kind = 'year' AND yr.fiscal_year = p.fiscal_year
  LEFT JOIN team_days a ON a.member_id = p.member_id AND a.days @> yr.end_on)
SELECT p.fiscal_year, p.team_id, t.name AS team_name, p.level, p.currency,
       count(*) AS headcount,
       (CASE WHEN count(*) >= 3 THEN sum(p.base_salary) END)::numeric(38,2) AS base_salary_total,
       (CASE WHEN count(*) >= 3 THEN avg(p.base_salary) END)::numeric(38,2) AS base_salary_avg,
       (CASE WHEN count(*) >= 3 THEN sum(p.commission) END)::numeric(38,2) AS commission_total,
       (CASE WHEN count(*) >= 3 THEN sum(p.year_end_bonus) END)::numeric(38,2) AS year_end_bonus_total,
       (CASE WHEN count(*) >= 3 THEN sum(p.base_salary + p.commission + p.year_end_bonus) END)::numeric(38,2) AS total_pay,
       (CASE WHEN count(*) >= 3 THEN avg(p.base_salary + p.commission + p.year_end_bonus) END)::numeric(38,2) AS total_pay_avg
FROM pay_team p
JOIN team t ON t.team_id = p.team_id
GROUP BY p.fiscal_year, p.team_id, t.name, p.level, p.currency;
COMMENT ON VIEW v_pay_summary IS
'Pay per fiscal year, team (not its subtree), career level and currency: head count and the totals and averages of base salary, commission and year-end bonus. Team and level are those in force on the last day of the fiscal year (the fiscal_period of kind year; member_assignment), or for someone who left before it those of their last assignment (a year without a fiscal_period of kind year: today''s team and level). Pay is personal: the amounts are NULL for groups of fewer than 3 people, so no one''s pay can be read off.';
COMMENT ON COLUMN v_pay_summary.fiscal_year IS 'Fiscal year the pay is for.';
COMMENT ON COLUMN v_pay_summary.team_id IS 'Team the members were in on the last day of the fiscal year, or on their last day for a leaver (team.team_id; member_assignment).';
COMMENT ON COLUMN v_pay_summary.team_name IS 'Name of the team.';
COMMENT ON COLUMN v_pay_summary.level IS 'Career level of the members on the last day of the fiscal year, or on their last day for a leaver (member_assignment).';
COMMENT ON COLUMN v_pay_summary.currency IS 'Currency of the amounts in this row (ISO code).';
COMMENT ON COLUMN v_pay_summary.headcount IS 'Count of people in the group.';
COMMENT ON COLUMN v_pay_summary.base_salary_total IS 'Sum of base salaries, in the row''s currency to the cent (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.base_salary_avg IS 'Average base salary, in the row''s currency rounded to the cent (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.commission_total IS 'Sum of commissions, in the row''s currency to the cent (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.year_end_bonus_total IS 'Sum of year-end bonuses, in the row''s currency to the cent (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.total_pay IS 'Sum of base + commission + bonus, in the row''s currency to the cent (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.total_pay_avg IS 'Average of base + commission + bonus, in the row''s currency rounded to the cent (NULL below 3 people).';
GRANT SELECT ON v_pay_summary TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- The calendar itself, for a monitoring dashboard
-- ---------------------------------------------------------------------------

CREATE VIEW v_job_status AS
SELECT j.job_name, j.schedule, j.enabled,
       l.started_at AS last_started_at, l.finished_at AS last_finished_at, l.status AS last_status,
       l.rows_affected AS last_rows_affected,
       (SELECT count(*) FROM job_log x WHERE x.job_name = j.job_name AND x.started_at > now() - interval '30 days')
         AS runs_30d,
       (SELECT count(*) FROM job_log x WHERE x.job_name = j.job_name AND x.started_at > now() - interval '30 days'
          AND x.status = 'failure') AS failures_30d
FROM job_setting j
LEFT JOIN LATERAL (SELECT * FROM job_log x WHERE x.job_name = j.job_name
                   ORDER BY x.started_at DESC, x.log_id DESC LIMIT 1) l ON true;
COMMENT ON VIEW v_job_status IS
'The scheduled jobs and how their last run went (from job_log), with run and failure counts of the last 30 days. Error texts are left out (they may quote data); they are in job_log for the administrator.';
COMMENT ON COLUMN v_job_status.job_name IS 'Name of the scheduled job (job_setting.job_name).';
COMMENT ON COLUMN v_job_status.schedule IS 'Schedule of the job (cron syntax, in the company''s local time).';
COMMENT ON COLUMN v_job_status.enabled IS 'Whether schedule_jobs() schedules it.';
COMMENT ON COLUMN v_job_status.last_started_at IS 'Start of the last run (timestamp); NULL if it never ran (or its log was pruned).';
COMMENT ON COLUMN v_job_status.last_finished_at IS 'End of the last run (timestamp).';
COMMENT ON COLUMN v_job_status.last_status IS 'Outcome of the last run: success, failure or skipped.';
COMMENT ON COLUMN v_job_status.last_rows_affected IS 'Count of rows affected by the last run.';
COMMENT ON COLUMN v_job_status.runs_30d IS 'Count of runs started in the last 30 days.';
COMMENT ON COLUMN v_job_status.failures_30d IS 'Count of those runs that failed.';
GRANT SELECT ON v_job_status TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- The organisation (also read by managers and HR: head counts only)
-- ---------------------------------------------------------------------------

CREATE VIEW v_org_summary AS
WITH RECURSIVE tree(team_id, department_id, depth, path) AS (
  SELECT t.team_id, t.team_id, 0, ARRAY[t.name] FROM team t WHERE t.parent_id IS NULL
  UNION ALL
  SELECT c.team_id, tree.department_id, tree.depth + 1, tree.path || c.name
  FROM team c JOIN tree ON c.parent_id = tree.team_id
  WHERE tree.depth < 1000)
SELECT tree.team_id, t.name AS team_name, d.name AS department_name, tree.depth,
       array_to_string(tree.path, ' / ') AS team_path,
       (SELECT count(*) FROM member m WHERE m.team_id = tree.team_id AND m.active) AS active_members,
       (SELECT count(*) FROM member m WHERE m.team_id = tree.team_id AND m.active
          AND m.level = 'sales_rep') AS active_reps,
       (SELECT count(*) FROM customer c WHERE c.team_id = tree.team_id AND c.active) AS active_customers
FROM tree
JOIN team t ON t.team_id = tree.team_id
JOIN team d ON d.team_id = tree.department_id;
COMMENT ON VIEW v_org_summary IS
'One row per team: its department, depth in the tree, path, and head counts (active members, active reps, active customers). No personal data; readable by the BI role.';
COMMENT ON COLUMN v_org_summary.team_id IS 'Id of the team (team.team_id).';
COMMENT ON COLUMN v_org_summary.team_name IS 'Name of the team.';
COMMENT ON COLUMN v_org_summary.department_name IS 'Name of the department (root team) the team belongs to.';
COMMENT ON COLUMN v_org_summary.depth IS 'Depth of the team in the tree (levels below its department), 0 for a department.';
COMMENT ON COLUMN v_org_summary.team_path IS 'Path of team names from the department down, separated by '' / ''.';
COMMENT ON COLUMN v_org_summary.active_members IS 'Count of active members in the team itself (not its subtree).';
COMMENT ON COLUMN v_org_summary.active_reps IS 'Count of active members at level sales_rep in the team itself.';
COMMENT ON COLUMN v_org_summary.active_customers IS 'Count of active customers owned by the team itself.';
GRANT SELECT ON v_org_summary TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Statistics for the planner
-- ---------------------------------------------------------------------------
-- The views join small reference tables (teams, fiscal periods, cycles, grade
-- policies, rules, job settings) to large ones.  Autovacuum analyzes a table
-- once more than autovacuum_analyze_threshold (50) + 10 % of its rows changed,
-- so a table of a dozen rows is never analyzed; the planner then assumes at
-- least 10 pages of rows for it, a cross join of two such tables becomes
-- millions of rows, plan costs reach 10^8, and JIT compilation (above
-- jit_above_cost, 100 000) takes seconds on a view that runs in 100 ms.  A zero
-- base threshold has autovacuum analyze these tables after their first change
-- (analyzing a small table costs next to nothing); the large tables keep the
-- server's settings.  generate_demo_org and refresh_reports analyze what they
-- fill, so the views are fast at once, before autovacuum comes round.
ALTER TABLE team SET (autovacuum_analyze_threshold = 0);
ALTER TABLE member SET (autovacuum_analyze_threshold = 0);
ALTER TABLE visit_cadence SET (autovacuum_analyze_threshold = 0);
ALTER TABLE fiscal_period SET (autovacuum_analyze_threshold = 0);
ALTER TABLE quota SET (autovacuum_analyze_threshold = 0);
ALTER TABLE appraisal_cycle SET (autovacuum_analyze_threshold = 0);
ALTER TABLE grade_policy SET (autovacuum_analyze_threshold = 0);
ALTER TABLE appraisal_result SET (autovacuum_analyze_threshold = 0);
ALTER TABLE promotion_rule SET (autovacuum_analyze_threshold = 0);
ALTER TABLE promotion_candidate SET (autovacuum_analyze_threshold = 0);
ALTER TABLE promotion SET (autovacuum_analyze_threshold = 0);
ALTER TABLE pay SET (autovacuum_analyze_threshold = 0);
ALTER TABLE job_setting SET (autovacuum_analyze_threshold = 0);
ALTER TABLE job_log SET (autovacuum_analyze_threshold = 0);
ALTER TABLE visit_overdue_flag SET (autovacuum_analyze_threshold = 0);
ALTER TABLE feedback_overdue_flag SET (autovacuum_analyze_threshold = 0);

-- ---------------------------------------------------------------------------
-- Job: refresh the materialized views
-- ---------------------------------------------------------------------------

CREATE PROCEDURE refresh_reports()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_views text[] := ARRAY['v_credited_sales_daily'];
  v_view text;
  v_i integer := 0;
  v_rows bigint;
  v_t0 timestamptz;
  v_populated boolean;
BEGIN
  FOREACH v_view IN ARRAY v_views LOOP
    v_i := v_i + 1;
    v_t0 := clock_timestamp();
    SELECT c.relispopulated INTO v_populated FROM pg_class c
    WHERE c.oid = format('sales_supervisor.%I', v_view)::regclass;
    PERFORM job_progress(format('refresh: %s/%s %s %s', v_i, cardinality(v_views), v_view,
                                CASE WHEN v_populated THEN 'concurrently' ELSE '(first population)' END));
    IF v_populated THEN
      EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY sales_supervisor.%I', v_view);
    ELSE
      EXECUTE format('REFRESH MATERIALIZED VIEW sales_supervisor.%I', v_view);
    END IF;
    -- fresh statistics now, not at autovacuum's next round: the views that
    -- read it are planned (and JIT-compiled or not) on them
    EXECUTE format('ANALYZE sales_supervisor.%I', v_view);
    EXECUTE format('SELECT count(*) FROM sales_supervisor.%I', v_view) INTO v_rows;
    PERFORM job_progress(format('refresh: %s/%s %s done, %s rows in %s s', v_i, cardinality(v_views), v_view, v_rows,
                                round(extract(epoch FROM clock_timestamp() - v_t0)::numeric, 3)),
                         v_rows);
  END LOOP;
END
$$;
COMMENT ON PROCEDURE refresh_reports() IS
'Job refresh_reports: REFRESH MATERIALIZED VIEW CONCURRENTLY of every materialized reporting view (a plain refresh the first time, when the view is not populated), then ANALYZE of it, with a progress line before and after each; rows affected = rows in the refreshed views. Run it as the extension owner (the owner of the views).';
REVOKE ALL ON PROCEDURE refresh_reports() FROM PUBLIC;

-- The demo: runs inside a throw-away database (scripts/demo.sh).
-- 1. generates the demo organisation, 2. shows the org, 3. runs the computation
-- core over its real tables.
\pset footer off
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION sales_supervisor;
SET search_path = sales_supervisor, public;

\echo
\echo '== sales_supervisor demo'
SELECT extversion AS version FROM pg_extension WHERE extname = 'sales_supervisor';

\echo
\echo '== Demo organisation (generate_demo_org: seeded, skewed, 12 teams, 60 reps, a year''s changes, billed)'
SELECT * FROM generate_demo_org(seed => 42, teams => 12, depth => 3, reps => 60,
                                customers => 2000, sales_lines => 100000, changes => true, billing => true);
SELECT department_name AS department, count(*) AS teams, sum(active_members) AS members,
       sum(active_reps) AS reps, sum(active_customers) AS customers
FROM v_org_summary GROUP BY department_name ORDER BY department_name;

\echo
\echo '== Sales by customer tier (a few large customers carry the year)'
SELECT c.tier, count(DISTINCT c.customer_id) AS customers, round(sum(s.amount)) AS sales,
       round(100 * sum(s.amount) / sum(sum(s.amount)) OVER (), 1) AS pct_of_sales
FROM customer c JOIN sale s USING (customer_id) GROUP BY c.tier ORDER BY c.tier;

\echo
\echo '== Next year: each team target (last year + 10 %, in thousands) split over its reps'
\echo '   by last year''s sales with allocate_quota (exact; the parts add up to the target)'
WITH rep_sales AS (
  SELECT m.team_id, m.member_id, m.full_name, coalesce(sum(s.amount), 0) AS sales
  FROM member m LEFT JOIN sale s USING (member_id)
  WHERE m.level = 'sales_rep' AND m.active
  GROUP BY m.team_id, m.member_id, m.full_name
), targeted AS (
  SELECT *, round(sum(sales) OVER (PARTITION BY team_id) * 1.10, -3) AS team_target
  FROM rep_sales
), alloc AS (
  SELECT team_id, full_name, sales, team_target,
         allocate_quota(team_target, sales, 1000)
           OVER (PARTITION BY team_id ORDER BY member_id) AS quota
  FROM targeted
)
SELECT t.name AS team, count(*) AS reps, min(team_target) AS team_target,
       sum(quota) AS sum_of_rep_quotas, min(quota) AS smallest, max(quota) AS largest
FROM alloc JOIN team t USING (team_id)
GROUP BY t.name ORDER BY t.name LIMIT 6;

\echo
\echo '== KPI points and commission per rep: attainment against the median rep''s sales as target,'
\echo '   scored on a gated curve (kpi_score) and paid on marginal tiers with a cap (tiered_commission)'
WITH rep AS (
  SELECT m.member_id, m.full_name, sum(s.amount) AS sales
  FROM sale s JOIN member m USING (member_id)
  WHERE m.level = 'sales_rep' GROUP BY m.member_id, m.full_name
), targeted AS (
  SELECT rep.*, t.target
  FROM rep, (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY sales)::numeric, -3) AS target
             FROM rep) t
), scored AS (
  SELECT full_name, target, sales, kpi_attainment(sales, target) AS attainment,
         row_number() OVER (ORDER BY sales DESC, member_id) AS position
  FROM targeted
)
SELECT full_name AS rep, target, sales, round(attainment, 3) AS attainment,
       round(kpi_score(attainment::float8,
                       'linear[(0.8,0),(0.8,60),(1,100),(1.5,150)]')::numeric, 1) AS points,
       tiered_commission(sales, 'marginal[(0,0.02),(1000000,0.03),(2000000,0.05)] cap 150000')
         AS commission
FROM scored
WHERE position % 6 = 1          -- every 6th rep, top to bottom
ORDER BY position;

\echo
\echo '== Customer satisfaction per team (nps, csat aggregates over survey_response)'
SELECT t.name AS team, count(*) AS responses, round(nps(r.nps), 1) AS nps,
       round(csat(r.csat), 1) AS csat_pct
FROM survey_response r JOIN member m USING (member_id) JOIN team t USING (team_id)
GROUP BY t.name ORDER BY nps DESC NULLS LAST LIMIT 6;

\echo
\echo '== Panel marks: the top and bottom mark dropped (trimmed_mean) vs plain avg'
SELECT m.full_name AS reviewee, count(*) AS marks, round(avg(rs.score), 2) AS plain_avg,
       round(trimmed_mean(rs.score::float8, 1)::numeric, 2) AS trimmed_mean
FROM review r JOIN review_score rs USING (review_id) JOIN member m ON m.member_id = r.reviewee_id
GROUP BY m.member_id, m.full_name
ORDER BY abs(avg(rs.score) - trimmed_mean(rs.score::float8, 1)) DESC LIMIT 5;

\echo
\echo '== Forced distribution of grades A/B/C = 20/70/10 on the reps'' sales (grade_by_distribution)'
SELECT grade, count(*) AS reps
FROM (SELECT grade_by_distribution('{A,B,C}', '{20,70,10}') OVER (ORDER BY sum(s.amount) DESC) AS grade
      FROM sale s JOIN member m USING (member_id) WHERE m.level = 'sales_rep'
      GROUP BY m.member_id) g
GROUP BY grade ORDER BY grade;

\echo
\echo '== The sales year: quotas -> KPIs -> commission -> appraisal -> promotions -> pay'
-- What the generator leaves to the user: targets of KPIs without a natural
-- target, commission plans, the on-target bonus per level; and, as the demo
-- has a single year of history, a one-year rule for reps.
INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
VALUES (1, 3, 'sales_rep', 0.2), (1, 4, 'sales_customer_supervisor', 80), (1, 4, 'sales_manager', 80);
-- Payment terms: a third of the reps earn on booking with a 30-day clawback,
-- a third when the invoice is paid in full, a third pro rata to payment; the
-- year's new hires draw 1 500 (recoverable, at most 500 a month recovered)
-- in their first three months.
INSERT INTO commission_plan (member_id, period_id, tiers, earn_on, clawback_days, draw_kind, draw_amount,
                             draw_recovery_limit)
SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03),(60000,0.05)] cap 20000',
       (ARRAY['booking', 'payment_in_full', 'payment_pro_rata'])[m.member_id % 3 + 1],
       CASE WHEN m.member_id % 3 = 0 THEN 30 END,
       CASE WHEN d.new_draw THEN 'recoverable' END, CASE WHEN d.new_draw THEN 1500 END, 500
FROM member m CROSS JOIN fiscal_period p
CROSS JOIN LATERAL (SELECT extract(year FROM m.hire_date) = 2025
                           AND p.start_on >= date_trunc('month', m.hire_date)
                           AND p.start_on < date_trunc('month', m.hire_date) + interval '3 months' AS new_draw) d
WHERE m.level = 'sales_rep' AND p.kind = 'month';
INSERT INTO bonus_target VALUES (2025, 'sales_rep', 15), (2025, 'sales_customer_supervisor', 20),
                                (2025, 'sales_manager', 25);
UPDATE promotion_rule SET consecutive_years = 1 WHERE from_level = 'sales_rep';

SELECT count(*) AS quota_nodes
FROM allocate_quotas(2025, (SELECT round(sum(amount) * 1.1, -3) FROM sale), basis => 'potential',
                     over_assignment_pct => '{0,5,5}');
SELECT count(*) AS months_prorated, sum(relief) AS quota_relieved FROM prorate_quotas(2025);
SELECT count(*) AS kpi_results FROM score_kpis(1);
SELECT count(*) AS commission_rows_jan_jun
FROM fiscal_period p CROSS JOIN LATERAL run_commission(p.period_id) WHERE p.kind = 'month' AND p.month <= 6;
-- Changes to paid months, as they happen: a March sale entered in July, a
-- February split corrected (the line goes wholly to its second rep), and the
-- March plan of one rep corrected (a wrong base rate).  The July run pays
-- each difference for the month it belongs to.
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount)
SELECT '2025-03-14', c.owner_id, c.customer_id, 1, 4321.09 FROM customer c ORDER BY c.customer_id LIMIT 1;
SELECT count(*) AS reps_changed
FROM (SELECT min(sc.sale_id) AS sale_id, max(sc.member_id) AS rep FROM sale_credit sc JOIN sale s USING (sale_id)
      WHERE s.sold_on BETWEEN '2025-02-01' AND '2025-02-28' GROUP BY sc.sale_id ORDER BY 1 LIMIT 1) x,
     LATERAL correct_sale_credit(x.sale_id, ARRAY[x.rep], '{100}', 'closed by the second rep alone') c;
SET sales_supervisor.change_reason = 'March base rate was 2 %, contract says 2.5 %';
UPDATE commission_plan SET tiers = 'marginal[(0,0.025),(20000,0.03),(60000,0.05)] cap 20000'
WHERE period_id = (SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 AND month = 3)
  AND member_id = (SELECT min(member_id) FROM member WHERE level = 'sales_rep');
RESET sales_supervisor.change_reason;
SELECT count(*) AS commission_rows_jul_dec
FROM fiscal_period p CROSS JOIN LATERAL run_commission(p.period_id) WHERE p.kind = 'month' AND p.month > 6;
SELECT count(*) AS appraised FROM close_appraisal_cycle(1);
SELECT count(*) AS candidates FROM promotion_candidates(1);
SELECT count(*) AS paid FROM year_end_pay(1, company_factor => 1.05);

\echo
\echo '== Commission ledger per quarter (lines = credited sales lines; the refunds are the reversals)'
SELECT 'Q' || p.quarter AS quarter,
       sum(c.lines) FILTER (WHERE c.kind LIKE '%sales') AS sales_lines,
       sum(c.amount) FILTER (WHERE c.kind LIKE '%sales') AS sales_credited,
       sum(c.lines) FILTER (WHERE c.kind LIKE '%refunds') AS refund_lines,
       sum(c.amount) FILTER (WHERE c.kind LIKE '%refunds') AS refunds_credited,
       (SELECT sum(po.amount) FROM commission_payout po JOIN fiscal_period pp USING (period_id)
        WHERE pp.quarter = p.quarter AND pp.fiscal_year = p.fiscal_year) AS commission_paid
FROM commission_credit c JOIN fiscal_period p USING (period_id)
GROUP BY p.fiscal_year, p.quarter ORDER BY p.quarter;

\echo
\echo '== The year''s changes: transfers (dated assignments), hires through the year, leaves, and the quota they relieve'
SELECT m.full_name AS member, string_agg(format('%s from %s', t.name, lower(a.valid)), ' -> ' ORDER BY lower(a.valid)) AS teams
FROM member_assignment a JOIN member m USING (member_id) JOIN team t ON t.team_id = a.team_id
WHERE a.member_id IN (SELECT member_id FROM member_assignment GROUP BY 1 HAVING count(*) > 1)
GROUP BY m.member_id, m.full_name ORDER BY m.member_id;
SELECT m.full_name AS member, r.kind, sum(r.amount) AS relieved, min(r.reason) AS first_reason
FROM quota_relief r JOIN member m USING (member_id)
GROUP BY m.member_id, m.full_name, r.kind ORDER BY m.member_id;

\echo
\echo '== The year''s adjustments: paid in July for the months they belong to, each with its cause'
SELECT fp.month AS for_month, po.member_id, po.amount, po.plan_version, po.cause
FROM commission_payout po JOIN fiscal_period fp ON fp.period_id = po.for_period_id
WHERE po.for_period_id <> po.period_id ORDER BY fp.month, po.member_id;
SELECT fp.month AS for_month, c.kind, count(*) AS ledger_lines, sum(c.amount) AS credit
FROM commission_credit c JOIN fiscal_period fp ON fp.period_id = c.for_period_id
WHERE c.for_period_id <> c.period_id GROUP BY fp.month, c.kind ORDER BY fp.month, c.kind;

\echo
\echo '== What-if: +0.5 % on every euro above 120 % of the monthly quota -- who gains, and the cost'
WITH q AS (
  SELECT q.member_id, q.period_id, round(1.2 * q.amount, 2) AS q120
  FROM quota q JOIN fiscal_period p USING (period_id)
  WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND q.member_id IS NOT NULL
), variant AS (
  SELECT ROW('above 120 %', q.member_id, q.period_id,
             (SELECT 'marginal[' || string_agg(format('(%s,%s)', t, CASE WHEN t >= 60000 THEN 0.05 WHEN t >= 20000 THEN 0.03 ELSE 0.02 END
                                                                 + CASE WHEN t >= q.q120 THEN 0.005 ELSE 0 END), ',' ORDER BY t)
                     || '] cap 20000'
              FROM (SELECT DISTINCT unnest(ARRAY[0, 20000, 60000, q.q120]) AS t) b)::tier_table)::commission_variant AS v
  FROM q JOIN commission_plan cp ON cp.member_id = q.member_id AND cp.period_id = q.period_id
), w AS (
  SELECT * FROM commission_what_if(
    (SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 AND month = 1),
    ARRAY(SELECT v FROM variant))
)
(SELECT coalesce(m.full_name, '(all reps)') AS rep, w.current, w.simulated, w.difference
 FROM w LEFT JOIN member m USING (member_id) WHERE w.member_id IS NOT NULL ORDER BY w.difference DESC, w.member_id LIMIT 5)
UNION ALL
SELECT 'total: ' || (SELECT count(*) FROM w WHERE difference > 0 AND member_id IS NOT NULL) || ' reps gain',
       current, simulated, difference FROM w WHERE member_id IS NULL;

\echo
\echo '== A sales line dated in January, entered after the year''s runs: queued, the next run credits it'
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount)
SELECT '2025-01-15', member_id, customer_id, category_id, 999.99 FROM sale ORDER BY sale_id LIMIT 1;
SELECT q.sale_id, s.sold_on, s.amount, coalesce(q.credited_period_id::text, 'waiting for the next run') AS credited_in
FROM commission_late_sale q JOIN sale s USING (sale_id);

\echo
\echo '== From credit to payout: the twelve months settled (commission held until invoices are paid,'
\echo '   clawed back past the horizon, released by payments; new hires'' draws; the payout batches)'
SELECT fp.month, count(*) AS reps, sum(s.earned) AS earned, sum(s.held) AS held, sum(s.released) AS released,
       sum(s.clawed_back) AS clawed_back, sum(s.draw_paid) AS draws, sum(s.draw_recovered) AS recovered,
       sum(s.spiffs) AS spiffs, sum(s.paid) AS paid, sum(s.closing) AS carried
FROM (SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 ORDER BY start_on) p
CROSS JOIN LATERAL settle_commission_period(p.period_id) s
JOIN fiscal_period fp ON fp.period_id = p.period_id
GROUP BY fp.month ORDER BY fp.month;

\echo
\echo '== One rep''s statement for a month: held in an earlier month, released by a payment now'
SELECT line, kind, for_period_id AS for_period, amount, balance, left(note, 70) AS source
FROM (SELECT e.member_id, e.period_id FROM commission_entry e
      WHERE e.kind = 'released' ORDER BY e.period_id, e.member_id LIMIT 1) x
CROSS JOIN LATERAL commission_statement(x.member_id, x.period_id) ORDER BY line;

\echo
\echo '== Money and quota conserved: every rule conservation_violations() checks holds'
\echo '   (ledger credit = credited lines, payouts = tier tables, splits = 100 %, months = year,'
\echo '    statements = their entries, batches = statements)'
SELECT count(*) AS violations FROM conservation_violations();

\echo
\echo '== Team attainment (team sales against the team quota)'
SELECT t.name AS team, kr.target AS team_quota, kr.actual AS team_sales, kr.attainment,
       round(kr.score::numeric, 1) AS points
FROM kpi_result kr
JOIN kpi_definition d ON d.kpi_id = kr.kpi_id AND d.metric = 'team_sales_amount'
JOIN team_leader tl ON tl.member_id = kr.member_id
JOIN team t ON t.team_id = tl.team_id
WHERE kr.cycle_id = 1
ORDER BY kr.attainment DESC, t.team_id;

\echo
\echo '== Top and bottom performers (reps, final score)'
(SELECT 'top' AS side, r.member_id, m.full_name, r.final_score::numeric(8,2) AS final, r.rank, r.percentile, r.grade
 FROM appraisal_result r JOIN member m USING (member_id)
 WHERE r.cycle_id = 1 AND r.level = 'sales_rep' ORDER BY r.final_score DESC, r.member_id LIMIT 5)
UNION ALL
(SELECT 'bottom', r.member_id, m.full_name, r.final_score::numeric(8,2), r.rank, r.percentile, r.grade
 FROM appraisal_result r JOIN member m USING (member_id)
 WHERE r.cycle_id = 1 AND r.level = 'sales_rep' ORDER BY r.final_score ASC, r.member_id LIMIT 5);

\echo
\echo '== Grade distribution against the target distribution'
SELECT g.grade, g.distribution_pct AS target_pct, count(r.member_id) AS people,
       round(100.0 * count(r.member_id) / sum(count(r.member_id)) OVER (), 1) AS actual_pct,
       g.raise_pct, g.bonus_multiplier, g.reward_or_penalty
FROM grade_policy g
LEFT JOIN appraisal_result r ON r.cycle_id = g.cycle_id AND r.grade = g.grade
WHERE g.cycle_id = 1
GROUP BY g.grade, g.ordinal, g.distribution_pct, g.raise_pct, g.bonus_multiplier, g.reward_or_penalty
ORDER BY g.ordinal;

\echo
\echo '== Promotion candidates'
SELECT pc.member_id, m.full_name, pr.from_level, pr.to_level, pc.note AS reason
FROM promotion_candidate pc
JOIN member m USING (member_id)
JOIN promotion_rule pr USING (rule_id)
WHERE pc.cycle_id = 1
ORDER BY pr.from_level DESC, pc.member_id;

\echo
\echo '== Total pay by level (base + commission + year-end bonus)'
SELECT r.level, count(*) AS people, sum(p.base_salary) AS base, sum(p.commission) AS commission,
       sum(p.year_end_bonus) AS bonus, sum(p.base_salary + p.commission + p.year_end_bonus) AS total
FROM pay p JOIN appraisal_result r ON r.member_id = p.member_id AND r.cycle_id = 1
WHERE p.fiscal_year = 2025
GROUP BY r.level ORDER BY r.level;
\echo
\echo '== The calendar: run the daily jobs now, as pg_cron would, and read their log'
CALL run_job('overdue_visits');
CALL run_job('overdue_feedback');
CALL run_job('customer_risk');
CALL run_job('refresh_reports');
SELECT job_name, status, rows_affected, round(extract(epoch FROM finished_at - started_at)::numeric, 3) AS seconds
FROM job_log ORDER BY log_id;
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT job_name, schedule, action FROM schedule_jobs();

\echo
\echo '== BI views: the departments'' scorecards (rolled up their team trees)'
SELECT team_name, round(credited_sales) AS sales, round(forecast_wape::numeric, 3) AS forecast_wape,
       round(csat_pct, 1) AS csat, round(nps, 1) AS nps, complaints, overdue_customers_now AS overdue,
       reports_on_time_pct AS reports_on_time
FROM v_team_scorecard WHERE parent_id IS NULL ORDER BY team_id;
SELECT tier, count(*) AS customers, count(*) FILTER (WHERE visit_overdue) AS overdue,
       round(avg(csat_pct), 1) AS avg_csat, sum(open_complaints) AS open_complaints
FROM v_customer_health GROUP BY tier ORDER BY tier;

\echo
\echo '== Early warning: the Monday list of one team -- its customers at risk as of 2025-12-31, with the reasons'
WITH r AS MATERIALIZED (SELECT * FROM customer_risk('2025-12-31') WHERE at_risk),
     one AS (SELECT team_id FROM r GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 1)
SELECT t.name AS team, m.full_name AS rep, c.name AS customer, r.score, array_to_string(r.reasons, E'\n') AS reasons
FROM r JOIN one USING (team_id) JOIN customer c USING (customer_id)
JOIN member m ON m.member_id = r.owner_id JOIN team t ON t.team_id = r.team_id
ORDER BY r.score DESC, c.name LIMIT 8;

\echo
\echo '== Monday 2025-06-16, the supervisor of one team: reps below pace and team risks (docs/risk.md)'
SELECT p.member_id, m.full_name, p.sales_to_date, round(p.projected_attainment, 2) AS projected,
       round(p.band_low, 2) AS band_low, round(p.band_high, 2) AS band_high, p.gate
FROM pace_to_quota('2025-06-16', 'month') p JOIN member m USING (member_id)
WHERE p.subject = 'rep' AND p.below_gate
  AND p.team_id = (SELECT min(t.team_id) FROM team t WHERE NOT EXISTS (SELECT 1 FROM team c WHERE c.parent_id = t.team_id))
ORDER BY p.projected_attainment;
SELECT r.member_id, r.risk, r.reason
FROM team_risk('2025-06-16') r
WHERE r.team_id = (SELECT min(t.team_id) FROM team t WHERE NOT EXISTS (SELECT 1 FROM team c WHERE c.parent_id = t.team_id))
ORDER BY r.member_id NULLS FIRST, r.risk;

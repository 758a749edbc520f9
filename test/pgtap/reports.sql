-- Reporting views: each view on a small demo organisation equals the same
-- figure computed here from the raw tables by an independent query (credit
-- split as a UNION instead of the view's LEFT JOIN, team roll-up through
-- team_is_within() instead of the views' recursive subtree, wape/csat/nps by
-- their plain formulas instead of our aggregates), plus hand-computed rows.
-- Then the catalog: comments on every column, the BI role reads every view and
-- no raw table, no rep role reads a view.
--
-- The org (generate_demo_org(seed 11, teams 7, depth 3, reps 12, customers 60)):
-- departments 1 and 2; teams 3, 4 under 1; 5, 6 under 2; 7 under 3; member k
-- (1..7) leads team k (1, 2 are managers, 3..7 supervisors); reps 8..19 spread
-- round-robin over the leaf teams 4, 5, 6, 7 (three each).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL client_min_messages = warning;
SELECT plan(45);

SELECT is((SELECT count(*)::int FROM generate_demo_org(seed => 11, teams => 7, depth => 3, reps => 12,
            customers => 60, sales_lines => 600, surveys => 50, reviews_per_member => 4)),
          18, 'demo org generated');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('r', 'p') AND c.reltuples < 0),
          NULL, 'generate_demo_org leaves every table of the extension analyzed (the views are planned on statistics)');

-- quotas: reps for the year (100000 + 1000 x id), the quarters (25000) and
-- January (0: attainment undefined); teams for the year (300000 x id)
INSERT INTO quota (period_id, member_id, amount, method)
SELECT p.period_id, m.member_id,
       CASE p.kind WHEN 'year' THEN 100000 + 1000 * m.member_id WHEN 'quarter' THEN 25000 ELSE 0 END, 'manual'
FROM member m CROSS JOIN fiscal_period p
WHERE m.level = 'sales_rep' AND (p.kind IN ('year', 'quarter') OR p.month = 1);
INSERT INTO quota (period_id, team_id, amount, method)
SELECT p.period_id, t.team_id, 300000 * t.team_id, 'manual' FROM team t CROSS JOIN fiscal_period p WHERE p.kind = 'year';

-- the independent credit: unsplit lines to their rep, split lines by share in
-- exact cents, largest remainder (ties to the larger share, then the lower
-- member id), written here with window functions
CREATE TEMP TABLE credit AS
WITH split AS (
  SELECT s.sale_id, s.sold_on, s.refund_of, s.amount, c.member_id, c.share_pct,
         abs(s.amount) * c.share_pct AS exact_cents, floor(abs(s.amount) * c.share_pct) AS base_cents
  FROM sale s JOIN sale_credit c ON c.sale_id = s.sale_id),
ranked AS (
  SELECT sp.*, row_number() OVER (PARTITION BY sp.sale_id ORDER BY sp.exact_cents - sp.base_cents DESC,
                                                                    sp.share_pct DESC, sp.member_id) AS rn,
         round(abs(sp.amount) * 100) - sum(sp.base_cents) OVER (PARTITION BY sp.sale_id) AS spare
  FROM split sp)
SELECT s.member_id, s.sold_on, s.amount AS credited, s.refund_of IS NOT NULL AS refund
FROM sale s WHERE NOT EXISTS (SELECT 1 FROM sale_credit c WHERE c.sale_id = s.sale_id)
UNION ALL
SELECT r.member_id, r.sold_on, sign(r.amount) * (r.base_cents + CASE WHEN r.rn <= r.spare THEN 1 ELSE 0 END) / 100,
       r.refund_of IS NOT NULL
FROM ranked r;

-- ---------------------------------------------------------------- materialized view and its refresh
SELECT is((SELECT count(*)::int FROM v_credited_sales_daily), 0,
          'the materialized view holds the data of its last refresh (none yet)');
-- the refresh on demand: refresh_reports as a plain job here, outside the
-- monthly chain (whose step before it, commission_run, this test does not run)
UPDATE job_setting SET per_month = false, depends_on = NULL WHERE job_name = 'refresh_reports';
CREATE TEMP TABLE refresh1 AS SELECT * FROM execute_job('refresh_reports');
SELECT is((SELECT reltuples::bigint FROM pg_class WHERE oid = 'sales_supervisor.v_credited_sales_daily'::regclass),
          (SELECT count(*) FROM v_credited_sales_daily), 'refresh_reports analyzes the materialized view it refreshed');
SELECT ok((SELECT status = 'success'
                  AND detail ~ 'refresh: 1/1 v_credited_sales_daily concurrently\n.*refresh: 1/1 v_credited_sales_daily done, \d+ rows in'
                  AND rows_affected = (SELECT count(*) FROM v_credited_sales_daily)
           FROM refresh1), 'refresh_reports: refreshed concurrently, with progress lines and the rows as rows affected');
SELECT ok((SELECT indisunique FROM pg_index WHERE indexrelid = 'sales_supervisor.v_credited_sales_daily_key'::regclass),
          'the materialized view has the UNIQUE index REFRESH ... CONCURRENTLY needs');
SELECT set_eq('SELECT member_id, sold_on, credited_amount, sales_lines, refund_lines FROM v_credited_sales_daily',
              'SELECT member_id, sold_on, sum(credited) AS c, count(*) AS n, count(*) FILTER (WHERE refund) AS r FROM credit GROUP BY 1, 2',
              'v_credited_sales_daily = the credit split computed from sale and sale_credit');
SELECT is((SELECT sum(credited_amount) FROM v_credited_sales_daily), (SELECT sum(amount) FROM sale),
          'split credit conserves the sales: the credited total is the sales total');
SELECT ok((SELECT count(*) FROM sale_credit) > 0 AND (SELECT count(*) FROM sale WHERE refund_of IS NOT NULL) > 0,
          'the demo has split and refunded lines, so both are covered');
-- a new sale is seen after the next refresh, not before
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount) VALUES ('2025-06-15', 8, 1, 1, 1234.56);
INSERT INTO credit VALUES (8, '2025-06-15', 1234.56, false);
SELECT is((SELECT sum(credited_amount) FROM v_credited_sales_daily) + 1234.56, (SELECT sum(amount) FROM sale),
          'a sale added after the refresh is not in the view yet');
DO $$ BEGIN PERFORM sales_supervisor.execute_job('refresh_reports'); END $$;
SELECT is((SELECT sum(credited_amount) FROM v_credited_sales_daily), (SELECT sum(amount) FROM sale),
          '... and is after refresh_reports');

-- ---------------------------------------------------------------- sales and attainment
SELECT set_eq('SELECT member_id, month, credited_amount, sales_lines FROM v_rep_sales_month',
              $$SELECT member_id, date_trunc('month', sold_on)::date, sum(credited), count(*) FROM credit GROUP BY 1, 2$$,
              'v_rep_sales_month = credit by rep and calendar month');

CREATE TEMP TABLE rep_period AS
SELECT m.member_id, fp.period_id, q.amount AS quota,
       (SELECT coalesce(sum(c.credited), 0) FROM credit c
        WHERE c.member_id = m.member_id AND c.sold_on >= fp.start_on AND c.sold_on <= fp.end_on) AS credited,
       (SELECT count(*) FROM credit c
        WHERE c.member_id = m.member_id AND c.sold_on >= fp.start_on AND c.sold_on <= fp.end_on) AS lines
FROM member m CROSS JOIN fiscal_period fp
LEFT JOIN quota q ON q.member_id = m.member_id AND q.period_id = fp.period_id;
SELECT set_eq('SELECT member_id, period_id, quota, credited_sales, attainment FROM v_rep_attainment',
              $$SELECT member_id, period_id, quota, credited, CASE WHEN quota > 0 THEN round(credited / quota, 6) END
                FROM rep_period WHERE quota IS NOT NULL OR lines > 0$$,
              'v_rep_attainment = credited sales / quota per rep and period (NULL for the zero January quota)');
SELECT is((SELECT count(*)::int FROM v_rep_attainment WHERE period_kind = 'month' AND month = 1 AND quota = 0
             AND attainment IS NULL), 12, 'the 12 reps'' zero January quotas give NULL attainment');
SELECT is((SELECT attainment FROM v_rep_attainment WHERE member_id = 8 AND period_kind = 'year'),
          (SELECT round(sum(credited) / 108000, 6) FROM credit WHERE member_id = 8),
          'rep 8, year: credited sales / 108 000');

SELECT set_eq($$SELECT team_id, period_id, team_quota, rep_quotas, credited_sales, attainment FROM v_team_attainment$$,
              $$SELECT t.team_id, fp.period_id, tq.amount,
                       (SELECT sum(q.amount) FROM quota q JOIN member m ON m.member_id = q.member_id
                        WHERE q.period_id = fp.period_id AND team_is_within(t.team_id, m.team_id)),
                       (SELECT coalesce(sum(c.credited), 0) FROM credit c JOIN member m ON m.member_id = c.member_id
                        WHERE team_is_within(t.team_id, m.team_id) AND c.sold_on BETWEEN fp.start_on AND fp.end_on) AS cs,
                       round((SELECT coalesce(sum(c.credited), 0) FROM credit c JOIN member m ON m.member_id = c.member_id
                              WHERE team_is_within(t.team_id, m.team_id) AND c.sold_on BETWEEN fp.start_on AND fp.end_on)
                             / tq.amount, 6)
                FROM team t CROSS JOIN fiscal_period fp
                LEFT JOIN quota tq ON tq.team_id = t.team_id AND tq.period_id = fp.period_id$$,
              'v_team_attainment = the subtree''s credited sales against the team and rep quotas');
SELECT is((SELECT credited_sales FROM v_team_attainment WHERE team_id = 1 AND period_kind = 'year'),
          (SELECT sum(c.credited) FROM credit c JOIN member m USING (member_id) WHERE m.team_id IN (1, 3, 4, 7)),
          'department 1 (teams 1, 3, 4, 7) rolls up its subtree''s sales');
SELECT is((SELECT rep_quotas FROM v_team_attainment WHERE team_id = 3 AND period_kind = 'year'),
          (SELECT 3 * 100000 + 1000 * (11 + 15 + 19))::numeric, 'team 3''s rep quotas: reps 11, 15, 19 of team 7 below it');

-- ---------------------------------------------------------------- pipeline and forecasts
SELECT set_eq($$SELECT member_id, stage, expected_close_month, opportunities, amount, weighted_amount FROM v_pipeline$$,
              $$SELECT member_id, stage, make_date(extract(year FROM expected_close)::int, extract(month FROM expected_close)::int, 1),
                       count(*), sum(amount), round(sum(amount * probability) / 100, 2)
                FROM opportunity GROUP BY 1, 2, 3$$,
              'v_pipeline = opportunities by rep, stage and close month, weighted by probability');

CREATE TEMP TABLE fc AS
SELECT f.period_id, m.team_id, f.member_id, f.amount AS forecast,
       (SELECT credited FROM rep_period rp WHERE rp.member_id = f.member_id AND rp.period_id = f.period_id) AS actual
FROM forecast f JOIN member m USING (member_id)
WHERE f.submitted_at = (SELECT max(g.submitted_at) FROM forecast g WHERE g.member_id = f.member_id AND g.period_id = f.period_id);
SELECT set_eq($$SELECT period_id, team_id, forecasts, forecast_total, actual_total,
                       wape AS w, forecast_bias AS b, mape AS m
                FROM v_forecast_accuracy$$,
              $$SELECT period_id, team_id, count(*) AS n, sum(forecast) AS f, sum(actual) AS a,
                       round(sum(abs(forecast - actual)) / nullif(sum(abs(actual)), 0), 6) AS w,
                       round(sum(forecast - actual) / nullif(sum(abs(actual)), 0), 6) AS b,
                       round(avg(abs(forecast - actual) / nullif(abs(actual), 0)), 6) AS m
                FROM fc GROUP BY 1, 2$$,
              'v_forecast_accuracy = wape, bias and mape of the latest forecasts by their formulas');

-- ---------------------------------------------------------------- customers
DO $$ BEGIN PERFORM sales_supervisor.execute_job('overdue_visits'); PERFORM sales_supervisor.execute_job('overdue_feedback'); END $$;
SELECT set_eq($$SELECT customer_id, tier, owner_id, last_visit_on, visit_overdue, days_overdue, overdue_flagged_on,
                       survey_responses, csat_pct AS csat, nps, open_feedback, open_complaints, overdue_feedback
                FROM v_customer_health$$,
              $$SELECT * FROM (SELECT c.customer_id, c.tier, c.owner_id,
                       (SELECT max(v.done_at)::date FROM customer_visit v WHERE v.customer_id = c.customer_id),
                       EXISTS (SELECT 1 FROM overdue_visit o WHERE o.customer_id = c.customer_id),
                       (SELECT o.days_overdue FROM overdue_visit o WHERE o.customer_id = c.customer_id),
                       CASE WHEN EXISTS (SELECT 1 FROM overdue_visit o WHERE o.customer_id = c.customer_id) THEN CURRENT_DATE END,
                       (SELECT count(*) FROM survey_response r WHERE r.customer_id = c.customer_id),
                       (SELECT round(100.0 * count(*) FILTER (WHERE r.csat >= 4) / nullif(count(r.csat), 0), 2)
                        FROM survey_response r WHERE r.customer_id = c.customer_id),
                       (SELECT round(100.0 * (count(*) FILTER (WHERE r.nps >= 9) - count(*) FILTER (WHERE r.nps <= 6))
                                     / nullif(count(r.nps), 0), 2)
                        FROM survey_response r WHERE r.customer_id = c.customer_id),
                       (SELECT count(*) FROM feedback f WHERE f.customer_id = c.customer_id AND f.status IN ('open', 'in_progress')),
                       (SELECT count(*) FROM feedback f WHERE f.customer_id = c.customer_id AND f.status IN ('open', 'in_progress')
                          AND f.kind = 'complaint'),
                       (SELECT count(*) FROM feedback f WHERE f.customer_id = c.customer_id AND f.status IN ('open', 'in_progress')
                          AND f.opened_at < now() - CASE WHEN f.kind = 'complaint' THEN interval '3 days' ELSE interval '14 days' END)
                FROM customer c) x(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13)$$,
              'v_customer_health = last visit, overdue, csat, nps and open feedback computed from the raw tables');
SELECT ok((SELECT count(*) FILTER (WHERE csat_pct IS NOT NULL) > 10 AND count(*) FILTER (WHERE open_feedback > 0) > 0
           FROM v_customer_health), 'the health view has survey and feedback figures to compare');

-- ---------------------------------------------------------------- team scorecard
SELECT set_eq($$SELECT team_id, fiscal_year, active_members, active_customers, credited_sales, team_quota, attainment AS a,
                       forecast_wape AS w, survey_responses, csat_pct AS c, nps AS n, complaints,
                       overdue_customers_now, reports_on_time_pct
                FROM v_team_scorecard$$,
              $$SELECT * FROM (SELECT t.team_id, 2025,
                       (SELECT count(*) FROM member m WHERE m.active AND team_is_within(t.team_id, m.team_id)),
                       (SELECT count(*) FROM customer c WHERE c.active AND team_is_within(t.team_id, c.team_id)),
                       (SELECT credited FROM (SELECT coalesce(sum(c.credited), 0) AS credited FROM credit c JOIN member m USING (member_id)
                                              WHERE team_is_within(t.team_id, m.team_id)) x),
                       (300000 * t.team_id)::numeric,
                       round((SELECT coalesce(sum(c.credited), 0) FROM credit c JOIN member m USING (member_id)
                              WHERE team_is_within(t.team_id, m.team_id)) / (300000 * t.team_id), 6),
                       (SELECT round(sum(abs(fc.forecast - fc.actual)) / nullif(sum(abs(fc.actual)), 0), 6)
                        FROM fc JOIN member m USING (member_id) WHERE team_is_within(t.team_id, m.team_id)),
                       (SELECT count(*) FROM survey_response r JOIN customer c USING (customer_id)
                        WHERE team_is_within(t.team_id, c.team_id) AND extract(year FROM r.answered_at) = 2025),
                       (SELECT round(100.0 * count(*) FILTER (WHERE r.csat >= 4) / nullif(count(r.csat), 0), 2)
                        FROM survey_response r JOIN customer c USING (customer_id)
                        WHERE team_is_within(t.team_id, c.team_id) AND extract(year FROM r.answered_at) = 2025),
                       (SELECT round(100.0 * (count(*) FILTER (WHERE r.nps >= 9) - count(*) FILTER (WHERE r.nps <= 6))
                                     / nullif(count(r.nps), 0), 2)
                        FROM survey_response r JOIN customer c USING (customer_id)
                        WHERE team_is_within(t.team_id, c.team_id) AND extract(year FROM r.answered_at) = 2025),
                       (SELECT count(*) FROM feedback f JOIN customer c USING (customer_id)
                        WHERE team_is_within(t.team_id, c.team_id) AND f.kind = 'complaint'
                          AND extract(year FROM f.opened_at) = 2025),
                       (SELECT count(*) FROM overdue_visit o WHERE team_is_within(t.team_id, o.team_id)),
                       (SELECT round(100.0 * count(*) FILTER (WHERE w.submitted_at::date <= w.due_on) / nullif(count(*), 0), 2)
                        FROM work_report w JOIN member m USING (member_id)
                        WHERE team_is_within(t.team_id, m.team_id) AND extract(year FROM w.due_on) = 2025)
                FROM team t) x(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14)$$,
              'v_team_scorecard = head counts, sales, quota, forecast wape, csat, nps, complaints, overdue and on-time reports of each subtree');
SELECT ok((SELECT count(*) FILTER (WHERE forecast_wape IS NOT NULL AND csat_pct IS NOT NULL AND reports_on_time_pct IS NOT NULL) = 7
           FROM v_team_scorecard), 'every team''s scorecard has forecast, survey and report figures to compare');

-- ---------------------------------------------------------------- grades, promotions, pay
-- 19 people graded A x5, B x5, C x7, D x2 against 20/30/40/10 %: by hand,
-- 19 x shares = 3.8, 5.7, 7.6, 1.9 -> floors 3, 5, 7, 1 (16) and the 3 units
-- left go to the largest remainders .9 (D), .8 (A), .7 (B): targets 4, 6, 7, 2.
INSERT INTO appraisal_result (cycle_id, member_id, level, final_score, grade)
SELECT (SELECT cycle_id FROM appraisal_cycle), m.member_id, m.level, 100 - m.member_id,
       CASE WHEN m.member_id <= 5 THEN 'A' WHEN m.member_id <= 10 THEN 'B' WHEN m.member_id <= 17 THEN 'C' ELSE 'D' END
FROM member m;
SELECT results_eq($$SELECT grade, target_pct, graded, target_count, actual_count, actual_pct, deviation
                    FROM v_grade_distribution ORDER BY ordinal$$,
                  $$VALUES ('A', 20.00, 19::bigint, 4::bigint, 5::bigint, 26.32, 1::bigint),
                           ('B', 30.00, 19, 6, 5, 26.32, -1),
                           ('C', 40.00, 19, 7, 7, 36.84, 0),
                           ('D', 10.00, 19, 2, 2, 10.53, 0)$$,
                  'v_grade_distribution: actual grades against the forced distribution, targets by hand');
SELECT is((SELECT array_agg(g ORDER BY g) FROM (SELECT grade_by_distribution('{A,B,C,D}', '{20,30,40,10}')
                                                       OVER (ORDER BY final_score DESC) AS g
                                                FROM appraisal_result) x),
          (SELECT array_agg(grade ORDER BY ordinal, n) FROM v_grade_distribution CROSS JOIN generate_series(1, target_count) n),
          'its targets are the counts grade_by_distribution gives');

-- (ids of generated rows without explicit ids depend on the sequences, which
-- earlier rolled-back tests advanced: look them up)
INSERT INTO promotion_candidate (cycle_id, member_id, rule_id, status)
SELECT c.cycle_id, v.m, r.rule_id, v.st
FROM appraisal_cycle c
CROSS JOIN (VALUES (8, 'sales_rep', 'proposed'), (9, 'sales_rep', 'approved'), (10, 'sales_rep', 'rejected'),
                   (3, 'sales_customer_supervisor', 'proposed')) v(m, lvl, st)
JOIN promotion_rule r ON r.from_level = v.lvl::member_level AND r.to_level = 'sales_customer_supervisor'::member_level
                         OR r.from_level = v.lvl::member_level AND v.lvl = 'sales_customer_supervisor';
INSERT INTO promotion (member_id, from_level, to_level, effective_on, cycle_id, approved_by)
VALUES (9, 'sales_rep', 'sales_customer_supervisor', '2026-01-01', (SELECT cycle_id FROM appraisal_cycle), 4);
SELECT results_eq($$SELECT from_level::text, to_level::text, members_at_level, candidates, proposed, approved, rejected, promoted
                    FROM v_promotion_pipeline ORDER BY rule_id$$,
                  $$VALUES ('sales_rep', 'sales_customer_supervisor', 12::bigint, 3::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint),
                           ('sales_customer_supervisor', 'sales_manager', 5, 1, 1, 0, 0, 0),
                           ('sales_manager', 'sales_director', 2, 0, 0, 0, 0, 0),
                           ('sales_manager', 'customer_director', 2, 0, 0, 0, 0, 0)$$,
                  'v_promotion_pipeline: 12 reps, 5 supervisors, 2 managers; the candidates and the promotion by hand');

SELECT results_eq($$SELECT team_id, level::text, headcount FROM v_pay_summary WHERE headcount >= 3 ORDER BY team_id$$,
                  $$VALUES (4, 'sales_rep', 3::bigint), (5, 'sales_rep', 3), (6, 'sales_rep', 3), (7, 'sales_rep', 3)$$,
                  'v_pay_summary: the four rep groups of three');
SELECT set_eq($$SELECT team_id, level, base_salary_total, commission_total, year_end_bonus_total, total_pay
                FROM v_pay_summary WHERE headcount >= 3$$,
              $$SELECT m.team_id, m.level, sum(p.base_salary) AS b, sum(p.commission) AS c, sum(p.year_end_bonus) AS y,
                       sum(p.base_salary) + sum(p.commission) + sum(p.year_end_bonus) AS t
                FROM pay p JOIN member m USING (member_id) GROUP BY 1, 2 HAVING count(*) >= 3$$,
              'v_pay_summary: the groups'' totals are the sums of their pay rows');
SELECT is((SELECT count(*)::int FROM v_pay_summary WHERE headcount < 3
             AND num_nonnulls(base_salary_total, base_salary_avg, commission_total, year_end_bonus_total,
                              total_pay, total_pay_avg) > 0), 0,
          'v_pay_summary: no amount is shown for a group of fewer than 3 people');
SELECT is((SELECT sum(headcount)::int FROM v_pay_summary), (SELECT count(*)::int FROM pay), 'v_pay_summary counts everyone once');

-- ---------------------------------------------------------------- job status
SELECT results_eq($$SELECT job_name, last_status, runs_30d, failures_30d FROM v_job_status
                    WHERE job_name IN ('refresh_reports', 'overdue_visits', 'kpi_snapshot') ORDER BY job_name$$,
                  $$VALUES ('kpi_snapshot', NULL, 0::bigint, 0::bigint), ('overdue_visits', 'success', 1, 0),
                           ('refresh_reports', 'success', 2, 0)$$,
                  'v_job_status: the runs of this test');

-- ---------------------------------------------------------------- catalog and the BI role
-- the columns a BI tool reads: declared types (JDBC reports precision and
-- scale from the typmod), counts bigint, comments that say what and in which unit
CREATE TEMP TABLE bi_col AS
SELECT c.relname::text AS rel, a.attname::text AS col, a.atttypid::regtype AS typ, a.atttypmod AS typmod,
       format_type(a.atttypid, a.atttypmod) AS ftype, col_description(c.oid, a.attnum) AS cmt
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND has_table_privilege('sales_supervisor_bi', c.oid, 'SELECT');
SELECT is((SELECT array_agg(rel || '.' || col ORDER BY 1) FROM bi_col WHERE typ = 'numeric'::regtype AND typmod < 0),
          NULL, 'no column the BI role reads is numeric without a declared precision and scale');
SELECT is((SELECT array_agg(rel || '.' || col || ' ' || ftype ORDER BY 1) FROM bi_col
           WHERE typ = 'numeric'::regtype
             AND NOT (ftype ~ ',2\)$' OR ftype ~ ',6\)$' AND cmt ~ 'ratio with 6 decimals')),
          NULL, 'numeric columns have scale 2 (money, percentages) or 6 (ratios, said so in the comment)');
SELECT is((SELECT array_agg(rel || '.' || col || ' ' || ftype ORDER BY 1) FROM bi_col
           WHERE cmt ~* '\mcount of\M' AND typ <> 'bigint'::regtype),
          NULL, 'every count column (comment "Count of ...") is bigint');
SELECT is((SELECT array_agg(rel || '.' || col || ': ' || coalesce(cmt, 'NULL') ORDER BY 1) FROM bi_col
           WHERE coalesce(array_length(regexp_split_to_array(btrim(cmt), '\s+'), 1), 0) < 4
              OR col ~ '(_lines|_count|^headcount|^graded|^forecasts|^opportunities|^candidates|_30d)$'
                 AND cmt !~* 'count of'),
          NULL, 'every column the BI role reads has a comment of four words or more; counts say "count of"');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
           WHERE c.oid IN ('sales_supervisor.team'::regclass, 'sales_supervisor.fiscal_period'::regclass,
                           'sales_supervisor.appraisal_cycle'::regclass, 'sales_supervisor.grade_policy'::regclass,
                           'sales_supervisor.promotion_rule'::regclass, 'sales_supervisor.visit_cadence'::regclass,
                           'sales_supervisor.job_setting'::regclass, 'sales_supervisor.member'::regclass)
             AND NOT coalesce('autovacuum_analyze_threshold=0' = ANY (c.reloptions), false)),
          NULL, 'the small tables the views read are analyzed by autovacuum after their first change (threshold 0)');
-- with statistics no view is planned above jit_above_cost on a small org
-- (unanalyzed small tables made v_team_scorecard cost 10^8 and spend seconds
-- in JIT compilation)
CREATE TEMP TABLE bi_cost (rel text, cost float8);
DO $$
DECLARE r record; p json;
BEGIN
  FOR r IN SELECT DISTINCT rel FROM bi_col LOOP
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT * FROM sales_supervisor.%I', r.rel) INTO p;
    INSERT INTO bi_cost VALUES (r.rel, (p -> 0 -> 'Plan' ->> 'Total Cost')::float8);
  END LOOP;
END
$$;
SELECT is((SELECT array_agg(rel || ' ' || round(cost) ORDER BY rel) FROM bi_cost
           WHERE cost >= current_setting('jit_above_cost')::float8),
          NULL, 'every BI view is planned below jit_above_cost on the small org (no JIT compilation)');
SELECT is((SELECT array_agg(c.relname || '.' || coalesce(a.attname, '') ORDER BY 1) FROM pg_class c
           LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('v', 'm')
             AND (obj_description(c.oid, 'pg_class') IS NULL OR col_description(c.oid, a.attnum) IS NULL)),
          NULL, 'every view and materialized view, and every column of them, has a comment');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace
             AND has_table_privilege('sales_supervisor_bi', c.oid, 'SELECT')),
          ARRAY['v_credited_sales_daily', 'v_customer_health', 'v_forecast_accuracy', 'v_grade_distribution',
                'v_job_status', 'v_org_summary', 'v_pace_backtest', 'v_pace_to_quota', 'v_pay_summary', 'v_pipeline',
                'v_promotion_pipeline', 'v_rep_attainment', 'v_rep_sales_month', 'v_team_attainment', 'v_team_risk',
                'v_team_scorecard'],
          'the BI role reads exactly the reporting views');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('v', 'm')
             AND c.relname LIKE 'v\_%' AND c.relname <> 'v_org_summary'
             AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)
             AND (has_table_privilege('sales_supervisor_rep', c.oid, 'SELECT')
                  OR has_table_privilege('sales_supervisor_supervisor', c.oid, 'SELECT')
                  OR has_table_privilege('sales_supervisor_manager', c.oid, 'SELECT')
                  OR has_table_privilege('sales_supervisor_hr', c.oid, 'SELECT'))),
          NULL, 'no other role reads the owner-rights reporting views (the security-invoker ones read as the caller)');
CREATE ROLE ss_rep_bi NOLOGIN;
GRANT sales_supervisor_bi TO ss_rep_bi;
CREATE TEMP TABLE bi_counts AS
SELECT v, 0::bigint AS n FROM unnest(ARRAY['v_credited_sales_daily', 'v_customer_health', 'v_forecast_accuracy',
  'v_grade_distribution', 'v_job_status', 'v_pay_summary', 'v_pipeline', 'v_promotion_pipeline', 'v_rep_attainment',
  'v_rep_sales_month', 'v_team_attainment', 'v_team_scorecard']) v;
GRANT ALL ON bi_counts TO PUBLIC;
SET ROLE ss_rep_bi;
DO $$
DECLARE r record; k bigint;
BEGIN
  FOR r IN SELECT v FROM bi_counts LOOP
    EXECUTE format('SELECT count(*) FROM sales_supervisor.%I', r.v) INTO k;
    UPDATE bi_counts SET n = k WHERE v = r.v;
  END LOOP;
END
$$;
SELECT is((SELECT array_agg(v ORDER BY v) FROM bi_counts WHERE n = 0), NULL,
          'BI: reads every reporting view, each with rows, row-level security notwithstanding');
SELECT throws_ok('SELECT * FROM sales_supervisor.sale', '42501', 'permission denied for table sale', 'BI: cannot read sales lines');
SELECT throws_ok('SELECT * FROM sales_supervisor.pay', '42501', 'permission denied for table pay', 'BI: cannot read pay');
SELECT throws_ok('REFRESH MATERIALIZED VIEW sales_supervisor.v_credited_sales_daily', '42501', NULL,
                 'BI: cannot refresh the materialized view');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

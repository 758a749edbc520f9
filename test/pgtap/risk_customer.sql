-- Customer risk (issue 19, part 1): the purchase rhythm aggregate, the five
-- facts and the score of customer_risk(day), the weights' validation, the
-- daily job and its flags, and what each role sees.  Every expected value is
-- worked out by hand below.
--
-- The org: department Sales (team 10, led by manager Mia 9) over North (1, led
-- by supervisor Sam 1: reps Ann 3, Bob 4) and South (2, led by supervisor Sue 2:
-- rep Dan 6).  Tiers Y and Z are visited every 3660 days (never due here), M
-- every 60 days.  Settings are the defaults: weights rhythm 35, trend 25,
-- visit 10, complaint 20, satisfaction 10; at risk from 30; min 3 gaps;
-- tolerance 1.5, late at least 14 days after the usual gap (so with gaps of
-- 30 or 31 days the tolerance decides); trend window 90 days, drop 30 %; complaint window 90 days,
-- response 3 days; survey window 180 days, drop 20 points.
--
--   c1 Monthly  (Ann, Y)  bought 2025-01-15, 02-15, 03-15, 04-15, 05-15, 06-15,
--               then stops.  Gaps 31 28 31 30 31 -> sorted 28 30 31 31 31, lower
--               median 31 (own, 5 gaps >= 3).  Late when days since > 1.5 x 31 =
--               46.5: on 2025-07-31 (46 days) not, on 2025-08-01 (47) yes: score
--               35 >= 30.  No history a year earlier: no quiet season, no trend.
--   c2 Seasonal (Ann, Y)  bought on the 10th of June..September 2023, 2024, 2025.
--               Gaps 30 31 31 274 30 31 31 273 30 31 31 -> lower median (6th of
--               11) 31.  2025-12-15: 96 days since 2025-09-10, late by rhythm --
--               but on 2024-12-15 the last purchase was 2024-09-10, 96 days
--               before, > 46.5, and they bought within the year: quiet season,
--               score 0.  2026-06-05: 268 days; on 2025-06-05 also 268 days since
--               2024-09-10: quiet, 0.  2026-06-30: 293 days; on 2025-06-30 only 20
--               since 2025-06-10: late (35); net sales (2026-04-01, 06-30] 0
--               against 500.00 in (2025-04-01, 06-30]: down 100 % (25): 60.
--   c3 Newcomer (Bob, Y)  one purchase 2025-05-20: no gap, rhythm not judged.
--   c4 Sparse   (Bob, Z)  bought 2025-03-01 and 03-21: one gap < 3; no Z customer
--               has 3 gaps, so the company's typical gap: the own medians of
--               the customers with >= 3 gaps on 2025-08-01 are c1 31, c2 31 (9
--               gaps: 30 30 30 31 31 31 31 273 274, 5th = 31), c6 30 ->
--               percentile_disc(0.5) of 30 31 31 = 31; 133 days since 03-21 > 46.5.
--   c5 Unhappy  (Dan, M)  visited 2025-05-01 (due again 2025-06-30); complaint
--               opened 2025-07-10 09:00, open (deadline 07-13 09:00); complaint
--               opened 06-01, resolved 06-10 (> 3 days: late); surveys CSAT 5 /
--               NPS 10 on 2024-12-01, CSAT 2 / NPS 3 on 2025-06-01.  On
--               2025-07-15 (end 07-16 00:00): visit late 10, complaints 20,
--               CSAT 100 -> 0 and NPS 100 -> -100 (recent window from 2025-01-17,
--               the one before from 2024-07-21): 10; score 40.
--   c6 Shrinking (Dan, Y) bought 1000.00 on the 10th of April..July 2024 and
--               300.00 on the same days of 2025.  On 2025-07-15: net sales of
--               (04-16, 07-15] = 900.00 against 3000.00 a year earlier, below 70 %
--               (2100): trend 25, down round(100 x (1 - 0.3)) = 70 %; gaps 30 31
--               30 274 30 31 30 -> lower median (4th of 7) 30, 5 days since:
--               not late.  Score 25: not at risk; with trend weighted 40, at risk.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO';
SELECT plan(64);

-- ---------------------------------------------------------------- the org
INSERT INTO team (team_id, name, parent_id) VALUES (10, 'Sales', NULL);
INSERT INTO team (team_id, name, parent_id) VALUES (1, 'North', 10), (2, 'South', 10);
INSERT INTO member (member_id, full_name, level, team_id, manager_id, hire_date, login_role) VALUES
  (9, 'Mia', 'sales_manager', 10, NULL, '2019-01-01', 'ss_risk_mia'),
  (1, 'Sam', 'sales_customer_supervisor', 1, 9, '2019-01-01', 'ss_risk_sam'),
  (2, 'Sue', 'sales_customer_supervisor', 2, 9, '2019-01-01', 'ss_risk_sue'),
  (3, 'Ann', 'sales_rep', 1, 1, '2020-01-01', 'ss_risk_ann'),
  (4, 'Bob', 'sales_rep', 1, 1, '2020-01-01', 'ss_risk_bob'),
  (6, 'Dan', 'sales_rep', 2, 2, '2020-01-01', 'ss_risk_dan');
INSERT INTO team_leader (team_id, member_id) VALUES (10, 9), (1, 1), (2, 2);
INSERT INTO visit_cadence (tier, every_days) VALUES ('Y', 3660), ('Z', 3660), ('M', 60);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES
  (1, 'Monthly', 'Y', 1, 3, '2024-06-01'), (2, 'Seasonal', 'Y', 1, 3, '2023-01-01'),
  (3, 'Newcomer', 'Y', 1, 4, '2025-05-01'), (4, 'Sparse', 'Z', 1, 4, '2025-01-01'),
  (5, 'Unhappy', 'M', 2, 6, '2024-01-01'), (6, 'Shrinking', 'Y', 2, 6, '2024-01-01');
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount)
SELECT d::date, 3, 1, 1, 100 FROM unnest(ARRAY['2025-01-15', '2025-02-15', '2025-03-15', '2025-04-15',
                                               '2025-05-15', '2025-06-15']) d
UNION ALL SELECT make_date(y, m, 10), 3, 2, 1, 500 FROM generate_series(2023, 2025) y, generate_series(6, 9) m
UNION ALL SELECT '2025-05-20', 4, 3, 1, 800
UNION ALL SELECT d::date, 4, 4, 1, 200 FROM unnest(ARRAY['2025-03-01', '2025-03-21']) d
UNION ALL SELECT make_date(y, m, 10), 6, 6, 1, CASE y WHEN 2024 THEN 1000 ELSE 300 END
          FROM generate_series(2024, 2025) y, generate_series(4, 7) m;
-- a refund is not a purchase day (c1 keeps its rhythm)
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount, refund_of)
SELECT '2025-07-01', 3, 1, 1, -100, min(sale_id) FROM sale WHERE customer_id = 1;
INSERT INTO customer_visit (customer_id, member_id, planned_on, done_at) VALUES (5, 6, '2025-05-01', '2025-05-01 10:00');
INSERT INTO feedback (customer_id, member_id, kind, status, summary, opened_at, resolved_at) VALUES
  (5, 6, 'complaint', 'open', 'late part', '2025-07-10 09:00', NULL),
  (5, 6, 'complaint', 'resolved', 'wrong invoice', '2025-06-01 00:00', '2025-06-10 00:00'),
  (5, 6, 'suggestion', 'open', 'colours', '2025-07-01 00:00', NULL);
INSERT INTO survey_response (customer_id, member_id, answered_at, csat, nps) VALUES
  (5, 6, '2024-12-01 12:00', 5, 10), (5, 6, '2025-06-01 12:00', 2, 3);

-- ---------------------------------------------------------------- the aggregate
SELECT is((SELECT purchase_rhythm(d) FROM unnest(ARRAY['2025-03-15', '2025-01-15', NULL, '2025-02-15',
                                                      '2025-01-15', '2025-04-15']::date[]) d)::text,
          '(4,2025-01-15,2025-04-15,3,31)',
          'purchase_rhythm: 4 distinct days in any order, NULL and the repeat skipped; gaps 31 28 31, lower median 31');
SELECT is((SELECT purchase_rhythm(d) FROM unnest(ARRAY['2025-01-01', '2025-01-11', '2025-02-20', '2025-03-12',
                                                      '2025-04-11']::date[]) d)::text,
          '(5,2025-01-01,2025-04-11,4,20)', 'purchase_rhythm: gaps 10 40 20 30, even count: the lower median 20');
SELECT is((SELECT purchase_rhythm(d) FROM unnest(ARRAY['2025-05-20']::date[]) d)::text,
          '(1,2025-05-20,2025-05-20,0,)', 'purchase_rhythm: one day, no gap, median NULL');
SELECT ok((SELECT purchase_rhythm(d) FROM unnest(ARRAY[NULL]::date[]) d) IS NULL, 'purchase_rhythm: no day gives NULL');
SELECT throws_ok($$SELECT purchase_rhythm(d) FROM unnest(ARRAY['2025-01-01', 'infinity']::date[]) d$$, '22023',
                 'purchase_rhythm day must be a finite date, got infinity', 'purchase_rhythm refuses an infinite day');
-- against an independent computation: distinct days, lag, percentile_disc
SELECT set_eq($$SELECT customer_id, (r).purchase_days, (r).first_on, (r).last_on, (r).gaps, (r).median_gap
               FROM (SELECT customer_id, purchase_rhythm(sold_on) AS r FROM sale WHERE amount > 0 GROUP BY 1) x$$,
              $$SELECT customer_id, count(*)::int AS n, min(sold_on) AS f, max(sold_on) AS l, count(gap)::int AS g,
                       percentile_disc(0.5) WITHIN GROUP (ORDER BY gap)
                FROM (SELECT customer_id, sold_on, sold_on - lag(sold_on) OVER (PARTITION BY customer_id ORDER BY sold_on) AS gap
                      FROM (SELECT DISTINCT customer_id, sold_on FROM sale WHERE amount > 0) d) g
                GROUP BY customer_id$$,
              'purchase_rhythm per customer = distinct days, lag and percentile_disc in plain SQL');

-- ---------------------------------------------------------------- parallel = serial
CREATE TABLE public.rhythm_par AS
SELECT i % 5003 AS g, date '2020-01-01' + ((i::bigint * 7919) % 2000)::integer AS d FROM generate_series(1, 400000) i;
ANALYZE public.rhythm_par;
CREATE FUNCTION pg_temp.explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q;
END $$;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE rhythm_serial AS SELECT g, purchase_rhythm(d)::text AS r FROM rhythm_par GROUP BY g;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches((SELECT string_agg(l, E'\n') FROM pg_temp.explain_analyze(
                  'CREATE TEMP TABLE rhythm_parallel AS SELECT g, purchase_rhythm(d)::text AS r FROM rhythm_par GROUP BY g') l),
               'Partial (Hash|Group)?Aggregate', 'purchase_rhythm runs as a partial aggregate in a parallel plan');
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT is((SELECT count(*) FROM rhythm_serial s JOIN rhythm_parallel p USING (g) WHERE s.r = p.r), 5003::bigint,
          'parallel (combine, serialize, deserialize) = serial for all 5003 groups');

-- ---------------------------------------------------------------- the facts, by hand
-- c1 stops: not late after 46 days, late after 47
SELECT results_eq($$SELECT score, at_risk, days_since_purchase, usual_gap, gap_basis, reasons
                    FROM customer_risk('2025-07-31') WHERE customer_id = 1$$,
                  $$VALUES (0.00::numeric(5,2), false, 46, 31, 'own', '{}'::text[])$$,
                  'monthly c1 on 2025-07-31: 46 days <= 46.5, not flagged');
SELECT results_eq($$SELECT score, at_risk, days_since_purchase, usual_gap, gap_basis, quiet_season, reasons
                    FROM customer_risk('2025-08-01') WHERE customer_id = 1$$,
                  $$VALUES (35.00::numeric(5,2), true, 47, 31, 'own', false,
                            ARRAY['no purchase for 47 days (last on 2025-06-15); usual gap 31 days (own rhythm over 5 gaps), late after 46 days'])$$,
                  'monthly c1 on 2025-08-01: 47 days > 46.5, flagged with the reason');
SELECT is((SELECT last_purchase_on FROM customer_risk('2025-08-01') WHERE customer_id = 1), '2025-06-15'::date,
          'the refund of 2025-07-01 is not a purchase');
SELECT is((SELECT count(*)::int FROM customer_risk('2025-07-14') WHERE customer_id = 1 AND NOT at_risk AND score = 0), 1,
          'monthly c1 within its rhythm on 2025-07-14 (29 days)');
-- c2 seasonal
SELECT results_eq($$SELECT score, at_risk, days_since_purchase, usual_gap, quiet_season, reasons
                    FROM customer_risk('2025-12-15') WHERE customer_id = 2$$,
                  $$VALUES (0.00::numeric(5,2), false, 96, 31, true, '{}'::text[])$$,
                  'seasonal c2 on 2025-12-15: 96 days without a purchase, but so it was a year earlier: quiet season');
SELECT results_eq($$SELECT score, at_risk, days_since_purchase, quiet_season FROM customer_risk('2026-06-05') WHERE customer_id = 2$$,
                  $$VALUES (0.00::numeric(5,2), false, 268, true)$$,
                  'seasonal c2 on 2026-06-05, just before its season: still quiet');
SELECT results_eq($$SELECT score, at_risk, quiet_season, recent_sales, year_ago_sales, reasons
                    FROM customer_risk('2026-06-30') WHERE customer_id = 2$$,
                  $$VALUES (60.00::numeric(5,2), true, false, 0::numeric, 500.00::numeric,
                            ARRAY['no purchase for 293 days (last on 2025-09-10); usual gap 31 days (own rhythm over 11 gaps), late after 46 days',
                                  'net sales of the last 90 days 0, down 100 % from 500.00 a year earlier'])$$,
                  'seasonal c2 on 2026-06-30: the season came without a purchase: late and falling, 35 + 25');
-- c3 newcomer
SELECT results_eq($$SELECT score, at_risk, last_purchase_on, days_since_purchase, usual_gap, gap_basis, reasons
                    FROM customer_risk('2025-12-31') WHERE customer_id = 3$$,
                  $$VALUES (0.00::numeric(5,2), false, '2025-05-20'::date, 225, NULL::integer, NULL::text, '{}'::text[])$$,
                  'newcomer c3 with one purchase: no usual gap, not judged on rhythm');
SELECT is((SELECT count(*)::int FROM customer_risk('2025-04-30') WHERE customer_id = 3), 0,
          'c3 is not a customer before its since date (2025-05-01)');
-- c4 sparse: the company's typical gap
SELECT results_eq($$SELECT score, usual_gap, gap_basis, reasons FROM customer_risk('2025-08-01') WHERE customer_id = 4$$,
                  $$VALUES (35.00::numeric(5,2), 31, 'company',
                            ARRAY['no purchase for 133 days (last on 2025-03-21); usual gap 31 days (typical of the company), late after 46 days'])$$,
                  'sparse c4 with one gap: judged on the company''s typical gap 31 (no Z customer has 3 gaps)');
UPDATE customer SET tier = 'Y' WHERE customer_id = 4;
SELECT results_eq($$SELECT usual_gap, gap_basis FROM customer_risk('2025-08-01') WHERE customer_id = 4$$,
                  $$VALUES (31, 'tier')$$, 'in tier Y: the tier''s typical gap (c1 31, c2 31, c6 30 -> 31)');
UPDATE customer SET tier = 'Z' WHERE customer_id = 4;
-- c5 unhappy: visit, complaints, satisfaction
SELECT results_eq($$SELECT score, at_risk, visit_due_on, open_complaints, late_complaints,
                           round(csat_before), round(csat_recent), round(nps_before), round(nps_recent), reasons
                    FROM customer_risk('2025-07-15') WHERE customer_id = 5$$,
                  $$VALUES (40.00::numeric(5,2), true, '2025-06-30'::date, 1, 1, 100::numeric, 0::numeric, 100::numeric, -100::numeric,
                            ARRAY['return visit due on 2025-06-30 (tier M: every 60 days) not done',
                                  '1 complaint(s) open past the 3-day response deadline; 1 complaint(s) resolved late in the last 90 days',
                                  'satisfaction down over the last 180 days: CSAT 100 -> 0, NPS 100 -> -100'])$$,
                  'c5 on 2025-07-15: visit 10 + complaints 20 + satisfaction 10 = 40');
SELECT results_eq($$SELECT score, open_complaints, late_complaints FROM customer_risk('2025-07-12') WHERE customer_id = 5$$,
                  $$VALUES (40.00::numeric(5,2), 0, 1)$$,
                  'c5 on 2025-07-12 (end 07-13 00:00): the new complaint is not past its deadline (07-13 09:00) yet; the late one counts');
-- c6 shrinking
SELECT results_eq($$SELECT score, at_risk, recent_sales, year_ago_sales, usual_gap, days_since_purchase, reasons
                    FROM customer_risk('2025-07-15') WHERE customer_id = 6$$,
                  $$VALUES (25.00::numeric(5,2), false, 900.00::numeric, 3000.00::numeric, 30, 5,
                            ARRAY['net sales of the last 90 days 900.00, down 70 % from 3000.00 a year earlier'])$$,
                  'c6 on 2025-07-15: sales down 70 % against a year earlier: 25 points, below 30');
SELECT is((SELECT count(*)::int FROM customer_risk('2025-07-15')), 6, 'six customers on 2025-07-15');

-- ---------------------------------------------------------------- errors
SELECT throws_ok($$SELECT * FROM customer_risk(NULL)$$, '22004', 'customer_risk day must not be null', 'NULL day: 22004');
SELECT throws_ok($$SELECT * FROM customer_risk('infinity')$$, '22023', 'customer_risk day must be a finite date, got infinity',
                 'infinite day: 22023');

-- ---------------------------------------------------------------- the weights
CREATE TEMP TABLE fallback AS SELECT (customer_risk_settings()).*;
INSERT INTO customer_risk_setting DEFAULT VALUES;
SELECT set_eq('SELECT * FROM customer_risk_setting', 'SELECT * FROM fallback',
              'without a row the column defaults apply: customer_risk_settings() = INSERT DEFAULT VALUES');
DELETE FROM customer_risk_setting;
SELECT throws_ok($$INSERT INTO customer_risk_setting (weight_rhythm) VALUES (50)$$, '23514',
                 'new row for relation "customer_risk_setting" violates check constraint "customer_risk_setting_weights_sum_to_100"',
                 'weights summing to 115: 23514 naming the rule');
SELECT throws_ok($$INSERT INTO customer_risk_setting (weight_rhythm, weight_trend) VALUES (-5, 65)$$, '23514',
                 'new row for relation "customer_risk_setting" violates check constraint "customer_risk_setting_weights_between_0_and_100"',
                 'a negative weight: 23514');
SELECT throws_ok($$INSERT INTO customer_risk_setting (flag_score) VALUES (0)$$, '23514',
                 'new row for relation "customer_risk_setting" violates check constraint "customer_risk_setting_flag_score_above_0_to_100"',
                 'flag score 0: 23514');
SELECT throws_ok($$INSERT INTO customer_risk_setting (min_gaps) VALUES (0)$$, '23514',
                 'new row for relation "customer_risk_setting" violates check constraint "customer_risk_setting_min_gaps_1_to_100"',
                 'min_gaps 0: 23514');
SELECT throws_ok($$INSERT INTO customer_risk_setting (trend_window_days) VALUES (400)$$, '23514',
                 'new row for relation "customer_risk_setting" violates check constraint "customer_risk_setting_windows_7_to_366_days"',
                 'a window of 400 days: 23514');
SELECT throws_ok($$INSERT INTO customer_risk_setting (singleton) VALUES (false)$$, '23514',
                 'new row for relation "customer_risk_setting" violates check constraint "customer_risk_setting_one_row"',
                 'a second row: 23514');
SELECT throws_ok($$INSERT INTO customer_risk_setting (weight_visit) VALUES (NULL)$$, '23502', NULL, 'a NULL weight: 23502');
-- a longer minimum lateness: c1 (gap 31) late only after greatest(1.5 x 31, 31 + 20) = 51 days
INSERT INTO customer_risk_setting (rhythm_min_late_days) VALUES (20);
SELECT is((SELECT at_risk FROM customer_risk('2025-08-01') WHERE customer_id = 1), false,
          'rhythm_min_late_days 20: c1 not late after 47 days (usual gap 31 + 20 = 51)');
SELECT is((SELECT reasons FROM customer_risk('2025-08-06') WHERE customer_id = 1),
          ARRAY['no purchase for 52 days (last on 2025-06-15); usual gap 31 days (own rhythm over 5 gaps), late after 51 days'],
          'rhythm_min_late_days 20: c1 late after 52 days');
SELECT throws_ok($$UPDATE customer_risk_setting SET rhythm_min_late_days = -1$$, '23514',
                 'new row for relation "customer_risk_setting" violates check constraint "customer_risk_setting_rhythm_min_late_days_0_to_366"',
                 'a negative minimum lateness: 23514');
DELETE FROM customer_risk_setting;

-- ---------------------------------------------------------------- roles
CREATE ROLE ss_risk_mia NOLOGIN; CREATE ROLE ss_risk_sam NOLOGIN; CREATE ROLE ss_risk_sue NOLOGIN;
CREATE ROLE ss_risk_ann NOLOGIN; CREATE ROLE ss_risk_bob NOLOGIN; CREATE ROLE ss_risk_dan NOLOGIN;
CREATE ROLE ss_risk_hr NOLOGIN; CREATE ROLE ss_risk_bi NOLOGIN;
GRANT sales_supervisor_manager TO ss_risk_mia;
GRANT sales_supervisor_supervisor TO ss_risk_sam, ss_risk_sue;
GRANT sales_supervisor_rep TO ss_risk_ann, ss_risk_bob, ss_risk_dan;
GRANT sales_supervisor_hr TO ss_risk_hr;
GRANT sales_supervisor_bi TO ss_risk_bi;

-- a manager changes the weights; the trend alone then puts c6 at risk
SET LOCAL ROLE ss_risk_mia;
INSERT INTO customer_risk_setting (weight_rhythm, weight_trend, weight_visit, weight_complaint, weight_satisfaction)
VALUES (20, 40, 10, 20, 10);
RESET ROLE;
SELECT results_eq($$SELECT score, at_risk FROM customer_risk('2025-07-15') WHERE customer_id = 6$$,
                  $$VALUES (40.00::numeric(5,2), true)$$, 'with trend weighted 40, c6 (trend only) is at risk');
SET LOCAL ROLE ss_risk_ann;
SELECT throws_ok($$UPDATE customer_risk_setting SET flag_score = 90$$, '42501', NULL, 'a rep may not change the weights');
SELECT is((SELECT weight_trend FROM customer_risk_setting), 40.00::numeric(5,2), 'a rep reads the weights');
RESET ROLE;
DELETE FROM customer_risk_setting;

-- ---------------------------------------------------------------- the daily job
-- Today (company_today(), after 2026-07-10 on any day this runs): c1 late (last
-- 2025-06-15), c2 late (last 2025-09-10, more than a year ago: no season
-- explains it), c3 one purchase: 0, c4 late on the company's gap, c5 visit
-- late 10 + complaint still open 20 = 30 (its surveys are out of both
-- windows), c6 late (last 2025-07-10; usual gap 30): five flags.
SELECT is((SELECT command FROM job_setting WHERE job_name = 'customer_risk'), 'CALL sales_supervisor.flag_customer_risk()',
          'the customer_risk job is in the calendar');
CREATE TEMP TABLE run1 AS SELECT * FROM execute_job('customer_risk');
SELECT is((SELECT status FROM run1), 'success', 'customer_risk job: success');
SELECT is((SELECT rows_affected FROM run1), 5::bigint, 'customer_risk job: 5 customers newly flagged');
SELECT ok((SELECT detail ~ 'step 1/2.*\n.*step 2/2, 5 customers at risk: 5 newly flagged, 0 flags changed, 0 cleared' FROM run1),
          'customer_risk job: its progress lines are in the log detail');
SELECT results_eq('SELECT customer_id, as_of = company_today(), flagged_on = company_today() FROM customer_risk_flag ORDER BY 1',
                  $$VALUES (1, true, true), (2, true, true), (4, true, true), (5, true, true), (6, true, true)$$,
                  'flags: c1, c2, c4, c5, c6 as of today');
SELECT is((SELECT score FROM customer_risk_flag WHERE customer_id = 5), 30.00::numeric(5,2), 'c5 today: visit 10 + complaint 20');
SELECT is((SELECT rows_affected FROM execute_job('customer_risk')), 0::bigint, 'the job again: nothing changed');
UPDATE customer SET active = false WHERE customer_id = 6;
SELECT is((SELECT rows_affected FROM execute_job('customer_risk')), 1::bigint, 'c6 inactive: its flag cleared (1 row)');
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM v_customer_risk), ARRAY[1, 2, 4, 5],
          'v_customer_risk as the owner: every flag');
SELECT results_eq($$SELECT team_name, owner_name, customer_name, tier FROM v_customer_risk WHERE customer_id = 4$$,
                  $$VALUES ('North', 'Bob', 'Sparse', 'Z')$$, 'v_customer_risk names the team, the rep and the customer');

-- ---------------------------------------------------------------- as each role
SET LOCAL ROLE ss_risk_ann;
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM v_customer_risk), ARRAY[1, 2], 'rep Ann sees her c1, c2');
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM customer_risk_flag), ARRAY[1, 2], 'rep Ann: the flag table alike');
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM customer_risk('2025-08-01') WHERE at_risk), ARRAY[1],
          'rep Ann: customer_risk over her own customers (c1 at risk on 2025-08-01)');
RESET ROLE;
SET LOCAL ROLE ss_risk_bob;
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM v_customer_risk), ARRAY[4], 'rep Bob sees his c4');
SELECT results_eq($$SELECT customer_id, usual_gap, at_risk FROM customer_risk('2025-08-01') ORDER BY 1$$,
                  $$VALUES (3, NULL::integer, false), (4, NULL::integer, false)$$,
                  'rep Bob: the typical gap is of the customers in his sight; none has 3 gaps, so c4 is not judged');
RESET ROLE;
SET LOCAL ROLE ss_risk_sam;
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM v_customer_risk), ARRAY[1, 2, 4],
          'supervisor Sam sees North''s c1, c2, c4');
SELECT is((SELECT count(*)::int FROM customer_risk('2025-08-01')), 4, 'supervisor Sam: customer_risk over North''s four');
RESET ROLE;
SET LOCAL ROLE ss_risk_sue;
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM v_customer_risk), ARRAY[5], 'supervisor Sue sees South''s c5');
RESET ROLE;
SET LOCAL ROLE ss_risk_mia;
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM v_customer_risk), ARRAY[1, 2, 4, 5],
          'manager Mia sees her department''s flags');
RESET ROLE;
SET LOCAL ROLE ss_risk_hr;
SELECT throws_ok('SELECT * FROM sales_supervisor.v_customer_risk', '42501', NULL, 'HR does not read customer risk');
RESET ROLE;
SET LOCAL ROLE ss_risk_bi;
SELECT throws_ok('SELECT * FROM sales_supervisor.v_customer_risk', '42501', NULL, 'the BI role does not read customers');
RESET ROLE;
SET LOCAL ROLE ss_risk_dan;
SELECT throws_ok('CALL sales_supervisor.flag_customer_risk()', '42501', NULL, 'a rep may not run the job');
RESET ROLE;

-- ---------------------------------------------------------------- nothing after the day
-- Rows dated after 2025-07-15 -- sales, a visit, complaints, a resolution, a
-- survey, a new customer -- leave the risk as of 2025-07-15 unchanged.
UPDATE customer SET active = true WHERE customer_id = 6;
CREATE TEMP TABLE before_rows AS SELECT * FROM customer_risk('2025-07-15');
SET LOCAL ROLE ss_risk_sam;
CREATE TEMP TABLE before_rows_sam AS SELECT * FROM customer_risk('2025-07-15');
RESET ROLE;
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount)
SELECT d::date, c.owner_id, c.customer_id, 1, 999 FROM customer c
CROSS JOIN unnest(ARRAY['2025-07-16', '2025-09-01', '2025-12-16', '2026-03-01']) d;
INSERT INTO customer_visit (customer_id, member_id, planned_on, done_at) VALUES (5, 6, '2025-07-16', '2025-07-16 00:00');
INSERT INTO feedback (customer_id, member_id, kind, status, summary, opened_at, resolved_at) VALUES
  (1, 3, 'complaint', 'open', 'new one', '2025-07-16 00:00', NULL);
UPDATE feedback SET status = 'resolved', resolved_at = '2025-07-16 00:00' WHERE summary = 'late part';
INSERT INTO survey_response (customer_id, member_id, answered_at, csat, nps) VALUES
  (6, 6, '2025-07-16 00:00', 1, 0), (2, 3, '2025-12-16 00:00', 1, 0);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES (7, 'Later', 'M', 2, 6, '2025-07-16');
SELECT set_eq('SELECT * FROM customer_risk(''2025-07-15'')', 'SELECT * FROM before_rows',
              'risk as of 2025-07-15 unchanged by rows after it');
SET LOCAL ROLE ss_risk_sam;
SELECT set_eq('SELECT * FROM customer_risk(''2025-07-15'')', 'SELECT * FROM before_rows_sam',
              'risk as of 2025-07-15 as supervisor Sam (under row-level security) unchanged too');
RESET ROLE;
SELECT isnt((SELECT score FROM customer_risk('2025-07-16') WHERE customer_id = 5), 40.00::numeric(5,2),
            'as of 2025-07-16 the new rows count (c5 visited, complaint resolved): the property test can fail');

SELECT * FROM finish();
ROLLBACK;

-- Quota relief and proration (issue 14.2), every figure worked out by hand.
--
-- ORG: team 1 led by 1 Sam (manager); reps 2 Ann (since 2020), 3 Cat (hired
-- 2025-03-17), 4 Dan (left 2025-05-09), 5 Eve (leaves 2025-06-01..06-14 and
-- 2025-07-20..08-10).  Monthly quotas (fiscal 2025, months are periods 6..17):
--   Ann Mar 3 100.00; Cat Mar 3 100.00; Dan May 1 000.00, Jun 1 000.00;
--   Eve Jun 3 000.00, Jul 3 100.00, Aug 3 100.00.
-- PRORATION, allocate_quota(quota, [present, absent], 0.01):
--   Cat Mar: 31 days, absent 1..16 = 16: 3 100 x 16/31 = 1 600.00 exactly
--   Dan May: present 1..9 = 9, absent 22: in cents 100 000 x 9/31 = 29 032.258,
--            x 22/31 = 70 967.742; floors 29 032 + 70 967 = 99 999, the cent left
--            to the larger remainder (.742): relief 709.68 (present 290.32)
--   Dan Jun: absent all 30 days: 1 000.00
--   Eve Jun: 14 days of leave: 3 000 x 14/30 = 1 400.00
--   Eve Jul: leave 20..31 = 12 days: 3 100 x 12/31 = 1 200.00
--   Eve Aug: leave 1..10 = 10 days: 3 100 x 10/31 = 1 000.00
-- Eve's June leave shortened to 06-01..06-07 (7 days): due 3 000 x 7/30 = 700.00,
--   written -700.00.  Eve's year: 700 + 1 200 + 1 000 = 2 900.00 relieved.
--   Dan's Q2: 709.68 + 1 000.00 = 1 709.68.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(18);

\ir include/fiscal_2025.sql
INSERT INTO team (team_id, name) VALUES (1, 'North');
INSERT INTO member (member_id, full_name, team_id, hire_date, left_on, active, level) VALUES
  (1, 'Sam', 1, '2018-01-01', NULL, true, 'sales_manager'), (2, 'Ann', 1, '2020-01-01', NULL, true, 'sales_rep'),
  (3, 'Cat', 1, '2025-03-17', NULL, true, 'sales_rep'), (4, 'Dan', 1, '2019-01-01', '2025-05-09', false, 'sales_rep'),
  (5, 'Eve', 1, '2021-01-01', NULL, true, 'sales_rep');
INSERT INTO team_leader (team_id, member_id) VALUES (1, 1);
INSERT INTO quota (member_id, period_id, amount, method) VALUES
  (2, 8, 3100, 'manual'), (3, 8, 3100, 'manual'), (4, 10, 1000, 'manual'), (4, 11, 1000, 'manual'),
  (5, 11, 3000, 'manual'), (5, 12, 3100, 'manual'), (5, 13, 3100, 'manual');
INSERT INTO member_leave (member_id, during, reason) VALUES
  (5, '[2025-06-01,2025-06-15)', 'parental leave'), (5, '[2025-07-20,2025-08-11)', 'sabbatical');

SELECT throws_ok($$INSERT INTO sales_supervisor.member_leave (member_id, during, reason) VALUES (5, '[2025-06-10,2025-06-20)', 'x')$$,
                 '23P01', NULL, 'overlapping leaves of a member are refused');
SELECT results_eq('SELECT member_id, period_id, quota, days, absent_days, relief, written FROM sales_supervisor.prorate_quotas(2025)',
                  $$VALUES (3, 8, 3100.00, 31, 16, 1600.00, 1600.00),
                           (4, 10, 1000.00, 31, 22, 709.68, 709.68), (4, 11, 1000.00, 30, 30, 1000.00, 1000.00),
                           (5, 11, 3000.00, 30, 14, 1400.00, 1400.00), (5, 12, 3100.00, 31, 12, 1200.00, 1200.00),
                           (5, 13, 3100.00, 31, 10, 1000.00, 1000.00)$$,
                  'proration: each absent share split exactly from the month''s quota');
SELECT results_eq($$SELECT member_id, period_id, reason FROM sales_supervisor.quota_relief WHERE member_id IN (3, 4) ORDER BY 1, 2$$,
                  $$VALUES (3, 8, 'not there 16 of 31 days (hired on 2025-03-17)'),
                           (4, 10, 'not there 22 of 31 days (left on 2025-05-09)'),
                           (4, 11, 'not there 30 of 30 days (left on 2025-05-09)')$$,
                  'each relief says why');
SELECT is_empty('SELECT * FROM sales_supervisor.prorate_quotas(2025) WHERE written IS NOT NULL',
                'a second proration writes nothing');
UPDATE member_leave SET during = '[2025-06-01,2025-06-08)' WHERE member_id = 5 AND lower(during) = '2025-06-01';
SELECT results_eq('SELECT member_id, period_id, relief, written FROM sales_supervisor.prorate_quotas(2025) WHERE written IS NOT NULL',
                  $$VALUES (5, 11, 700.00, -700.00)$$, 'a shortened leave: only the difference is written');
SELECT results_eq('SELECT amount FROM sales_supervisor.quota_relief WHERE member_id = 5 AND period_id = 11 ORDER BY relief_id',
                  $$VALUES (1400.00), (-700.00)$$, 'the first relief stays, the correction is a row of its own');
SELECT results_eq('SELECT reduction, credit FROM sales_supervisor.quota_relief_for(1, 5)', $$VALUES (2900.00, 0::numeric)$$,
                  'Eve''s year: 700.00 + 1 200.00 + 1 000.00 relieved');
SELECT results_eq('SELECT reduction FROM sales_supervisor.quota_relief_for(3, 4)', $$VALUES (1709.68)$$,
                  'Dan''s second quarter: 709.68 + 1 000.00');
SELECT is((SELECT sum(q.amount) - sum(r.amount) FROM sales_supervisor.quota q
           JOIN sales_supervisor.quota_relief r USING (member_id, period_id) WHERE q.member_id = 4 AND q.period_id = 10),
          290.32, 'Dan''s May: the present part and the relief add up to the quota');
SELECT throws_ok('UPDATE sales_supervisor.quota_relief SET amount = 1 WHERE member_id = 3', '42501',
                 'quota_relief is append-only: UPDATE is not allowed', 'relief rows are never edited');
SELECT is((SELECT count(*)::int FROM audit_log WHERE table_name = 'quota_relief' AND action = 'INSERT'), 7,
          'every relief row is audited');

-- attainment net of relief: Eve sells 1 000.00 on 10 June; her June quota 3 000.00 less
-- 700.00 relieved: 1 000 / 2 300 = 0.4347826... -> 0.434783
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id) VALUES (1, 'Acme', 'A', 1, 5);
INSERT INTO product_category (category_id, name) VALUES (1, 'Widgets');
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount) VALUES ('2025-06-10', 5, 1, 1, 1000.00);
REFRESH MATERIALIZED VIEW v_credited_sales_daily;
SELECT results_eq('SELECT quota, quota_relief, relief_credit, credited_sales, attainment FROM sales_supervisor.v_rep_attainment WHERE member_id = 5 AND period_id = 11',
                  $$VALUES (3000.00, 700.00, 0.00, 1000.00, 0.434783)$$,
                  'v_rep_attainment: June attainment against the quota less the relief');

-- who may relieve
CREATE ROLE ss_relief_mgr; CREATE ROLE ss_relief_rep;
GRANT sales_supervisor_manager TO ss_relief_mgr; GRANT sales_supervisor_rep TO ss_relief_rep;
UPDATE member SET login_role = 'ss_relief_mgr' WHERE member_id = 1;
UPDATE member SET login_role = 'ss_relief_rep' WHERE member_id = 2;
SET LOCAL ROLE ss_relief_mgr;
SELECT lives_ok($$INSERT INTO sales_supervisor.quota_relief (member_id, period_id, kind, amount, reason)
                  VALUES (2, 8, 'credit', 500, 'territory handed over mid-month')$$,
                'a manager credits a rep of their team');
SELECT throws_ok($$INSERT INTO sales_supervisor.quota_relief (member_id, period_id, kind, amount, reason)
                  VALUES (1, 8, 'credit', 500, 'my own territory')$$, '42501', NULL,
                 'a manager cannot relieve themself');
SELECT throws_ok($$SELECT * FROM sales_supervisor.prorate_quotas(NULL)$$, '22004', NULL, 'a NULL year is refused');
RESET ROLE;
SET LOCAL ROLE ss_relief_rep;
SELECT throws_ok($$INSERT INTO sales_supervisor.quota_relief (member_id, period_id, kind, amount, reason)
                  VALUES (2, 8, 'credit', 500, 'myself')$$, '42501', NULL, 'a rep cannot relieve themself');
SELECT throws_ok($$SELECT * FROM sales_supervisor.prorate_quotas(2025)$$, '42501', NULL, 'a rep cannot prorate');
SELECT results_eq('SELECT reduction, credit FROM sales_supervisor.quota_relief_for(8, 2)', $$VALUES (0::numeric, 500.00)$$,
                  'a rep reads their own relief');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

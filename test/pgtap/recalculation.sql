-- Changes to the past, on a small org whose every figure is worked out by hand
-- below: a late line, a split corrected after its period was paid, a plan
-- corrected in a locked month; the next run pays each difference for the
-- period it belongs to; recalculation then posts nothing; the ledger as known
-- on a date and as it should be; what-if.
--
-- ORG: team 1; reps 1 Ann, 2 Bob; customer 1; fiscal 2025 months (periods 6..17).
-- PLANS, Jan..Mar, both reps: marginal[(0,0.02),(15000,0.05)]  (2 % to 15 000, 5 % above)
--
-- JANUARY (period 6), run "2025-02-01":
--   s1 Ann 10 000.00 (Jan 10); s2 Bob 20 000.00 (Jan 20) split Ann 50 / Bob 50.
--   credit Ann 20 000 -> 15 000 x .02 + 5 000 x .05 = 300 + 250 = 550.00
--          Bob 10 000 -> 200.00
-- FEBRUARY (period 7), run "2025-03-01":
--   s3 Bob 30 000.00 (Feb 5) -> 300 + 15 000 x .05 = 1 050.00; Ann 0 -> 0.00
-- THEN (before the March run):
--   s4 Ann 5 000.00 sold Jan 25, entered late -> queued;
--   s2 corrected to Bob 100 %: Ann -10 000.00 (leaves the split, lines -1), Bob +10 000.00;
--   Bob's January plan corrected to marginal[(0,0.03),(15000,0.05)] (version 2).
-- MARCH (period 8), run "2025-04-01":
--   s5 Ann 1 000.00 (Mar 3): own payout Ann 20.00, Bob 0.00.
--   credit booked in March: sales Ann 1 000 (for 8); late_sales Ann 5 000 (for 6);
--     corrections Ann -10 000 (for 6, lines -1), Bob +10 000 (for 6, lines 0).
--   January as it is now: Ann 20 000 + 5 000 - 10 000 = 15 000 -> 300.00, paid 550.00 -> -250.00
--                         Bob 10 000 + 10 000 = 20 000 under version 2
--                             -> 15 000 x .03 + 5 000 x .05 = 450 + 250 = 700.00, paid 200.00 -> +500.00
--   paid in March: Ann 20.00 - 250.00 = -230.00; Bob 0.00 + 500.00 = 500.00
--   booked credit in March: Ann 1 000 + 5 000 - 10 000 = -4 000; Bob 10 000.
-- WHAT-IF over Jan..Mar, credit as it should be: Ann 15 000 / 0 / 1 000, Bob 20 000 / 30 000 / 0.
--   current: Ann 300 + 0 + 20 = 320.00; Bob 700 + 1 050 + 0 = 1 750.00; total 2 070.00
--   flat[(0,0.03)] for everyone: Ann 16 000 x .03 = 480.00; Bob 50 000 x .03 = 1 500.00; total 1 980.00
--   difference: Ann +160.00, Bob -250.00, total -90.00
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(33);

\ir include/fiscal_2025.sql
INSERT INTO team (team_id, name) VALUES (1, 'North');
INSERT INTO member (member_id, full_name, team_id, hire_date) VALUES (1, 'Ann', 1, '2020-01-01'), (2, 'Bob', 1, '2020-01-01');
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id) VALUES (1, 'Acme', 'A', 1, 1);
INSERT INTO product_category (category_id, name) VALUES (1, 'Widgets');
INSERT INTO commission_plan (plan_id, member_id, period_id, tiers)
SELECT 10 * (m - 1) + p, m, p, 'marginal[(0,0.02),(15000,0.05)]' FROM generate_series(1, 2) m, generate_series(6, 8) p;
-- plan ids: Ann 6 (Jan) 7 8, Bob 16 (Jan) 17 18
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (1, '2025-01-10', 1, 1, 1, 10000.00), (2, '2025-01-20', 2, 1, 1, 20000.00), (3, '2025-02-05', 2, 1, 1, 30000.00);
INSERT INTO sale_credit (sale_id, member_id, share_pct) VALUES (2, 1, 50), (2, 2, 50);

SELECT results_eq('SELECT member_id, credited, payout FROM sales_supervisor.run_commission(6)',
                  $$VALUES (1, 20000.00, 550.00), (2, 10000.00, 200.00)$$, 'January: Ann 550.00, Bob 200.00');
SELECT results_eq('SELECT member_id, credited, payout FROM sales_supervisor.run_commission(7)',
                  $$VALUES (1, 0.00, 0.00), (2, 30000.00, 1050.00)$$, 'February: Ann 0.00, Bob 1 050.00');
SELECT results_eq('SELECT plan_id, plan_version FROM sales_supervisor.commission_payout WHERE for_period_id = 6 ORDER BY member_id',
                  $$VALUES (6, 1), (16, 1)$$, 'each payout line names the plan version it was computed with');

-- the changes
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES (4, '2025-01-25', 1, 1, 1, 5000.00);
SELECT is((SELECT count(*)::int FROM commission_late_sale WHERE credited_period_id IS NULL), 1, 'the late line waits');
SELECT throws_ok($$UPDATE sales_supervisor.sale_credit SET share_pct = 60 WHERE sale_id = 2 AND member_id = 1$$,
                 '55000', NULL, 'a credited split cannot be edited directly');
SELECT throws_ok($$SELECT * FROM sales_supervisor.correct_sale_credit(2, '{2,1}', '{60,30}', 'typo')$$,
                 '22023', NULL, 'shares that do not sum to 100 are refused');
SELECT throws_ok($$SELECT * FROM sales_supervisor.correct_sale_credit(2, '{2}', '{100}', '  ')$$,
                 '22023', 'a correction needs a reason', 'a blank reason is refused');
SELECT throws_ok($$SELECT * FROM sales_supervisor.correct_sale_credit(999, '{2}', '{100}', 'x')$$,
                 'P0002', 'sales line 999 does not exist', 'an unknown line is refused');
SELECT results_eq($$SELECT member_id, old_credit, new_credit, delta
                    FROM sales_supervisor.correct_sale_credit(2, '{2}', '{100}', 'Bob closed it alone')$$,
                  $$VALUES (1, 10000.00, NULL::numeric, -10000.00), (2, 10000.00, 20000.00, 10000.00)$$,
                  'the split corrected: Ann loses 10 000.00, Bob gains it');
SELECT results_eq('SELECT member_id, delta, line_change::int, credited_period_id FROM sales_supervisor.sale_credit_correction ORDER BY member_id',
                  $$VALUES (1, -10000.00, -1, NULL::integer), (2, 10000.00, 0, NULL)$$, 'recorded per rep, waiting');
SELECT throws_ok($$SELECT * FROM sales_supervisor.correct_sale_credit(2, '{2}', '{100}', 'again')$$,
                 '22023', NULL, 'a correction that changes nothing is refused');
SET LOCAL sales_supervisor.change_reason = 'wrong January rate for Bob';
UPDATE commission_plan SET tiers = 'marginal[(0,0.03),(15000,0.05)]' WHERE plan_id = 16;
RESET sales_supervisor.change_reason;
SELECT results_eq('SELECT version, tiers::text, reason FROM sales_supervisor.commission_plan_version WHERE plan_id = 16 ORDER BY version',
                  $$VALUES (1, 'marginal[(0,0.02),(15000,0.05)]', NULL::text),
                           (2, 'marginal[(0,0.03),(15000,0.05)]', 'wrong January rate for Bob')$$,
                  'the plan correction is version 2 with its reason; version 1 is kept');
SELECT throws_ok('DELETE FROM sales_supervisor.commission_plan WHERE plan_id = 16', '23503', NULL,
                 'a plan that paid cannot be deleted (its version is referenced)');
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()',
                'conserved with a late line, a correction and a plan correction waiting');
SELECT results_eq('SELECT for_period_id, member_id, difference FROM sales_supervisor.commission_as_it_should_be(6) WHERE difference <> 0',
                  $$VALUES (6, 1, -250.00), (6, 2, 500.00)$$, 'as it should be: January owes Ann -250.00, Bob +500.00');

INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES (5, '2025-03-03', 1, 1, 1, 1000.00);
SELECT results_eq('SELECT member_id, credited, payout FROM sales_supervisor.run_commission(8)',
                  $$VALUES (1, -4000.00, -230.00), (2, 10000.00, 500.00)$$,
                  'March: booked credit Ann -4 000.00, Bob 10 000.00; paid Ann 20.00 - 250.00, Bob 0.00 + 500.00');
SELECT results_eq($$SELECT kind, for_period_id, member_id, lines, amount FROM sales_supervisor.commission_credit
                    WHERE period_id = 8 ORDER BY kind, member_id$$,
                  $$VALUES ('corrections', 6, 1, -1, -10000.00), ('corrections', 6, 2, 0, 10000.00),
                           ('late_sales', 6, 1, 1, 5000.00), ('sales', 8, 1, 1, 1000.00)$$,
                  'the late line and the corrections are booked in March for January');
SELECT results_eq($$SELECT member_id, for_period_id, amount, plan_id, plan_version, credit_base, cause
                    FROM sales_supervisor.commission_payout WHERE period_id = 8 ORDER BY member_id, payout_id$$,
                  $$VALUES (1, 8, 20.00, 8, 1, 1000.00, NULL::text),
                           (1, 6, -250.00, 6, 1, 15000.00, 'credit 20000.00 -> 15000.00 (late lines, split corrections)'),
                           (2, 8, 0.00, 18, 1, 0.00, NULL),
                           (2, 6, 500.00, 16, 2, 20000.00, 'credit 10000.00 -> 20000.00 (split corrections); plan 16 version 1 -> 2')$$,
                  'each adjustment names the period, the plan version, the credit and the cause');
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()', 'conserved after the March run');
SELECT is_empty($$SELECT * FROM sales_supervisor.recalculate_commission(6, 9)$$,
                'a recalculation with no new change posts nothing');
SELECT is_empty('SELECT * FROM sales_supervisor.commission_as_it_should_be(6) WHERE difference <> 0',
                'nothing owed as it should be');

-- the ledger as known on a date: give the runs the times they had
SET LOCAL session_replication_role = replica;
UPDATE commission_credit SET created_at = CASE period_id WHEN 6 THEN '2025-02-01' WHEN 7 THEN '2025-03-01' ELSE '2025-04-01' END::timestamptz;
UPDATE commission_payout SET created_at = CASE period_id WHEN 6 THEN '2025-02-01' WHEN 7 THEN '2025-03-01' ELSE '2025-04-01' END::timestamptz;
UPDATE commission_plan_version SET recorded_at = CASE version WHEN 1 THEN '2025-01-01'::timestamptz ELSE '2025-03-20' END;
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT for_period_id, member_id, credit, paid, plan_version FROM sales_supervisor.commission_as_known('2025-03-25')$$,
                  $$VALUES (6, 1, 20000.00, 550.00, 1), (6, 2, 10000.00, 200.00, 2),
                           (7, 1, 0, 0.00, 1), (7, 2, 30000.00, 1050.00, 1)$$,
                  'as known on 25 March: January as paid, and the plan version recorded on the 20th');
SELECT results_eq($$SELECT for_period_id, member_id, credit, paid, plan_version FROM sales_supervisor.commission_as_known('2025-03-01')
                    WHERE for_period_id = 6$$,
                  $$VALUES (6, 1, 20000.00, 550.00, 1), (6, 2, 10000.00, 200.00, 1)$$,
                  'as known on 1 March: version 1 in force');
SELECT results_eq($$SELECT for_period_id, member_id, credit, paid FROM sales_supervisor.commission_as_known('2025-04-30') WHERE for_period_id = 6$$,
                  $$VALUES (6, 1, 15000.00, 300.00), (6, 2, 20000.00, 700.00)$$,
                  'as known on 30 April: January as it should be');

-- what-if
SELECT results_eq($$SELECT variant, member_id, current, simulated, difference
                    FROM sales_supervisor.commission_what_if(6, ARRAY[ROW('flat3', NULL, NULL, 'flat[(0,0.03)]')::sales_supervisor.commission_variant])$$,
                  $$VALUES ('flat3', 1, 320.00, 480.00, 160.00), ('flat3', 2, 1750.00, 1500.00, -250.00),
                           ('flat3', NULL::integer, 2070.00, 1980.00, -90.00)$$,
                  'what-if flat 3 %: Ann +160.00, Bob -250.00, cost -90.00');
SELECT is_empty($$SELECT * FROM sales_supervisor.commission_what_if(6,
                    ARRAY(SELECT ROW('same', cp.member_id, cp.period_id, cp.tiers)::sales_supervisor.commission_variant
                          FROM sales_supervisor.commission_plan cp)) WHERE difference <> 0$$,
                'what-if with the current plans: no difference for anyone');
SELECT results_eq($$SELECT variant, member_id, difference FROM sales_supervisor.commission_what_if(6, ARRAY[
                      ROW('bob_jan', 2, 6, 'marginal[(0,0.02),(15000,0.05)]'),
                      ROW('bob_all', 2, NULL, 'flat[(0,0)]')]::sales_supervisor.commission_variant[]) WHERE member_id IS NOT NULL$$,
                  $$VALUES ('bob_all', 1, 0.00), ('bob_all', 2, -1750.00), ('bob_jan', 1, 0.00), ('bob_jan', 2, -150.00)$$,
                  'two variants in one call; the most specific row applies, the rest keep their plan');
SELECT throws_ok($$SELECT * FROM sales_supervisor.commission_what_if(6, ARRAY[ROW('x', 2, 6, 'flat[(0,0)]'),
                   ROW('x', 2, 6, 'flat[(0,1)]')]::sales_supervisor.commission_variant[])$$,
                 '22023', NULL, 'a variant naming a rep and period twice is refused');
SELECT throws_ok($$SELECT * FROM sales_supervisor.commission_what_if(6, '{}')$$, '22023', NULL, 'no variant: refused');
SELECT throws_ok($$SELECT * FROM sales_supervisor.recalculate_commission(9)$$, '55000', NULL,
                 'recalculation from a period not run is refused');
SELECT throws_ok($$SELECT * FROM sales_supervisor.recalculate_commission(6, 8)$$, '55000', NULL,
                 'recalculation into a locked period is refused');

-- the appraisal's plans are versioned by the audit log: a KPI definition as it stood
INSERT INTO kpi_definition (kpi_id, code, name, metric, curve)
  OVERRIDING SYSTEM VALUE VALUES (901, 'sales', 'Sales', 'sales_amount', 'linear[(0,0),(1,100)]');
SET LOCAL session_replication_role = replica;
UPDATE audit_log SET changed_at = '2025-01-01' WHERE table_name = 'kpi_definition' AND row_key = '{"kpi_id": 901}';
SET LOCAL session_replication_role = origin;
UPDATE kpi_definition SET curve = 'linear[(0,0),(1,100),(2,150)]' WHERE kpi_id = 901;
SELECT results_eq($$SELECT row_data->>'curve' FROM sales_supervisor.audit_rows_as_of('kpi_definition', '2025-06-30')
                    WHERE row_key = '{"kpi_id": 901}'$$,
                  $$VALUES ('linear[(0,0),(1,100)]')$$, 'a KPI definition as it stood on 30 June 2025');
SELECT results_eq($$SELECT row_data->>'curve' FROM sales_supervisor.audit_rows_as_of('kpi_definition', now())
                    WHERE row_key = '{"kpi_id": 901}'$$,
                  $$VALUES ('linear[(0,0),(1,100),(2,150)]')$$, '... and as corrected since');

SELECT * FROM finish();
ROLLBACK;

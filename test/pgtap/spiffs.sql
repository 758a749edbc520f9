-- SPIFFs (issue 15): spiff_earnings(period), what each rep earns from the
-- SPIFFs paid with a period's settlement, and spiff_check_settled, which makes
-- a SPIFF whose payout is settled final.  Every number is worked out by hand
-- below.
--
-- ORG: team 1; reps 1 Ann, 2 Bob, 3 Cat, 4 Dan, 5 Eve; customer 1.
-- Categories 1 Goods, 2 Gadgets.  Calendar 2025 (include/fiscal_2025.sql):
-- Q1 is period 2 (Jan 1 .. Mar 31), January 6, February 7, March 8.
--
-- SALES (category Goods unless said; qty = sale.quantity)
--   s1 2025-01-20 Dan   100.00 qty 2
--   s2 2025-02-03 Ann   300.00 qty 3
--   s3 2025-02-10 Ann    40.00 qty NULL (one unit)
--   s4 2025-02-12 Ann  -100.00 qty 1, refund of s2
--   s5 2025-02-14 Bob    10.01 qty 3, split Bob 60 / Cat 40
--        credited_sales: allocate_quota(10.01, {60, 40}, 0.01): 6.006 / 4.004,
--        floored 6.00 / 4.00, the odd cent to the larger remainder (Bob):
--        Bob 6.01, Cat 4.00 -- the weights of every SPIFF share below
--   s6 2025-02-20 Dan   -50.00 qty 1, refund of s1 (Dan's February is negative)
--   s7 2025-02-21 Eve   500.00 qty 4, Gadgets
--   s8 2025-02-26 Eve    20.00 qty 1, split Eve 50 / Ann 50: 10.00 each
--   s9 2025-03-05 Cat   200.00 qty 10
--
-- SPIFFs
--   1 'Feb units'   Goods,   February, per unit   2.55
--   2 'Feb lines'   Goods,   February, per line  10.00
--   3 'Feb period'  Goods,   February, per period 50.00
--   4 'Feb gadgets' Gadgets, February, per unit   1.00, cap 3.00
--   5 'Q1 units'    Goods,   Q1,       per unit   1.00, cap 5.00
--
-- The rule: a line is worth qty x amount (per unit) or amount (per line),
-- negative for a refund; a split line's worth and its quantity are divided
-- between its reps by their credit (allocate_quota, cents / thousandths of a
-- unit, largest remainder, ties to the larger credit then the lower member
-- id); a rep's amount is the sum, 0 if negative, then at most the cap.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(22);

INSERT INTO team (team_id, name) VALUES (1, 'North');
INSERT INTO member (member_id, full_name, level, team_id, hire_date) VALUES
  (1, 'Ann', 'sales_rep', 1, '2024-01-01'), (2, 'Bob', 'sales_rep', 1, '2024-01-01'),
  (3, 'Cat', 'sales_rep', 1, '2024-01-01'), (4, 'Dan', 'sales_rep', 1, '2024-01-01'),
  (5, 'Eve', 'sales_rep', 1, '2024-01-01');
\ir include/fiscal_2025.sql
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id) VALUES (1, 'c1', 'A', 1, 1);
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods'), (2, 'Gadgets');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of, quantity) VALUES
  (1, '2025-01-20', 4, 1, 1, 100.00, NULL, 2),
  (2, '2025-02-03', 1, 1, 1, 300.00, NULL, 3),
  (3, '2025-02-10', 1, 1, 1, 40.00, NULL, NULL),
  (4, '2025-02-12', 1, 1, 1, -100.00, 2, 1),
  (5, '2025-02-14', 2, 1, 1, 10.01, NULL, 3),
  (6, '2025-02-20', 4, 1, 1, -50.00, 1, 1),
  (7, '2025-02-21', 5, 1, 2, 500.00, NULL, 4),
  (8, '2025-02-26', 5, 1, 1, 20.00, NULL, 1),
  (9, '2025-03-05', 3, 1, 1, 200.00, NULL, 10);
INSERT INTO sale_credit (sale_id, member_id, share_pct) VALUES (5, 2, 60), (5, 3, 40), (8, 5, 50), (8, 1, 50);
INSERT INTO spiff (spiff_id, name, category_id, period_id, per, amount, cap) OVERRIDING SYSTEM VALUE VALUES
  (1, 'Feb units', 1, 7, 'unit', 2.55, NULL),
  (2, 'Feb lines', 1, 7, 'line', 10.00, NULL),
  (3, 'Feb period', 1, 7, 'period', 50.00, NULL),
  (4, 'Feb gadgets', 2, 7, 'unit', 1.00, 3.00),
  (5, 'Q1 units', 1, 2, 'unit', 1.00, 5.00);
SELECT setval(pg_get_serial_sequence('sales_supervisor.spiff', 'spiff_id'), 5) \gset

-- ---------------------------------------------------------------- February (period 7)
-- SPIFF 1, per unit 2.55 (lines, units, amount):
--   s2 Ann:  3 units, 3 x 2.55 = 7.65
--   s3 Ann:  NULL quantity = 1 unit, 2.55
--   s4 Ann:  refund of 1 unit: -1 unit, -2.55
--   s5 worth 3 x 2.55 = 7.65 over credits 6.01 (Bob) / 4.00 (Cat):
--        units 3 x 6.01/10.01 = 1.8012, 3 x 4.00/10.01 = 1.1988: floored to
--        1.801 / 1.198, the last thousandth to the larger remainder (Cat .801
--        of a thousandth against Bob's .199): Bob 1.801, Cat 1.199 (= 3);
--        cents 7.65 x 6.01/10.01 = 4.5931, 7.65 x 4.00/10.01 = 3.0569:
--        floored 4.59 / 3.05, the odd cent to Cat (.69 against .31):
--        Bob 4.59, Cat 3.06 (= 7.65)
--   s6 Dan:  refund of 1 unit: -1, -2.55
--   s8 worth 2.55 over credits 10.00 / 10.00: 1.275 each, floored 1.27 / 1.27,
--        the odd cent tied (same remainder, same credit): to the lower member
--        id, Ann 1.28, Eve 1.27; units 0.500 each
--   s7 is Gadgets: not counted.
--   Ann: lines 1 + 1 - 1 + 1 = 2, units 3 + 1 - 1 + 0.5 = 3.5,
--        amount 7.65 + 2.55 - 2.55 + 1.28 = 8.93
--   Bob: 1, 1.801, 4.59      Cat: 1, 1.199, 3.06
--   Dan: -1, -1, -2.55 -> 0 (a SPIFF never charges a rep)
--   Eve: 1, 0.5, 1.27
SELECT results_eq($$SELECT member_id, lines, units, amount FROM spiff_earnings(7) WHERE spiff_id = 1 ORDER BY member_id$$,
                  $$VALUES (1, 2::bigint, 3.5, 8.93), (2, 1, 1.801, 4.59), (3, 1, 1.199, 3.06),
                           (4, -1, -1, 0.00), (5, 1, 0.5, 1.27)$$,
                  'per unit: quantities, a NULL quantity as one unit, refunds giving units back, split lines divided by credit, a negative total paying 0');
-- Conservation: the lines are worth 7.65 + 2.55 - 2.55 + 7.65 - 2.55 + 2.55 =
-- 15.30 and the reps' sums add up to exactly that (8.93 + 4.59 + 3.06 - 2.55
-- + 1.27); paid, with Dan's -2.55 raised to 0: 17.85.  Rounding each rep's
-- exact share once instead would create a cent: Ann 8.925 -> 8.93, Eve 1.275
-- -> 1.28, Bob 4.593 -> 4.59, Cat 3.057 -> 3.06: 17.86.
SELECT is((SELECT sum(amount) FROM spiff_earnings(7) WHERE spiff_id = 1), 17.85,
          'per unit: the split lines'' shares add up to their worth to the cent (17.85 paid, not 17.86)');
SELECT is((SELECT sum(amount) FROM spiff_earnings(7) WHERE spiff_id = 1 AND member_id IN (2, 3)), 7.65,
          'per unit: the 60/40 split of line 5 (10.01, 3 units) pays 4.59 + 3.06 = 3 x 2.55 exactly');

-- SPIFF 2, per line 10.00:
--   Ann s2 +10, s3 +10, s4 -10, s8 half of 10.00 = 5.00: lines 2, 15.00
--   s5 10.00 over 6.01 / 4.00: 6.004 / 3.996, floored 6.00 / 3.99, the odd
--        cent to Cat (.6 against .4): Bob 6.00, Cat 4.00
--   Dan s6 -10 -> 0;  Eve s8 5.00
SELECT results_eq($$SELECT member_id, lines, units, amount FROM spiff_earnings(7) WHERE spiff_id = 2 ORDER BY member_id$$,
                  $$VALUES (1, 2::bigint, 3.5, 15.00), (2, 1, 1.801, 6.00), (3, 1, 1.199, 4.00),
                           (4, -1, -1, 0.00), (5, 1, 0.5, 5.00)$$,
                  'per line: a refund line takes one back, a split line''s amount divided by credit in exact cents');

-- SPIFF 3, per period 50.00: net Goods credit in February
--   Ann 300 + 40 - 100 + 10 = 250, Bob 6.01, Cat 4.00, Eve 10.00: 50.00 each;
--   Dan -50: 0
SELECT results_eq($$SELECT member_id, amount FROM spiff_earnings(7) WHERE spiff_id = 3 ORDER BY member_id$$,
                  $$VALUES (1, 50.00), (2, 50.00), (3, 50.00), (4, 0.00), (5, 50.00)$$,
                  'per period: the amount once for each rep with a positive net credit of the category');

-- SPIFF 4, Gadgets per unit 1.00, cap 3.00: only s7, Eve 4 units = 4.00 -> 3.00
SELECT results_eq($$SELECT member_id, lines, units, amount FROM spiff_earnings(7) WHERE spiff_id = 4 ORDER BY member_id$$,
                  $$VALUES (5, 1::bigint, 4::numeric, 3.00)$$,
                  'another category: only its own lines count (the Goods lines do not), capped at 3.00');
SELECT results_eq($$SELECT DISTINCT spiff_id FROM spiff_earnings(7) ORDER BY spiff_id$$,
                  ARRAY[1, 2, 3, 4], 'February pays the February SPIFFs, not the Q1 SPIFF (Q1 ends in March)');
SELECT is_empty($$SELECT * FROM spiff_earnings(6)$$, 'January pays no SPIFF (none ends in January)');

-- ---------------------------------------------------------------- March (period 8): the Q1 SPIFF
-- SPIFF 5, Goods per unit 1.00 over Q1 (Jan 1 .. Mar 31), cap 5.00:
--   Dan s1 +2 units 2.00, s6 -1 -1.00: lines 0, units 1, 1.00
--   Ann as SPIFF 1: lines 2, units 3.5; cents 3.00 + 1.00 - 1.00 + 0.50 = 3.50
--   s5 worth 3.00 over 6.01 / 4.00: 1.8012 / 1.1988, floored 1.80 / 1.19, the
--        odd cent to Cat (.88 against .12): Bob 1.80, Cat 1.20
--   Cat s9 +10 units 10.00: lines 2, units 11.199, 11.20 -> cap 5.00
--   Eve s8: 0.50
SELECT results_eq($$SELECT spiff_id, member_id, lines, units, amount FROM spiff_earnings(8) ORDER BY spiff_id, member_id$$,
                  $$VALUES (5, 1, 2::bigint, 3.5, 3.50), (5, 2, 1, 1.801, 1.80), (5, 3, 2, 11.199, 5.00),
                           (5, 4, 0, 1, 1.00), (5, 5, 1, 0.5, 0.50)$$,
                  'March pays the quarterly SPIFF over the whole quarter''s lines (January''s included), capped at 5.00');
SELECT is_empty($$SELECT * FROM spiff_earnings(NULL)$$, 'a NULL period pays nothing');
SELECT is((SELECT array_agg(r ORDER BY r) FROM unnest(ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor',
             'sales_supervisor_manager', 'sales_supervisor_hr', 'sales_supervisor_bi']) r
           WHERE has_function_privilege(r, 'sales_supervisor.spiff_earnings(integer, integer)', 'EXECUTE')),
          NULL, 'spiff_earnings is internal: no group role may execute it');
SELECT is((SELECT array_agg(r ORDER BY r) FROM unnest(ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor',
             'sales_supervisor_manager', 'sales_supervisor_hr', 'sales_supervisor_bi']) r
           WHERE has_function_privilege(r, 'sales_supervisor.spiff_member_earnings(integer, integer)', 'EXECUTE')),
          NULL, 'spiff_member_earnings is internal: no group role may execute it');

-- ---------------------------------------------------------------- writing SPIFFs
CREATE ROLE ss_spiff_manager NOLOGIN;
GRANT sales_supervisor_manager TO ss_spiff_manager;
SET ROLE ss_spiff_manager;
SELECT lives_ok($$INSERT INTO sales_supervisor.spiff (name, category_id, period_id, per, amount) VALUES ('April push', 1, 9, 'line', 5)$$,
                'a manager sets up a SPIFF');
RESET ROLE;

-- February settled (batch 901): its SPIFFs are final; Q1's is not yet (its
-- last day, March 31, lies in no settled period)
INSERT INTO payout_batch (batch_id, period_id) OVERRIDING SYSTEM VALUE VALUES (901, 7);
SELECT throws_ok('UPDATE spiff SET amount = 3 WHERE spiff_id = 1', '55000',
                 'SPIFF "Feb units" of period 7 (ending 2025-02-28) is paid with period 7, which is settled (payout batch 901): it cannot be changed',
                 'a settled SPIFF cannot be changed');
SELECT throws_ok('DELETE FROM spiff WHERE spiff_id = 2', '55000', NULL, 'a settled SPIFF cannot be deleted');
SELECT throws_ok($$INSERT INTO spiff (name, category_id, period_id, per, amount) VALUES ('late', 1, 7, 'period', 5)$$,
                 '55000', NULL, 'no SPIFF can be added for a settled period');
SELECT throws_ok('UPDATE spiff SET period_id = 7 WHERE spiff_id = 5', '55000', NULL,
                 'a SPIFF cannot be moved into a settled period');
SELECT lives_ok('UPDATE spiff SET amount = 1.10 WHERE spiff_id = 5', 'the Q1 SPIFF still changes (March not settled)');
-- the quarter itself settled (batch 902 for period 2, which contains March 31)
INSERT INTO payout_batch (batch_id, period_id) OVERRIDING SYSTEM VALUE VALUES (902, 2);
SELECT throws_ok('UPDATE spiff SET amount = 1.20 WHERE spiff_id = 5', '55000',
                 'SPIFF "Q1 units" of period 2 (ending 2025-03-31) is paid with period 2, which is settled (payout batch 902): it cannot be changed',
                 'a quarterly SPIFF is final once a period containing its last day is settled');
-- audited: 5 + 1 inserts, the change of SPIFF 5 (refused statements leave nothing)
SELECT is((SELECT string_agg(action || ' ' || cnt, ', ' ORDER BY action)
           FROM (SELECT action, count(*) AS cnt FROM audit_log WHERE table_name = 'spiff' GROUP BY action) a),
          'INSERT 6, UPDATE 1', 'SPIFFs are audited');

-- A statement's preview reads one rep's SPIFFs (spiff_earnings(period, rep),
-- from the rep's lines by index): for every rep and every period, exactly
-- the rows the company's call has for that rep; none for a rep without any.
-- The company's call sums every line as booked and moves the split ones; the
-- rep's apportions the rep's lines one by one: two ways, compared here also
-- with a split refund and a line split three ways added to February.
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of, quantity) VALUES
  (11, '2025-02-27', 1, 1, 1, 0.07, NULL, 2),
  (12, '2025-02-28', 2, 1, 1, -10.01, 5, 3);
INSERT INTO sale_credit (sale_id, member_id, share_pct) VALUES (11, 1, 34), (11, 2, 33), (11, 4, 33), (12, 2, 60), (12, 3, 40);
SELECT set_eq($$SELECT p.period_id, e.* FROM fiscal_period p CROSS JOIN member m
                CROSS JOIN LATERAL spiff_earnings(p.period_id, m.member_id) e$$,
              $$SELECT p.period_id, e.* FROM fiscal_period p CROSS JOIN LATERAL spiff_earnings(p.period_id) e$$,
              'spiff_earnings(period, rep) = the rep''s rows of spiff_earnings(period), every period and rep');
SELECT is_empty($$SELECT * FROM spiff_earnings(7, -1)$$, 'no rows for an unknown rep');

SELECT * FROM finish();
ROLLBACK;

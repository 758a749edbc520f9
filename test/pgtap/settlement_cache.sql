-- The settlement's cache of invoice credit (invoice_credit, issue 15): a
-- settlement credits each run window's lines per invoice and rep once; a late
-- line, or a split corrected, in a cached window marks its invoice stale and
-- the next settlement credits it again -- and the held amounts follow the
-- lines, not the cache.  conservation_violations' rule invoice_credit checks
-- the cache against the lines.  Every number is computed by hand below.
--
-- Reps 11 (payment_in_full) and 12 (payment_pro_rata), 10 % of credit.
-- Invoice 1 (customer 11, due Feb 9): Jan 10 1000.00 booked to 11;
--   Jan 20 500.00 booked to 11, split 60/40 with 12 (300.00 / 200.00).
-- Invoice 2 (customer 12): Jan 15 800.00 booked to 12.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(29);

INSERT INTO team (team_id, name) VALUES (1, 'North');
INSERT INTO member (member_id, full_name, level, team_id, hire_date)
VALUES (11, 'Ann', 'sales_rep', 1, '2020-01-01'), (12, 'Bob', 'sales_rep', 1, '2020-01-01');
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since)
VALUES (11, 'c11', 'A', 1, 11, '2020-01-01'), (12, 'c12', 'A', 1, 12, '2020-01-01');
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
\ir include/fiscal_2025.sql
INSERT INTO commission_plan (member_id, period_id, tiers, earn_on)
SELECT m, p, 'marginal[(0,0.10)]', CASE m WHEN 11 THEN 'payment_in_full' ELSE 'payment_pro_rata' END
FROM (VALUES (11), (12)) x(m) CROSS JOIN generate_series(6, 9) p;
INSERT INTO invoice (invoice_id, customer_id, issued_on, due_on)
VALUES (1, 11, '2025-01-10', '2025-02-09'), (2, 12, '2025-01-15', '2025-02-14');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, invoice_id)
VALUES (101, '2025-01-10', 11, 11, 1, 1000.00, 1), (102, '2025-01-20', 11, 11, 1, 500.00, 1),
       (201, '2025-01-15', 12, 12, 1, 800.00, 2);
INSERT INTO sale_credit (sale_id, member_id, share_pct) VALUES (102, 11, 60), (102, 12, 40);

SELECT is_empty($$SELECT * FROM sales_supervisor.invoice_credit_stale$$,
                'lines entered before any run mark nothing stale');

-- January: the run caches its window (period 6) from its own pass over the
-- lines, before any settlement; then settled
SELECT lives_ok($$SELECT sales_supervisor.run_commission(6)$$, 'January run');
SELECT results_eq($$SELECT w.period_id, count(c.*) FROM sales_supervisor.invoice_credit_window w
                    LEFT JOIN sales_supervisor.invoice_credit c ON c.for_period_id = w.period_id GROUP BY 1$$,
                  $$VALUES (6, 3::bigint)$$,
                  'the run marks its window cached, with three invoice credits');
SELECT results_eq($$SELECT invoice_id, for_period_id, member_id, credit FROM sales_supervisor.invoice_credit ORDER BY 1, 2, 3$$,
                  $$VALUES (1::bigint, 6, 11, 1300.00::numeric), (1, 6, 12, 200.00), (2, 6, 12, 800.00)$$,
                  'cached by the run: invoice 1 credits Ann 1000 + 300 and Bob 200, invoice 2 Bob 800');
SELECT lives_ok($$SELECT sales_supervisor.settle_commission_period(6)$$, 'January settled');
SELECT results_eq($$SELECT invoice_id, for_period_id, member_id, credit FROM sales_supervisor.invoice_credit ORDER BY 1, 2, 3$$,
                  $$VALUES (1::bigint, 6, 11, 1300.00::numeric), (1, 6, 12, 200.00), (2, 6, 12, 800.00)$$,
                  'the settlement leaves the cache as the run wrote it');
-- Ann: commission 130.00 on 1300, all of it on the unpaid invoice 1: held 130.00;
-- Bob: 100.00 on 1000, unpaid share 1 of both invoices: held 100.00
SELECT results_eq($$SELECT member_id, kind, amount FROM sales_supervisor.commission_entry
                    WHERE period_id = 6 AND kind = 'held' ORDER BY 1$$,
                  $$VALUES (11, 'held'::text, -130.00::numeric), (12, 'held', -100.00)$$,
                  'January holds the commission of the unpaid invoices');

-- a late line in the cached window: Jan 25, 400.00 on invoice 1, booked to Ann
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, invoice_id)
VALUES (103, '2025-01-25', 11, 11, 1, 400.00, 1);
SELECT results_eq($$SELECT invoice_id FROM sales_supervisor.invoice_credit_stale$$, $$VALUES (1::bigint)$$,
                  'the late line marks invoice 1 stale');
SELECT is((SELECT (total, last_sold_on)::text FROM invoice WHERE invoice_id = 1), '(1900.00,2025-01-25)',
          'invoice 1: total 1900.00, last line on Jan 25');
SELECT is_empty($$SELECT * FROM sales_supervisor.conservation_violations() WHERE rule = 'invoice_credit'$$,
                'a stale invoice is not a violation: it waits for the next settlement');
-- half of invoice 1 paid on Feb 5
INSERT INTO invoice_payment (invoice_id, paid_on, amount) VALUES (1, '2025-02-05', 950.00);

-- February: the run credits the late line to period 6 (commission 170.00 for
-- Ann); the settlement credits invoice 1 again: Ann 1000 + 300 + 400 = 1700
SELECT lives_ok($$SELECT sales_supervisor.run_commission(7); SELECT sales_supervisor.settle_commission_period(7)$$,
                'February run and settled');
SELECT is_empty($$SELECT * FROM sales_supervisor.invoice_credit_stale$$, 'the settlement took the stale mark');
SELECT results_eq($$SELECT invoice_id, for_period_id, member_id, credit FROM sales_supervisor.invoice_credit ORDER BY 1, 2, 3$$,
                  $$VALUES (1::bigint, 6, 11, 1700.00::numeric), (1, 6, 12, 200.00), (2, 6, 12, 800.00)$$,
                  'invoice 1 credited again with the late line');
-- Ann (in full): invoice 1 still unpaid (950 of 1900): due 170.00 x 1700 / 1700
-- = 170.00, 130.00 held already: held 40.00 more.  Bob (pro rata): 200 x 950 /
-- 1900 = 100 + 800 = 900 unpaid of 1000: due 100.00 x 0.9 = 90.00: released 10.00.
SELECT results_eq($$SELECT member_id, kind, amount FROM sales_supervisor.commission_entry
                    WHERE period_id = 7 AND kind IN ('held', 'released') ORDER BY 1$$,
                  $$VALUES (11, 'held'::text, -40.00::numeric), (12, 'released', 10.00)$$,
                  'February holds Ann''s commission on the late line and releases Bob''s paid share');
SELECT is_empty($$SELECT * FROM sales_supervisor.conservation_violations()$$, 'February: no violation');

-- a split corrected in the cached window: line 102 all Ann's
SELECT lives_ok($$SELECT * FROM sales_supervisor.correct_sale_credit(102, ARRAY[11], ARRAY[100.0], 'booked to Ann alone')$$,
                'the split of line 102 corrected');
SELECT results_eq($$SELECT invoice_id FROM sales_supervisor.invoice_credit_stale$$, $$VALUES (1::bigint)$$,
                  'the corrected split marks invoice 1 stale');

-- the rule finds a cache that disagrees with the lines
UPDATE invoice_credit SET credit = 801.00 WHERE invoice_id = 2;
SELECT results_eq($$SELECT rule, period_id, member_id, subject, expected, actual
                    FROM sales_supervisor.conservation_violations() WHERE rule = 'invoice_credit'$$,
                  $$VALUES ('invoice_credit'::text, 6, 12, 'invoice 2'::text, 800.00::numeric, 801.00::numeric)$$,
                  'invoice_credit: a damaged cache row is reported with what the lines say');
UPDATE invoice_credit SET credit = 800.00 WHERE invoice_id = 2;

-- March: the preview of the open period shows what the settlement then posts
-- (invoice 1 read from its lines, being stale), and the cache follows the split
SELECT run_commission(8);
-- one rep's preview functions (by the rep's indexes) give exactly the
-- company's rows of that rep, invoice 1 being stale
SELECT bag_eq($$SELECT e.* FROM sales_supervisor.member m
                CROSS JOIN LATERAL sales_supervisor.settlement_member_entries(8, now(), m.member_id) e$$,
              $$SELECT * FROM sales_supervisor.settlement_entries(8, now())$$,
              'March, invoice 1 stale: each rep''s entries are the company''s rows of that rep');
CREATE TEMP TABLE preview AS
SELECT m, s.kind, s.for_period_id, s.amount FROM (VALUES (11), (12)) x(m)
CROSS JOIN LATERAL commission_statement(m, 8) s WHERE s.kind IN ('held', 'released', 'clawed_back');
SELECT lives_ok($$SELECT sales_supervisor.settle_commission_period(8)$$, 'March settled');
SELECT results_eq($$SELECT invoice_id, for_period_id, member_id, credit FROM sales_supervisor.invoice_credit ORDER BY 1, 2, 3$$,
                  $$VALUES (1::bigint, 6, 11, 1900.00::numeric), (2, 6, 12, 800.00)$$,
                  'invoice 1 credited again: Ann 1000 + 500 + 400, Bob nothing');
SELECT set_eq($$SELECT member_id, kind, for_period_id, amount FROM sales_supervisor.commission_entry
                WHERE period_id = 8 AND kind IN ('held', 'released', 'clawed_back')$$,
              $$SELECT m, kind, for_period_id, amount FROM preview$$,
              'the preview of March equals what settling March posted');
-- Ann: the correction moves 200.00 of credit to her: 1900 credit, commission
-- 190.00, all unpaid-invoice credit: due 190.00, held 170.00: held 20.00 more.
-- Bob: credit 800, commission 80.00, unpaid 800 (invoice 2): due 80.00, held
-- 90.00: released 10.00.
SELECT results_eq($$SELECT member_id, kind, amount FROM sales_supervisor.commission_entry
                    WHERE period_id = 8 AND kind IN ('held', 'released') ORDER BY 1$$,
                  $$VALUES (11, 'held'::text, -20.00::numeric), (12, 'released', 10.00)$$,
                  'March holds and releases by the corrected split');
SELECT is_empty($$SELECT * FROM sales_supervisor.conservation_violations()$$, 'March: no violation');

-- April, a window the run did not cache (as a run of 0.2.0 left it): the
-- settlement credits its lines itself.  Invoice 3 (customer 12): Apr 5,
-- 300.00 booked to Bob, split 50/50: 150.00 each.
INSERT INTO invoice (invoice_id, customer_id, issued_on, due_on) VALUES (3, 12, '2025-04-05', '2025-05-05');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, invoice_id)
VALUES (301, '2025-04-05', 12, 12, 1, 300.00, 3);
INSERT INTO sale_credit (sale_id, member_id, share_pct) VALUES (301, 11, 50), (301, 12, 50);
SELECT run_commission(9);
DELETE FROM invoice_credit WHERE for_period_id = 9;
DELETE FROM invoice_credit_window WHERE period_id = 9;
SELECT bag_eq($$SELECT u.* FROM sales_supervisor.member m
                CROSS JOIN LATERAL sales_supervisor.settlement_member_unpaid_credit('2025-04-30', now(), m.member_id) u$$,
              $$SELECT * FROM sales_supervisor.settlement_unpaid_credit('2025-04-30', now())$$,
              'April, a window not cached: each rep''s unpaid credit (from their lines) is the company''s row of that rep');
SELECT results_eq($$SELECT member_id, for_period_id, unpaid_credit, invoices
                    FROM sales_supervisor.settlement_member_unpaid_credit('2025-04-30', now(), 11) WHERE for_period_id = 9$$,
                  $$VALUES (11, 9, 150.00::numeric, ARRAY[3::bigint])$$,
                  'Ann''s unpaid credit of April: her half of the split line on unpaid invoice 3, read from the lines');
SELECT bag_eq($$SELECT e.* FROM sales_supervisor.member m
                CROSS JOIN LATERAL sales_supervisor.settlement_member_entries(9, now(), m.member_id) e$$,
              $$SELECT * FROM sales_supervisor.settlement_entries(9, now())$$,
              'April, a window not cached: each rep''s entries are the company''s rows of that rep');
SELECT lives_ok($$SELECT sales_supervisor.settle_commission_period(9)$$, 'April settled');
SELECT results_eq($$SELECT invoice_id, for_period_id, member_id, credit FROM sales_supervisor.invoice_credit
                    WHERE for_period_id = 9 ORDER BY 1, 2, 3$$,
                  $$VALUES (3::bigint, 9, 11, 150.00::numeric), (3, 9, 12, 150.00)$$,
                  'a window the run did not cache is credited by the settlement: invoice 3, 150.00 each');

SELECT * FROM finish();
ROLLBACK;

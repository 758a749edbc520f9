-- From credit to payout (issue 15): five months of two reps' accounts, every
-- figure worked out by hand below, then the invariants, the preview and who
-- may read a statement.
--
-- Team 1 (Sam leads it), reps Ann (3) and Bob (4); Ann sells to c1, Bob to c2.
-- Every plan pays a flat 10 % (flat[(0,0.10)]).
--   Ann earns pro rata to payment (payment_pro_rata).
--   Bob earns on booking with a 30-day clawback horizon; a recoverable draw
--   of 500 in January and February, then none; at most 300 recovered a month.
-- Invoices (due 30 days after issue):
--   I1 Ann 1 000 (Jan 10, due Feb 9): 400 paid Jan 25, 600 paid Mar 10
--   I2 Bob 2 000 (Jan 20, due Feb 19): paid Apr 15
--   I3 Ann   500 (Feb 5, due Mar 7): paid Feb 20
--   I4 Bob 3 000 (Apr 2, due May 2): paid May 20
--   I5 Bob 1 000 (May 5, due Jun 4): paid May 20
--
-- January.  Ann: credit 1 000, commission 100 earned; I1 is 60 % unpaid on
--   Jan 31, so 60 of the 100 are held: paid 40.  Bob: credit 2 000, earned
--   200; I2 is not past Feb 19 + 30 days; the draw tops 200 up to 500
--   (draw_paid 300, outstanding 300): paid 500.
-- February.  Ann: credit 500, earned 50; I3 paid in full: paid 50 (January's
--   60 stay held: I1 unchanged).  Bob: credit 0 (no payout line), the draw
--   advances 500 (outstanding 800): paid 500.
-- March.  Ann: I1 paid in full on Mar 10: the 60 are released: paid 60.  Bob:
--   Mar 31 is past Mar 21 with I2 unpaid: January's 200 clawed back; balance
--   -200, not paid out (no pay_negative): closing -200; nothing recovered.
-- April.  Bob: credit 3 000, earned 300; I2 paid Apr 15: 200 released;
--   -200 + 300 + 200 = 300, all recovered (limit 300): paid 0, outstanding 500.
--   Ann: nothing (a zero statement under her plan).
-- Before May: a SPIFF for May of 50 a line of Goods, capped at 40; Ann
--   disputes her March release (accepted by Sam: +15, posted in May, the
--   first period not settled), Bob files one Sam rejects (nothing posted).
-- May.  Bob: credit 1 000, earned 100, SPIFF 40 (one line, 50 capped at 40);
--   I4 and I5 paid; 140 recovered (outstanding 360): paid 0.  Ann: the
--   adjustment of 15: paid 15.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(32);

INSERT INTO team (team_id, name) VALUES (1, 'North');
INSERT INTO member (member_id, full_name, level, team_id, manager_id, hire_date, login_role) VALUES
  (1, 'Sam', 'sales_customer_supervisor', 1, NULL, '2019-01-01', 'ss_settle_sam'),
  (3, 'Ann', 'sales_rep', 1, 1, '2021-01-10', 'ss_settle_ann'),
  (4, 'Bob', 'sales_rep', 1, 1, '2022-06-01', 'ss_settle_bob');
INSERT INTO team_leader (team_id, member_id) VALUES (1, 1);
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES
  (1, 'c1', 'A', 1, 3, '2020-01-01'), (2, 'c2', 'A', 1, 4, '2020-01-01');
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
\ir include/fiscal_2025.sql
CREATE ROLE ss_settle_sam; CREATE ROLE ss_settle_ann; CREATE ROLE ss_settle_bob; CREATE ROLE ss_settle_hr;
GRANT sales_supervisor_supervisor TO ss_settle_sam;
GRANT sales_supervisor_rep TO ss_settle_ann, ss_settle_bob;
GRANT sales_supervisor_hr TO ss_settle_hr;

INSERT INTO commission_plan (member_id, period_id, tiers, earn_on)
SELECT 3, p, 'flat[(0,0.10)]', 'payment_pro_rata' FROM generate_series(6, 10) p;
INSERT INTO commission_plan (member_id, period_id, tiers, clawback_days, draw_kind, draw_amount, draw_recovery_limit)
SELECT 4, p, 'flat[(0,0.10)]', 30, CASE WHEN p <= 7 THEN 'recoverable' END, CASE WHEN p <= 7 THEN 500 END, 300
FROM generate_series(6, 10) p;
INSERT INTO invoice (invoice_id, customer_id, issued_on, due_on) VALUES
  (1, 1, '2025-01-10', '2025-02-09'), (2, 2, '2025-01-20', '2025-02-19'), (3, 1, '2025-02-05', '2025-03-07'),
  (4, 2, '2025-04-02', '2025-05-02'), (5, 2, '2025-05-05', '2025-06-04');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, invoice_id) VALUES
  (1, '2025-01-10', 3, 1, 1, 1000, 1), (2, '2025-01-20', 4, 2, 1, 2000, 2), (3, '2025-02-05', 3, 1, 1, 500, 3),
  (4, '2025-04-02', 4, 2, 1, 3000, 4), (5, '2025-05-05', 4, 2, 1, 1000, 5);
INSERT INTO invoice_payment (invoice_id, paid_on, amount) VALUES
  (1, '2025-01-25', 400), (1, '2025-03-10', 600), (2, '2025-04-15', 2000), (3, '2025-02-20', 500),
  (4, '2025-05-20', 3000), (5, '2025-05-20', 1000);
SELECT results_eq('SELECT invoice_id, total, paid FROM invoice ORDER BY 1',
                  $$VALUES (1::bigint, 1000.00, 1000.00), (2, 2000.00, 2000.00), (3, 500.00, 500.00),
                           (4, 3000.00, 3000.00), (5, 1000.00, 1000.00)$$,
                  'invoice totals and payments are kept from the lines and payments');
-- the first and last payment dates (a settlement reads the payments of an
-- invoice only from its first payment on)
SELECT results_eq('SELECT invoice_id, first_paid_on, last_paid_on FROM invoice ORDER BY 1',
                  $$VALUES (1::bigint, '2025-01-25'::date, '2025-03-10'::date), (2, '2025-04-15', '2025-04-15'),
                           (3, '2025-02-20', '2025-02-20'), (4, '2025-05-20', '2025-05-20'), (5, '2025-05-20', '2025-05-20')$$,
                  'first_paid_on and last_paid_on are the earliest and latest payment dates');
SELECT throws_ok($$UPDATE invoice SET first_paid_on = '2025-01-01' WHERE invoice_id = 2$$, '23514', NULL,
                 'first_paid_on is the trigger''s to keep: a direct write is refused');

-- the months, each run then settled; the walk per rep:
-- opening, earned, held, released, clawed_back, draw_paid, draw_recovered, paid, closing, outstanding
CREATE TEMP TABLE walk AS SELECT NULL::integer AS period_id, s.* FROM settle_commission_period(1) s WHERE false;
CREATE FUNCTION pg_temp.month(p integer) RETURNS SETOF walk LANGUAGE sql AS $$
  SELECT p, s.* FROM sales_supervisor.settle_commission_period(p) s
$$;
SELECT is((SELECT count(*)::int FROM run_commission(6)), 2, 'January run');
-- the preview of January before it is settled is what the settlement posts
CREATE TEMP TABLE jan_preview AS SELECT kind, amount, balance FROM commission_statement(3, 6);
INSERT INTO walk SELECT * FROM pg_temp.month(6);
SELECT results_eq('SELECT kind, amount, balance FROM commission_statement(3, 6) ORDER BY line',
                  'SELECT kind, amount, balance FROM jan_preview',
                  'Ann''s January preview equals her settled statement');
SELECT is((SELECT count(*)::int FROM run_commission(7)), 2, 'February run');
INSERT INTO walk SELECT * FROM pg_temp.month(7);
SELECT is((SELECT count(*)::int FROM run_commission(8)), 2, 'March run');
INSERT INTO walk SELECT * FROM pg_temp.month(8);
SELECT is((SELECT count(*)::int FROM run_commission(9)), 2, 'April run');
CREATE TEMP TABLE bob_apr_preview AS SELECT kind, amount, balance FROM commission_statement(4, 9);
INSERT INTO walk SELECT * FROM pg_temp.month(9);
SELECT results_eq('SELECT kind, amount, balance FROM commission_statement(4, 9) ORDER BY line',
                  'SELECT kind, amount, balance FROM bob_apr_preview',
                  'Bob''s April preview (carried balance, release, draw recovery) equals his settled statement');
INSERT INTO spiff (name, category_id, period_id, per, amount, cap) VALUES ('May push', 1, 10, 'line', 50, 40);
SET LOCAL ROLE ss_settle_ann;
CREATE TEMP TABLE ann_dispute AS
SELECT sales_supervisor.file_dispute(8, 'wrong_amount', 'the March release should be 75',
                                     entry => (SELECT entry_id FROM sales_supervisor.commission_entry
                                               WHERE member_id = 3 AND period_id = 8 AND kind = 'released'),
                                     claimed => 15) AS id;
GRANT SELECT ON ann_dispute TO PUBLIC;
RESET ROLE;
SET LOCAL ROLE ss_settle_bob;
CREATE TEMP TABLE bob_dispute AS
SELECT sales_supervisor.file_dispute(9, 'other', 'the April recovery was too high') AS id;
GRANT SELECT ON bob_dispute TO PUBLIC;
RESET ROLE;
SET LOCAL ROLE ss_settle_sam;
SELECT ok(sales_supervisor.decide_dispute((SELECT id FROM ann_dispute), true, 'the March release missed a payment', 15) > 0,
          'Sam accepts Ann''s dispute: an adjustment of 15');
SELECT is(sales_supervisor.decide_dispute((SELECT id FROM bob_dispute), false, 'the recovery follows the plan'), NULL,
          'Sam rejects Bob''s: nothing posted');
RESET ROLE;
SELECT results_eq('SELECT member_id, period_id, kind, amount, dispute_id IS NOT NULL FROM commission_entry WHERE kind = ''adjustment''',
                  $$VALUES (3, 10, 'adjustment', 15.00, true)$$,
                  'the accepted dispute''s adjustment waits in May, the first period not settled');
SELECT is((SELECT count(*)::int FROM run_commission(10)), 2, 'May run');
INSERT INTO walk SELECT * FROM pg_temp.month(10);

SELECT results_eq(
  $$SELECT period_id, opening, earned, held, released, clawed_back, draw_paid, draw_recovered, paid, closing, draw_outstanding
    FROM walk WHERE member_id = 3 ORDER BY period_id$$,
  $$VALUES (6, 0.00, 100.00, -60.00, 0.00, 0.00, 0.00, 0.00, 40.00, 0.00, 0.00),
           (7, 0, 50, 0, 0, 0, 0, 0, 50, 0, 0),
           (8, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0),
           (9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
           (10, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0)$$,
  'Ann: 60 of January''s 100 held while I1 is 60 % unpaid, released in March when it is paid; May pays the dispute''s 15');
SELECT results_eq(
  $$SELECT period_id, opening, earned, held, released, clawed_back, draw_paid, draw_recovered, paid, closing, draw_outstanding
    FROM walk WHERE member_id = 4 ORDER BY period_id$$,
  $$VALUES (6, 0.00, 200.00, 0.00, 0.00, 0.00, 300.00, 0.00, 500.00, 0.00, 300.00),
           (7, 0, 0, 0, 0, 0, 500, 0, 500, 0, 800),
           (8, 0, 0, 0, 0, -200, 0, 0, 0, -200, 800),
           (9, -200, 300, 0, 200, 0, 0, -300, 0, 0, 500),
           (10, 0, 100, 0, 0, 0, 0, -140, 0, 0, 360)$$,
  'Bob: the draw advanced 300 and 500, January clawed back in March (-200 carried forward), released in April, the draw recovered 300 then 140 (May''s commission and SPIFF)');
SELECT results_eq('SELECT b.period_id, l.member_id, l.amount FROM payout_batch_line l JOIN payout_batch b USING (batch_id) ORDER BY 1, 2',
                  $$VALUES (6, 3, 40.00), (6, 4, 500.00), (7, 3, 50.00), (7, 4, 500.00), (8, 3, 60.00), (10, 3, 15.00)$$,
                  'the payout batches pay what the statements pay, one line per rep paid');
SELECT results_eq(
  $$SELECT line, kind, for_period_id, amount, balance FROM commission_statement(4, 9) ORDER BY line$$,
  $$VALUES (0, 'opening', NULL::integer, -200.00, -200.00), (1, 'earned', 9, 300.00, 100.00),
           (2, 'released', 6, 200.00, 300.00), (3, 'draw_recovered', NULL, -300.00, 0.00),
           (4, 'closing', NULL, 0.00, 0.00)$$,
  'Bob''s April statement: the balance walk line by line');
SELECT results_eq(
  $$SELECT line, kind, amount, balance FROM commission_statement(4, 10) ORDER BY line$$,
  $$VALUES (0, 'opening', 0.00, 0.00), (1, 'earned', 100.00, 100.00), (2, 'spiff', 40.00, 140.00),
           (3, 'draw_recovered', -140.00, 0.00), (4, 'closing', 0.00, 0.00)$$,
  'Bob''s May statement: the SPIFF capped at 40, all recovered against the draw');
SELECT results_eq($$SELECT spiffs, adjustments FROM v_commission_statement WHERE period_id = 10 ORDER BY member_id$$,
                  $$VALUES (0.00, 15.00), (40.00, 0.00)$$, 'the May headers: Ann''s adjustment, Bob''s SPIFF');
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()', 'no violation after five settlements');

-- the account's invariants catch damage done behind the triggers' back
SET LOCAL session_replication_role = replica;
UPDATE commission_balance SET earned = earned + 1, closing = closing + 1 WHERE member_id = 4 AND period_id = 9;
SELECT results_eq($$SELECT rule, period_id, member_id, expected, actual FROM sales_supervisor.conservation_violations()$$,
                  $$VALUES ('balance_entries', 9, 4, 300.00, 301.00), ('balance_opening', 10, 4, 1.00, 0.00)$$,
                  'a statement that earned one more than its entries: balance_entries, and the next opening no longer follows');
UPDATE commission_balance SET earned = earned - 1, closing = closing - 1 WHERE member_id = 4 AND period_id = 9;
SET LOCAL session_replication_role = origin;

-- a settled period is final; periods settle in order
SELECT throws_ok('SELECT * FROM sales_supervisor.settle_commission_period(8)', '55000', NULL, 'settling twice is refused');
SELECT throws_ok('SELECT * FROM sales_supervisor.settle_commission_period(12)', '55000', NULL,
                 'a period not run cannot be settled');
SELECT throws_ok($$INSERT INTO sales_supervisor.commission_entry (member_id, period_id, kind, amount) VALUES (3, 8, 'adjustment', 1)$$,
                 '55000', NULL, 'no entry goes into a settled period');

-- who reads which statement: the rep their own (the same lines HR reads),
-- the supervisor their team, not another rep's
SET LOCAL ROLE ss_settle_hr;
CREATE TEMP TABLE hr_view AS SELECT * FROM sales_supervisor.commission_statement(3, 6);
GRANT SELECT ON hr_view TO PUBLIC;
RESET ROLE;
SET LOCAL ROLE ss_settle_ann;
SELECT results_eq('SELECT * FROM sales_supervisor.commission_statement(3, 6)', 'SELECT * FROM hr_view',
                  'Ann''s statement read by Ann equals HR''s');
SELECT throws_ok('SELECT * FROM sales_supervisor.commission_statement(4, 6)', '42501', NULL,
                 'Ann cannot read Bob''s statement');
RESET ROLE;
-- a login holding the rep role but mapped to no member reads no one's statement
CREATE ROLE ss_settle_ghost; GRANT sales_supervisor_rep TO ss_settle_ghost;
SET LOCAL ROLE ss_settle_ghost;
SELECT throws_ok('SELECT * FROM sales_supervisor.commission_statement(3, 6)', '42501', NULL,
                 'a rep login that is no member is refused (no NULL lets it through)');
RESET ROLE;
SET LOCAL ROLE ss_settle_ann;
SELECT is((SELECT count(*)::int FROM sales_supervisor.v_commission_statement), 5,
          'Ann sees her own five statement headers only');
SELECT is((SELECT count(*)::int FROM sales_supervisor.payout_batch_line WHERE member_id = 4), 0,
          'Ann sees none of Bob''s payout lines');
RESET ROLE;
SET LOCAL ROLE ss_settle_sam;
SELECT is((SELECT count(*)::int FROM sales_supervisor.commission_statement(4, 9)), 5, 'Sam reads Bob''s statement');
RESET ROLE;

-- approval freezes a batch; the export shows it
SET LOCAL ROLE ss_settle_hr;
SELECT is((SELECT (approve_payout_batch(b.batch_id, 'ss_settle_hr')).approved_by FROM sales_supervisor.payout_batch b
           WHERE b.period_id = 6), 'ss_settle_hr'::name, 'HR approves January''s batch');
SELECT results_eq('SELECT member_id, amount, approved_at IS NOT NULL FROM sales_supervisor.v_payout_export WHERE period_id = 6 ORDER BY 1',
                  $$VALUES (3, 40.00, true), (4, 500.00, true)$$, 'the payroll export of January');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

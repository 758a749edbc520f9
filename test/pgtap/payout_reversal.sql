-- Reversing a payout line payroll did not pay (reverse_payout_line, issue 15):
-- the amount goes back into the rep's account in the next period to settle,
-- whose batch carries the reversing line and pays the balance again; a line
-- is reversed once, only from an approved batch, only by HR, with a reason.
--
-- Ann (11), booking plan at 10 %: January 1000.00 of sales (commission
-- 100.00, paid in batch 1, approved), February 500.00 (50.00, batch 2, left a
-- draft), March nothing.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(17);

INSERT INTO team (team_id, name) VALUES (1, 'North');
INSERT INTO member (member_id, full_name, level, team_id, hire_date, login_role)
VALUES (11, 'Ann', 'sales_rep', 1, '2020-01-01', 'ss_rev_ann');
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES (11, 'c11', 'A', 1, 11, '2020-01-01');
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
\ir include/fiscal_2025.sql
INSERT INTO commission_plan (member_id, period_id, tiers) SELECT 11, p, 'marginal[(0,0.10)]' FROM generate_series(6, 8) p;
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
VALUES (1, '2025-01-10', 11, 11, 1, 1000.00), (2, '2025-02-10', 11, 11, 1, 500.00);
CREATE ROLE ss_rev_hr; GRANT sales_supervisor_hr TO ss_rev_hr;
CREATE ROLE ss_rev_ann; GRANT sales_supervisor_rep TO ss_rev_ann;

SELECT run_commission(6); SELECT settle_commission_period(6);
SELECT run_commission(7); SELECT settle_commission_period(7);
SELECT results_eq($$SELECT b.period_id, l.member_id, l.amount FROM sales_supervisor.payout_batch_line l
                    JOIN sales_supervisor.payout_batch b USING (batch_id) ORDER BY l.line_id$$,
                  $$VALUES (6, 11, 100.00::numeric), (7, 11, 50.00)$$,
                  'January pays 100.00, February 50.00');
SELECT line_id AS jan_line FROM payout_batch_line l JOIN payout_batch b USING (batch_id) WHERE b.period_id = 6 \gset
SELECT line_id AS feb_line FROM payout_batch_line l JOIN payout_batch b USING (batch_id) WHERE b.period_id = 7 \gset
SET ROLE ss_rev_hr;
SELECT lives_ok($$SELECT sales_supervisor.approve_payout_batch(batch_id) FROM sales_supervisor.payout_batch WHERE period_id = 6$$,
                'HR approves January''s batch');

-- who may, and what is refused
SET ROLE ss_rev_ann;
SELECT throws_ok(format('SELECT sales_supervisor.reverse_payout_line(%s, %L)', :jan_line, 'not received'), '42501', NULL,
                 'a rep cannot reverse a payout line');
SET ROLE ss_rev_hr;
SELECT throws_ok(format('SELECT sales_supervisor.reverse_payout_line(%s, %L)', :jan_line, '  '), '22023', NULL,
                 'a reason is required');
SELECT throws_ok($$SELECT sales_supervisor.reverse_payout_line(NULL, 'x')$$, '22004', NULL, 'a NULL line is refused');
SELECT throws_ok($$SELECT sales_supervisor.reverse_payout_line(999999, 'x')$$, 'P0002', NULL, 'an unknown line is refused');
SELECT throws_ok(format('SELECT sales_supervisor.reverse_payout_line(%s, %L)', :feb_line, 'x'), '55000',
                 format('payout batch line %s cannot be reversed: its batch is not approved', :feb_line),
                 'a line of a draft batch is not paid yet: nothing to reverse');

-- the reversal: 100.00 back into Ann's account, in March (February is settled)
SELECT is((SELECT (period_id, kind, amount, reverses_line_id = :jan_line)::text
           FROM sales_supervisor.reverse_payout_line(:jan_line, 'bank transfer bounced')),
          '(8,adjustment,100.00,t)', 'the reversal is an adjustment of +100.00 in March, naming the line');
SELECT throws_ok(format('SELECT sales_supervisor.reverse_payout_line(%s, %L)', :jan_line, 'again'), '55000',
                 format('payout batch line %s cannot be reversed: it is reversed already', :jan_line),
                 'a line is reversed once');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM commission_statement(11, 8) WHERE kind = 'adjustment' AND amount = 100.00), 1,
          'March''s preview shows the adjustment');

-- March: nothing sold; the batch reverses January's line and pays the 100.00 again
SELECT run_commission(8);
SELECT results_eq($$SELECT member_id, opening, adjustments, paid, closing FROM sales_supervisor.settle_commission_period(8)$$,
                  $$VALUES (11, 0.00::numeric, 100.00::numeric, 100.00::numeric, 0.00::numeric)$$,
                  'March: opening 0, adjustment +100.00, paid 100.00, closing 0');
SELECT results_eq($$SELECT l.amount, l.reverses_id FROM sales_supervisor.payout_batch_line l
                    JOIN sales_supervisor.payout_batch b USING (batch_id) WHERE b.period_id = 8 ORDER BY l.line_id$$,
                  format('VALUES (100.00::numeric, NULL::bigint), (-100.00, %s)', :jan_line),
                  'March''s batch: the payment again, and the reversing line of January''s');
SELECT is((SELECT string_agg(format('%s %s', kind, amount), ', ' ORDER BY entry_id) FROM commission_entry WHERE period_id = 8),
          'adjustment 100.00, paid -100.00', 'March''s entries: the adjustment and what is paid');
SELECT is((SELECT sum(amount) FROM payout_batch_line WHERE member_id = 11), 150.00,
          'payroll, net of the reversal, pays Ann 150.00 = 100.00 + 50.00 earned');
SELECT is_empty($$SELECT * FROM sales_supervisor.conservation_violations()$$, 'no violation');

-- a reversing line is not reversed in turn
SET ROLE ss_rev_hr;
SELECT lives_ok($$SELECT sales_supervisor.approve_payout_batch(batch_id) FROM sales_supervisor.payout_batch WHERE period_id = 8$$,
                'HR approves March''s batch');
SELECT throws_ok($$SELECT sales_supervisor.reverse_payout_line(l.line_id, 'x') FROM sales_supervisor.payout_batch_line l
                   WHERE l.reverses_id IS NOT NULL$$, '55000', NULL, 'a reversing line cannot be reversed');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

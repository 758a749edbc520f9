-- Money and quota are conserved, provably: conservation_violations() returns
-- no row after a year of runs with late lines, and exactly the right row for
-- each kind of damage done behind the triggers' back (as the superuser with
-- session_replication_role = replica, which fires no ordinary trigger).  The
-- expected figure of each damaged row is the value read before the damage,
-- the actual one that value plus the damage.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(14);

SELECT is((SELECT count(*)::int FROM generate_demo_org(seed => 11, teams => 7, depth => 3, reps => 12,
            customers => 60, sales_lines => 2000, surveys => 50, reviews_per_member => 2)),
          18, 'demo org generated');
INSERT INTO commission_plan (member_id, period_id, tiers)
SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03),(60000,0.05)] cap 20000'
FROM member m CROSS JOIN fiscal_period p WHERE m.level = 'sales_rep' AND p.kind = 'month';
SELECT ok((SELECT count(*) FROM allocate_quotas(2025, 1000000, basis => 'potential', over_assignment_pct => '{0,5,5}')) > 0,
          'quotas allocated');
CREATE TEMP TABLE month_period AS
SELECT p.month, p.period_id FROM fiscal_period p WHERE p.kind = 'month' AND p.fiscal_year = 2025;
SELECT is((SELECT count(*)::int FROM month_period mp CROSS JOIN LATERAL run_commission(mp.period_id) WHERE mp.month <= 3),
          36, 'January to March run: 12 reps paid each month');
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()',
                'no violation after three commission runs');

-- a line dated in January, entered after its run: waiting in the queue is
-- conserved; the April run credits it as a late line, still conserved
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount)
SELECT '2025-01-15', s.member_id, s.customer_id, s.category_id, 999.99 FROM sale s ORDER BY s.sale_id LIMIT 1;
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()',
                'no violation with a late line waiting');
SELECT is((SELECT count(*)::int FROM run_commission((SELECT period_id FROM month_period WHERE month = 4))), 12,
          'April run');
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()',
                'no violation after the late line is credited');

-- the damage, each undone before the next (by hand: a rollback to a savepoint
-- would undo pgTAP's count of the tests run since)
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE hit AS
SELECT (SELECT min(cc.credit_id) FROM commission_credit cc WHERE cc.kind = 'sales') AS credit_id,
       (SELECT min(po.payout_id) FROM commission_payout po WHERE po.amount > 0) AS payout_id,
       (SELECT min(sc.sale_id) FROM sale_credit sc) AS split_sale,
       (SELECT min(q.quota_id) FROM quota q JOIN fiscal_period p USING (period_id)
        WHERE p.kind = 'month' AND q.member_id IS NOT NULL) AS month_quota;

UPDATE commission_credit SET amount = amount + 0.01 WHERE credit_id = (SELECT credit_id FROM hit);
SELECT results_eq(
  $$SELECT rule, period_id, member_id, expected, actual FROM sales_supervisor.conservation_violations()
    WHERE rule LIKE 'credit%'$$,
  $$SELECT 'credit_window'::text, cc.period_id, cc.member_id, cc.amount - 0.01, cc.amount
    FROM sales_supervisor.commission_credit cc WHERE cc.credit_id = (SELECT credit_id FROM hit)
    UNION ALL
    SELECT 'credit_for_period', cc.for_period_id, cc.member_id, t.total - 0.01, t.total
    FROM sales_supervisor.commission_credit cc
    CROSS JOIN LATERAL (SELECT sum(c2.amount) AS total FROM sales_supervisor.commission_credit c2
                        WHERE c2.for_period_id = cc.for_period_id AND c2.member_id = cc.member_id
                          AND c2.sold_in = cc.sold_in) t
    WHERE cc.credit_id = (SELECT credit_id FROM hit)$$,
  'a ledger credit line changed by a cent: credit_window names its period, rep, the credit and the ledger, credit_for_period the period''s credit');
UPDATE commission_credit SET amount = amount - 0.01 WHERE credit_id = (SELECT credit_id FROM hit);

UPDATE sale_credit SET share_pct = share_pct - 1
WHERE (sale_id, member_id) = (SELECT sc.sale_id, min(sc.member_id) FROM sale_credit sc
                              WHERE sc.sale_id = (SELECT split_sale FROM hit) GROUP BY sc.sale_id);
SELECT results_eq(
  $$SELECT rule, subject, expected, actual FROM sales_supervisor.conservation_violations() WHERE rule = 'split_sum'$$,
  $$SELECT 'split_sum'::text, 'sale ' || (SELECT split_sale FROM hit), 100::numeric, 99::numeric$$,
  'a split whose shares sum to 99: split_sum names the sale');
UPDATE sale_credit SET share_pct = share_pct + 1
WHERE (sale_id, member_id) = (SELECT sc.sale_id, min(sc.member_id) FROM sale_credit sc
                              WHERE sc.sale_id = (SELECT split_sale FROM hit) GROUP BY sc.sale_id);

UPDATE commission_payout SET amount = amount + 1 WHERE payout_id = (SELECT payout_id FROM hit);
SELECT results_eq(
  $$SELECT rule, period_id, member_id, expected, actual FROM sales_supervisor.conservation_violations()$$,
  $$SELECT 'payout'::text, po.period_id, po.member_id, po.amount - 1, po.amount
    FROM sales_supervisor.commission_payout po WHERE po.payout_id = (SELECT payout_id FROM hit)$$,
  'a payout line one unit too high: payout names the period and rep, nothing else is reported');
UPDATE commission_payout SET amount = amount - 1 WHERE payout_id = (SELECT payout_id FROM hit);

INSERT INTO commission_payout (member_id, period_id, amount, reverses_id, note, for_period_id)
SELECT po.member_id, po.period_id, -po.amount + 5, po.payout_id, 'a wrong reversal', po.for_period_id
FROM commission_payout po WHERE po.payout_id = (SELECT payout_id FROM hit);
SELECT results_eq(
  $$SELECT rule, period_id, member_id, expected, actual FROM sales_supervisor.conservation_violations() ORDER BY rule$$,
  $$SELECT x.* FROM (SELECT 'payout'::text, po.period_id, po.member_id, po.amount, 5::numeric
                     FROM sales_supervisor.commission_payout po WHERE po.payout_id = (SELECT payout_id FROM hit)
                     UNION ALL
                     SELECT 'reversal', po.period_id, po.member_id, -po.amount, -po.amount + 5
                     FROM sales_supervisor.commission_payout po WHERE po.payout_id = (SELECT payout_id FROM hit)) x$$,
  'a reversal 5 short of its line: reversal names it, and the period''s payout no longer adds up');
DELETE FROM commission_payout WHERE reverses_id = (SELECT payout_id FROM hit);

UPDATE quota SET amount = amount + 5 WHERE quota_id = (SELECT month_quota FROM hit);
SELECT results_eq(
  $$SELECT rule, member_id, expected, actual FROM sales_supervisor.conservation_violations()$$,
  $$SELECT 'quota_months'::text, q.member_id, y.amount, y.amount + 5
    FROM sales_supervisor.quota q
    JOIN sales_supervisor.fiscal_period p ON p.period_id = q.period_id
    JOIN sales_supervisor.fiscal_period py ON py.kind = 'year' AND py.fiscal_year = p.fiscal_year
    JOIN sales_supervisor.quota y ON y.member_id = q.member_id AND y.period_id = py.period_id
    WHERE q.quota_id = (SELECT month_quota FROM hit)$$,
  'a monthly quota 5 too high: quota_months names the rep, the year''s quota and the months'' sum');
UPDATE quota SET amount = amount - 5 WHERE quota_id = (SELECT month_quota FROM hit);

INSERT INTO commission_late_sale (sale_id)
SELECT s.sale_id FROM sale s WHERE s.sold_on > '2025-06-30' ORDER BY s.sale_id LIMIT 1;
SELECT results_eq(
  $$SELECT rule, subject FROM sales_supervisor.conservation_violations()$$,
  $$SELECT 'late_waiting'::text, 'sale ' || s.sale_id || ' sold on ' || s.sold_on
    FROM sales_supervisor.sale s WHERE s.sold_on > '2025-06-30' ORDER BY s.sale_id LIMIT 1$$,
  'a queued "late" line dated after every credited window: late_waiting names it');
DELETE FROM commission_late_sale WHERE credited_period_id IS NULL;

SET LOCAL session_replication_role = origin;
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()', 'every damage undone: no violation');
SELECT * FROM finish();
ROLLBACK;

-- Money and quota are conserved, provably: conservation_violations() returns
-- no row after a year of runs with late lines, and exactly the right row for
-- each kind of damage done behind the triggers' back (as the superuser with
-- session_replication_role = replica, which fires no ordinary trigger).  The
-- expected figure of each damaged row is the value read before the damage,
-- the actual one that value plus the damage.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(20);

SELECT is((SELECT count(*)::int FROM generate_demo_org(seed => 11, teams => 7, depth => 3, reps => 12,
            customers => 60, sales_lines => 2000, surveys => 50, reviews_per_member => 2)),
          18, 'demo org generated');
INSERT INTO commission_plan (member_id, period_id, tiers)
SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03),(60000,0.05)] cap 20000'
FROM member m CROSS JOIN fiscal_period p WHERE m.level = 'sales_rep' AND p.kind = 'month';
SELECT ok((SELECT count(*) FROM allocate_quotas(2025, 1000000, basis => 'potential', over_assignment_pct => '{0,5,5}')) > 0,
          'quotas allocated');
-- what the allocation split: the roots (the departments) hold parts of
-- 1 000 000 but no parent, each other team names its parent team's quota, and
-- each team quota with parts records what they add up to: its amount x 1.05
-- at depth 0 and 1 (over_assignment_pct '{0,5,5}': element 1 the company to
-- the roots, 2 below the roots, 3 below depth 1), its amount at depth 2 (no
-- element 4: not over-assigned)
CREATE TEMP TABLE team_depth AS
WITH RECURSIVE d(team_id, depth) AS (
  SELECT team_id, 0 FROM team WHERE parent_id IS NULL
  UNION ALL SELECT t.team_id, d.depth + 1 FROM team t JOIN d ON t.parent_id = d.team_id)
SELECT d.*, EXISTS (SELECT 1 FROM team c WHERE c.parent_id = d.team_id)
            OR EXISTS (SELECT 1 FROM member m WHERE m.team_id = d.team_id AND m.active AND m.level = 'sales_rep') AS has_parts
FROM d;
SELECT results_eq(
  $$SELECT count(*) FILTER (WHERE t.parent_id IS NULL AND q.parent_quota_id IS NULL),
           count(*) FILTER (WHERE t.parent_id IS NOT NULL AND pq.team_id = t.parent_id),
           count(*) FILTER (WHERE td.depth < 2 AND q.parts_total = round(q.amount * 1.05)),
           count(*) FILTER (WHERE td.depth = 2 AND q.parts_total = q.amount)
    FROM sales_supervisor.quota q JOIN sales_supervisor.fiscal_period p ON p.period_id = q.period_id AND p.kind = 'year'
    JOIN sales_supervisor.team t ON t.team_id = q.team_id
    JOIN team_depth td ON td.team_id = t.team_id
    LEFT JOIN sales_supervisor.quota pq ON pq.quota_id = q.parent_quota_id$$,
  $$SELECT count(*) FILTER (WHERE depth = 0), count(*) FILTER (WHERE depth > 0),
           count(*) FILTER (WHERE depth < 2 AND has_parts), count(*) FILTER (WHERE depth = 2 AND has_parts)
    FROM team_depth$$,
  'every department is a root without parent, every other team a part of its parent team''s quota, every team with parts records amount x 1.05 (depth 0, 1) or its amount (depth 2)');
SELECT is((SELECT count(*)::int FROM sales_supervisor.quota q
           JOIN sales_supervisor.fiscal_period p ON p.period_id = q.period_id AND p.kind = 'year'
           JOIN sales_supervisor.member m ON m.member_id = q.member_id
           JOIN sales_supervisor.quota pq ON pq.quota_id = q.parent_quota_id AND pq.team_id = m.team_id),
          12, 'each of the 12 reps'' yearly quotas is a part of their team''s');
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
        WHERE p.kind = 'month' AND q.member_id IS NOT NULL) AS month_quota,
       (SELECT min(q.quota_id) FROM quota q JOIN fiscal_period p USING (period_id)
        WHERE p.kind = 'year' AND q.member_id IS NOT NULL) AS year_quota;

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

-- a rep's yearly quota 7 too high: its months no longer add up to it, and the
-- parts of its team's quota no longer add up to what the team split (the
-- team's parts_total: worked out by depth in the test above)
UPDATE quota SET amount = amount + 7 WHERE quota_id = (SELECT year_quota FROM hit);
SELECT results_eq(
  $$SELECT rule, member_id, expected, actual FROM sales_supervisor.conservation_violations() ORDER BY rule$$,
  $$SELECT 'quota_months'::text, y.member_id, y.amount, y.amount - 7 FROM sales_supervisor.quota y
    WHERE y.quota_id = (SELECT year_quota FROM hit)
    UNION ALL
    SELECT 'quota_split', NULL::integer, t.parts_total, t.parts_total + 7
    FROM sales_supervisor.quota y JOIN sales_supervisor.quota t ON t.quota_id = y.parent_quota_id
    WHERE y.quota_id = (SELECT year_quota FROM hit)$$,
  'a rep''s yearly quota 7 too high: quota_months names the rep, quota_split their team''s quota: what it split against the parts'' sum');
UPDATE quota SET amount = amount - 7 WHERE quota_id = (SELECT year_quota FROM hit);

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

-- a rep leaves and the year is allocated again: their yearly quota is no part
-- of the new split (detached), the others add up again
UPDATE member SET active = false WHERE member_id = (SELECT member_id FROM quota WHERE quota_id = (SELECT year_quota FROM hit));
SELECT ok((SELECT count(*) FROM allocate_quotas(2025, 1000000, basis => 'potential', over_assignment_pct => '{0,5,5}')) > 0,
          'quotas allocated again without the rep who left');
SELECT is((SELECT parent_quota_id FROM quota WHERE quota_id = (SELECT year_quota FROM hit)), NULL,
          'the leaver''s yearly quota is detached from the split');
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()', 'the new split adds up: no violation');
SELECT * FROM finish();
ROLLBACK;

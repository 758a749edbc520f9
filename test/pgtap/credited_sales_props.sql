-- credited_sales_by_month (one pass over the lines plus the split lines) equals
-- credited_sales (every line split one by one) grouped by rep, month and sign,
-- exactly, on the generator's org with splits and refunds, for windows of a
-- year, of single months, of odd dates, and of a window with no lines; and the
-- rows it would get wrong if it mishandled a split (a split line booked to a
-- rep who keeps no share, a refund of a split line) are in the comparison.
-- Then credit_by_month (the ledger for the months commission runs credited,
-- the lines for the other dates) equals it too, after runs, with late lines
-- credited and waiting, for windows of whole and cut months.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(18);

SELECT lives_ok($$SELECT count(*) FROM sales_supervisor.generate_demo_org(seed => 11, teams => 6, depth => 2, reps => 24,
                    customers => 240, sales_lines => 20000, surveys => 100, billing => true)$$,
                'a demo org with 20 000 lines, billed');
-- make sure the splits cover the hard cases: a split refund line, and a split
-- line whose booked rep keeps no share (two other reps take 70 / 30)
INSERT INTO sale_credit (sale_id, member_id, share_pct)
SELECT s.sale_id, m.member_id, (ARRAY[70, 30])[m.k]
FROM (SELECT sale_id, member_id FROM sale WHERE refund_of IS NOT NULL
        AND sale_id NOT IN (SELECT sale_id FROM sale_credit) ORDER BY sale_id LIMIT 20) s
CROSS JOIN LATERAL (SELECT member_id, row_number() OVER (ORDER BY member_id) AS k FROM member
                    WHERE level = 'sales_rep' AND member_id <> s.member_id ORDER BY member_id LIMIT 2) m;
INSERT INTO sale_credit (sale_id, member_id, share_pct)
SELECT s.sale_id, m.member_id, (ARRAY[70, 30])[m.k]
FROM (SELECT sale_id, member_id FROM sale WHERE refund_of IS NULL AND amount >= 10
        AND sale_id NOT IN (SELECT sale_id FROM sale_credit) ORDER BY sale_id DESC LIMIT 50) s
CROSS JOIN LATERAL (SELECT member_id, row_number() OVER (ORDER BY member_id DESC) AS k FROM member
                    WHERE level = 'sales_rep' AND member_id <> s.member_id ORDER BY member_id DESC LIMIT 2) m;
SELECT cmp_ok((SELECT count(DISTINCT sale_id) FROM sale_credit), '>=', 70::bigint, 'split lines, refunds among them');

CREATE TEMP TABLE windows (w int, from_on date, to_on date);
INSERT INTO windows VALUES (1, '2025-01-01', '2025-12-31'), (2, '2025-03-01', '2025-03-31'), (3, '2025-12-01', '2025-12-31'),
  (4, '2025-02-14', '2025-05-09'), (5, '2024-01-01', '2024-12-31'), (6, '2025-06-30', '2025-07-01');
CREATE TEMP TABLE by_line AS
SELECT w.w, cs.member_id, date_trunc('month', cs.sold_on)::date AS month, cs.refund_of IS NOT NULL AS refunds,
       count(*) AS lines, sum(cs.amount) AS amount
FROM windows w, LATERAL credited_sales(w.from_on, w.to_on) cs GROUP BY 1, 2, 3, 4;
CREATE TEMP TABLE by_month AS
SELECT w.w, b.* FROM windows w, LATERAL credited_sales_by_month(w.from_on, w.to_on) b;

SELECT set_eq('SELECT * FROM by_month', 'SELECT * FROM by_line',
              'credited_sales_by_month = credited_sales grouped, for every window, row for row');
SELECT is((SELECT count(*) FROM by_month WHERE w = 5), 0::bigint, 'a window without lines gives no rows');
-- credit_moves (what a shard sums for a long span): its moves summed per rep,
-- month and sign, dropping groups that net no line, are those groups again
-- (a split line booked to a rep who keeps no share leaves that rep a group
-- of zero lines when it is the rep's only line there: dropped)
SELECT set_eq($$SELECT w.w, m.member_id, month_start(m.sold_on) AS month, m.refund_of IS NOT NULL AS refunds,
                       sum(m.lines)::bigint AS lines, sum(m.amount) AS amount
                FROM windows w JOIN sales_supervisor.credit_moves m ON m.sold_on BETWEEN w.from_on AND w.to_on
                GROUP BY 1, 2, 3, 4 HAVING sum(m.lines) <> 0$$,
              'SELECT * FROM by_line',
              'credit_moves summed per rep, month and sign = credited_sales grouped, for every window, row for row');
SELECT is((SELECT count(*) || ' ' || count(*) FILTER (WHERE lines = -1) || ' ' || sum(amount) FILTER (WHERE lines = -1)
                  || ' ' || sum(amount) FROM sales_supervisor.credit_moves),
          (SELECT (SELECT count(*) FROM sale) + (SELECT count(*) FROM sale_credit) + (SELECT count(DISTINCT sale_id) FROM sale_credit)
                  || ' ' || (SELECT count(DISTINCT sale_id) FROM sale_credit)
                  || ' ' || -(SELECT sum(s.amount) FROM sale s WHERE s.sale_id IN (SELECT sale_id FROM sale_credit))
                  || ' ' || (SELECT sum(amount) FROM sale)),
          'credit_moves: a row per line, per share and per split line taken back (minus its amount); money conserved');
-- the run's one pass (commission_window_credit): its parts summed per rep
-- and month are those groups again, and per invoice and rep they are the
-- credited lines of each invoice
SELECT set_eq($$SELECT w.w, c.member_id, c.month, c.refunds, sum(c.lines)::bigint AS lines, sum(c.amount) AS amount
                FROM windows w, LATERAL sales_supervisor.commission_window_credit(w.from_on, w.to_on) c
                GROUP BY 1, 2, 3, 4 HAVING sum(c.lines) <> 0$$,
              'SELECT * FROM by_line', 'commission_window_credit summed per rep and month = credited_sales grouped');
SELECT set_eq($$SELECT w.w, c.invoice_id, c.member_id, sum(c.amount) AS amount
                FROM windows w, LATERAL sales_supervisor.commission_window_credit(w.from_on, w.to_on) c
                WHERE c.invoice_id IS NOT NULL GROUP BY 1, 2, 3 HAVING sum(c.amount) <> 0$$,
              $$SELECT w.w, s.invoice_id, cs.member_id, sum(cs.amount)
                FROM windows w, LATERAL sales_supervisor.credited_sales(w.from_on, w.to_on) cs
                JOIN sales_supervisor.sale s ON s.sale_id = cs.sale_id
                WHERE s.invoice_id IS NOT NULL GROUP BY 1, 2, 3 HAVING sum(cs.amount) <> 0$$,
              'commission_window_credit summed per invoice and rep = credited_sales of each invoice''s lines');
SELECT is((SELECT sum(amount) FROM by_month WHERE w = 1), (SELECT sum(amount) FROM sale WHERE sold_on BETWEEN '2025-01-01' AND '2025-12-31'),
          'the year''s credit adds up to the year''s lines');
SELECT is((SELECT count(*) FROM by_month WHERE lines <= 0), 0::bigint, 'no group without a credited line');
SELECT cmp_ok((SELECT count(*) FROM by_month WHERE refunds AND w = 1), '>', 0::bigint, 'refund groups are in the comparison');
SELECT is((SELECT count(*) FROM by_month b
           WHERE b.w = 1 AND NOT b.refunds
             AND b.member_id IN (SELECT sc.member_id FROM sale_credit sc JOIN sale s USING (sale_id)
                                 WHERE s.member_id <> sc.member_id)) > 0, true,
          'reps credited by another rep''s split line are in the comparison');

-- ---- credit_by_month after commission runs of January to March and April
SELECT lives_ok($$SELECT count(*) FROM sales_supervisor.fiscal_period p, LATERAL sales_supervisor.run_commission(p.period_id)
                  WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month <= 3$$, 'January to March run');
-- a late February line (credited by April's run), then late lines that wait:
-- a January sale, and a March sale split 70 / 30 with its refund
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
SELECT 800001, '2025-02-11', member_id, customer_id, category_id, 501.01 FROM sale WHERE refund_of IS NULL ORDER BY sale_id LIMIT 1;
SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month = 4;
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of)
SELECT v.id, v.d, s.member_id, s.customer_id, s.category_id, v.amt, v.ref
FROM (SELECT * FROM sale WHERE refund_of IS NULL ORDER BY sale_id DESC LIMIT 1) s,
     (VALUES (800002, date '2025-01-30', 250.25, NULL::bigint), (800003, date '2025-03-03', 1000.01, NULL),
             (800004, date '2025-03-20', -1000.01, 800003)) v(id, d, amt, ref);
INSERT INTO sale_credit (sale_id, member_id, share_pct)
SELECT x.id, m.member_id, (ARRAY[70, 30])[m.k]
FROM (VALUES (800003), (800004)) x(id),
     LATERAL (SELECT member_id, row_number() OVER (ORDER BY member_id) AS k FROM member
              WHERE level = 'sales_rep' ORDER BY member_id LIMIT 2) m;
SELECT is((SELECT string_agg(sale_id || ':' || coalesce(credited_period_id::text, 'waiting'), ' ' ORDER BY sale_id)
           FROM commission_late_sale WHERE sale_id >= 800001),
          '800001:' || (SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 AND month = 4)
          || ' 800002:waiting 800003:waiting 800004:waiting',
          'one late line credited by April''s run, three waiting');
INSERT INTO windows VALUES (7, '2025-01-01', '2025-04-30'), (8, '2025-03-01', '2025-06-15'), (9, '2024-12-15', '2025-02-10'),
  (10, '-infinity', 'infinity');
SELECT set_eq('SELECT w.w, b.* FROM windows w, LATERAL sales_supervisor.credit_by_month(w.from_on, w.to_on) b',
              'SELECT w.w, b.* FROM windows w, LATERAL sales_supervisor.credited_sales_by_month(w.from_on, w.to_on) b',
              'credit_by_month = credited_sales_by_month for every window, with run and cut months, late lines credited and waiting, infinite bounds');
SELECT is((SELECT count(*) FROM credit_by_month('2025-05-01', '2025-04-01')), 0::bigint, 'dates the wrong way round: no rows');
-- the run months really come from the ledger: a cent added to a February ledger line
-- (triggers off, as only a superuser can) shows in credit_by_month and not in the lines
SET LOCAL session_replication_role = replica;
UPDATE commission_credit SET amount = amount + 0.01
WHERE credit_id = (SELECT min(credit_id) FROM commission_credit WHERE sold_in = '2025-02-01' AND kind = 'sales');
SET LOCAL session_replication_role = origin;
SELECT is((SELECT sum(amount) FROM credit_by_month('2025-01-01', '2025-12-31'))
          - (SELECT sum(amount) FROM credited_sales_by_month('2025-01-01', '2025-12-31')), 0.01,
          'the months the runs credited are read from the ledger');

-- conservation_violations() finds that cent, and nothing else
SELECT results_eq(
  $$SELECT rule, period_id, member_id, expected, actual FROM sales_supervisor.conservation_violations()$$,
  $$SELECT 'credit_window'::text, cc.period_id, cc.member_id, cc.amount - 0.01, cc.amount
    FROM sales_supervisor.commission_credit cc
    WHERE cc.credit_id = (SELECT min(credit_id) FROM sales_supervisor.commission_credit
                          WHERE sold_in = '2025-02-01' AND kind = 'sales')
    UNION ALL   -- and the credit for the period (sales and refunds of the month together)
    SELECT 'credit_for_period', cc.for_period_id, cc.member_id, t.total - 0.01, t.total
    FROM sales_supervisor.commission_credit cc
    CROSS JOIN LATERAL (SELECT sum(c2.amount) AS total FROM sales_supervisor.commission_credit c2
                        WHERE c2.for_period_id = cc.for_period_id AND c2.member_id = cc.member_id
                          AND c2.sold_in = cc.sold_in) t
    WHERE cc.credit_id = (SELECT min(credit_id) FROM sales_supervisor.commission_credit
                          WHERE sold_in = '2025-02-01' AND kind = 'sales')$$,
  'conservation_violations() reports the cent added behind the triggers'' back, and nothing else');

SELECT * FROM finish();
ROLLBACK;

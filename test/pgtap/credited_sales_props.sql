-- credited_sales_by_month (one pass over the lines plus the split lines) equals
-- credited_sales (every line split one by one) grouped by rep, month and sign,
-- exactly, on the generator's org with splits and refunds, for windows of a
-- year, of single months, of odd dates, and of a window with no lines; and the
-- rows it would get wrong if it mishandled a split (a split line booked to a
-- rep who keeps no share, a refund of a split line) are in the comparison.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(8);

SELECT lives_ok($$SELECT count(*) FROM sales_supervisor.generate_demo_org(seed => 11, teams => 6, depth => 2, reps => 24,
                    customers => 240, sales_lines => 20000, surveys => 100)$$, 'a demo org with 20 000 lines');
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
SELECT is((SELECT sum(amount) FROM by_month WHERE w = 1), (SELECT sum(amount) FROM sale WHERE sold_on BETWEEN '2025-01-01' AND '2025-12-31'),
          'the year''s credit adds up to the year''s lines');
SELECT is((SELECT count(*) FROM by_month WHERE lines <= 0), 0::bigint, 'no group without a credited line');
SELECT cmp_ok((SELECT count(*) FROM by_month WHERE refunds AND w = 1), '>', 0::bigint, 'refund groups are in the comparison');
SELECT is((SELECT count(*) FROM by_month b
           WHERE b.w = 1 AND NOT b.refunds
             AND b.member_id IN (SELECT sc.member_id FROM sale_credit sc JOIN sale s USING (sale_id)
                                 WHERE s.member_id <> sc.member_id)) > 0, true,
          'reps credited by another rep''s split line are in the comparison');

SELECT * FROM finish();
ROLLBACK;

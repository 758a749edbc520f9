-- Credited sales per rep, month and sign for a year, the split lines divided in
-- exact cents (largest remainder: ties to the larger share, then the lower
-- member id), on the demo organisation with {rows} sales lines (6 % of them
-- split between two reps, 1 % refunded).  Ours is credited_sales_by_month (one
-- pass over the lines as booked, the split lines moved by key); the SQL is what
-- a user writes for the same exact cents: every line joined to its split, the
-- cents apportioned with window functions, then grouped; the floor is one scan
-- summing the lines by rep and month.
-- setup:
SELECT count(*) FROM generate_demo_org(seed => 8, teams => 120, depth => 3,
  reps => least(1000, greatest(12, {rows} / 100)), customers => greatest(60, least(20000, {rows} / 50)),
  sales_lines => {rows}, surveys => 2000, replace => true);
ANALYZE;

-- case: the year, per rep, month and sign
-- ours:
SELECT sum(amount), sum(lines) FROM credited_sales_by_month('2025-01-01', '2025-12-31');
-- sql:
WITH split AS (
  SELECT s.sale_id, s.sold_on, s.refund_of, s.amount, sc.member_id, sc.share_pct,
         abs(s.amount) * sc.share_pct AS exact_cents,                 -- |amount| x 100 x share / 100
         floor(abs(s.amount) * sc.share_pct) AS base_cents
  FROM sale s JOIN sale_credit sc ON sc.sale_id = s.sale_id
  WHERE s.sold_on BETWEEN '2025-01-01' AND '2025-12-31'),
ranked AS (
  SELECT sp.*,
         row_number() OVER (PARTITION BY sp.sale_id ORDER BY sp.exact_cents - sp.base_cents DESC,
                                                               sp.share_pct DESC, sp.member_id) AS rn,
         round(abs(sp.amount) * 100) - sum(sp.base_cents) OVER (PARTITION BY sp.sale_id) AS spare
  FROM split sp),
credit AS (
  SELECT s.member_id, s.sold_on, s.refund_of, s.amount
  FROM sale s
  WHERE s.sold_on BETWEEN '2025-01-01' AND '2025-12-31'
    AND NOT EXISTS (SELECT 1 FROM sale_credit sc WHERE sc.sale_id = s.sale_id)
  UNION ALL
  SELECT r.member_id, r.sold_on, r.refund_of,
         sign(r.amount) * (r.base_cents + CASE WHEN r.rn <= r.spare THEN 1 ELSE 0 END) / 100
  FROM ranked r)
SELECT sum(amount), sum(lines) FROM (
  SELECT member_id, date_trunc('month', sold_on), refund_of IS NOT NULL, count(*) AS lines, sum(amount) AS amount
  FROM credit GROUP BY 1, 2, 3) x;
-- floor:
SELECT count(*) FROM (SELECT member_id, date_trunc('month', sold_on), sum(amount) FROM sale GROUP BY 1, 2) x;

-- case: one month, as a commission run reads it
-- ours:
SELECT sum(amount), sum(lines) FROM credited_sales_by_month('2025-06-01', '2025-06-30');
-- sql:
WITH split AS (
  SELECT s.sale_id, s.sold_on, s.refund_of, s.amount, sc.member_id, sc.share_pct,
         abs(s.amount) * sc.share_pct AS exact_cents,
         floor(abs(s.amount) * sc.share_pct) AS base_cents
  FROM sale s JOIN sale_credit sc ON sc.sale_id = s.sale_id
  WHERE s.sold_on BETWEEN '2025-06-01' AND '2025-06-30'),
ranked AS (
  SELECT sp.*,
         row_number() OVER (PARTITION BY sp.sale_id ORDER BY sp.exact_cents - sp.base_cents DESC,
                                                               sp.share_pct DESC, sp.member_id) AS rn,
         round(abs(sp.amount) * 100) - sum(sp.base_cents) OVER (PARTITION BY sp.sale_id) AS spare
  FROM split sp),
credit AS (
  SELECT s.member_id, s.sold_on, s.refund_of, s.amount
  FROM sale s
  WHERE s.sold_on BETWEEN '2025-06-01' AND '2025-06-30'
    AND NOT EXISTS (SELECT 1 FROM sale_credit sc WHERE sc.sale_id = s.sale_id)
  UNION ALL
  SELECT r.member_id, r.sold_on, r.refund_of,
         sign(r.amount) * (r.base_cents + CASE WHEN r.rn <= r.spare THEN 1 ELSE 0 END) / 100
  FROM ranked r)
SELECT sum(amount), sum(lines) FROM (
  SELECT member_id, date_trunc('month', sold_on), refund_of IS NOT NULL, count(*) AS lines, sum(amount) AS amount
  FROM credit GROUP BY 1, 2, 3) x;
-- floor:
SELECT count(*) FROM (SELECT member_id, sum(amount) FROM sale WHERE sold_on BETWEEN '2025-06-01' AND '2025-06-30'
                      GROUP BY 1) x;

-- tiered_commission per sales line, against the numeric CASE a user would
-- write (summing the slice of each tier), and the floor sum(amount).
-- setup:
SELECT setseed(0.5);
CREATE TABLE bench_sales AS
SELECT g AS id, g % 200 AS rep_id,
       round((random() ^ 3 * 1500000)::numeric, 2) AS amount
FROM generate_series(1, {rows}) g;
-- 200 reps on 4 plans, stored both as a tier_table and as the numeric
-- columns a user without the type would keep
CREATE TABLE bench_plans AS
SELECT r AS rep_id, t1, r1, t2, r2, t3, r3, cap,
       format('marginal[(%s,%s),(%s,%s),(%s,%s)] cap %s', t1, r1, t2, r2, t3, r3, cap)::tier_table AS plan
FROM generate_series(0, 199) r,
     LATERAL (SELECT 0::numeric AS t1, (0.02 + (r % 4) * 0.005)::numeric(6,3) AS r1,
                     (100000 + (r % 4) * 50000)::numeric AS t2, 0.03::numeric AS r2,
                     500000::numeric AS t3, (0.05 - (r % 4) * 0.005)::numeric(6,3) AS r3,
                     (40000 + (r % 4) * 5000)::numeric AS cap) v;
-- the same kind of amounts in a numeric column without typmod, with 0 to 3
-- decimals mixed row by row (as values from several sources arrive)
CREATE TABLE bench_sales_mixed AS
SELECT g AS id, round((random() ^ 3 * 1500000)::numeric, g % 4) AS amount
FROM generate_series(1, {rows}) g;
ANALYZE bench_sales;
ANALYZE bench_plans;
ANALYZE bench_sales_mixed;

-- case: marginal, 3 tiers + cap, constant plan
-- ours:
SELECT sum(tiered_commission(amount, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000'))
FROM bench_sales;
-- sql:
SELECT sum(least(
         CASE WHEN amount > 0 THEN least(amount, 100000) * 0.02 ELSE 0 END
       + CASE WHEN amount > 100000 THEN (least(amount, 500000) - 100000) * 0.03 ELSE 0 END
       + CASE WHEN amount > 500000 THEN (amount - 500000) * 0.05 ELSE 0 END,
       50000))
FROM bench_sales;
-- floor:
SELECT sum(amount) FROM bench_sales;

-- case: flat (retroactive), 3 tiers, constant plan
-- ours:
SELECT sum(tiered_commission(amount, 'flat[(0,0.02),(100000,0.03),(500000,0.05)]'))
FROM bench_sales;
-- sql:
SELECT sum(CASE WHEN amount >= 500000 THEN amount * 0.05
                WHEN amount >= 100000 THEN amount * 0.03
                WHEN amount >= 0 THEN amount * 0.02
                ELSE 0 END)
FROM bench_sales;
-- floor:
SELECT sum(amount) FROM bench_sales;

-- case: marginal, per-rep plans from a joined table (4 distinct plans)
-- ours:
SELECT sum(tiered_commission(s.amount, p.plan))
FROM bench_sales s JOIN bench_plans p USING (rep_id);
-- sql:
SELECT sum(least(
         CASE WHEN s.amount > p.t1 THEN (least(s.amount, p.t2) - p.t1) * p.r1 ELSE 0 END
       + CASE WHEN s.amount > p.t2 THEN (least(s.amount, p.t3) - p.t2) * p.r2 ELSE 0 END
       + CASE WHEN s.amount > p.t3 THEN (s.amount - p.t3) * p.r3 ELSE 0 END,
       p.cap))
FROM bench_sales s JOIN bench_plans p USING (rep_id);
-- floor:
SELECT sum(s.amount) FROM bench_sales s JOIN bench_plans p USING (rep_id);

-- case: marginal, 3 tiers + cap, constant plan, amounts of mixed scales
-- ours:
SELECT sum(tiered_commission(amount, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000'))
FROM bench_sales_mixed;
-- sql:
SELECT sum(least(
         CASE WHEN amount > 0 THEN least(amount, 100000) * 0.02 ELSE 0 END
       + CASE WHEN amount > 100000 THEN (least(amount, 500000) - 100000) * 0.03 ELSE 0 END
       + CASE WHEN amount > 500000 THEN (amount - 500000) * 0.05 ELSE 0 END,
       50000))
FROM bench_sales_mixed;
-- floor:
SELECT sum(amount) FROM bench_sales_mixed;

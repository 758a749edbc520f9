-- tiered_commission per sales line, against the numeric CASE a user would
-- write (summing the slice of each tier), and the floor sum(amount).
-- setup:
SELECT setseed(0.5);
CREATE TABLE bench_sales AS
SELECT g AS id,
       round((random() ^ 3 * 1500000)::numeric, 2) AS amount
FROM generate_series(1, {rows}) g;
ANALYZE bench_sales;

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

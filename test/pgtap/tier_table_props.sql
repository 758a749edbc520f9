-- tiered_commission against an independent PL/pgSQL implementation, exactly
-- (value and number of decimals), on thousands of random plans and amounts:
-- both modes, caps, decimals in thresholds, amounts at and around every
-- threshold, negative amounts, and amounts beyond the 128-bit fast path.
-- Fixed seed so a failure can be replayed.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(11);

-- The reference, written from the contract and nothing else: numeric all the
-- way, slices by least(), the rate of the last threshold <= amount for flat,
-- then least(result, cap), shown with the documented scale.
CREATE FUNCTION pg_temp.ref_commission(amount numeric, mode text, thr numeric[],
                                       rate numeric[], cap numeric)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  n int := array_length(thr, 1);
  w int := scale(amount);
  r int := 0;
  f int;
  result numeric := 0;
  top numeric;
BEGIN
  FOR i IN 1..n LOOP
    w := greatest(w, scale(thr[i]));
    r := greatest(r, scale(rate[i]));
  END LOOP;
  f := w + r;
  IF cap IS NOT NULL THEN
    f := greatest(f, scale(cap));
  END IF;
  IF amount > 0 THEN
    IF mode = 'flat' THEN
      FOR i IN REVERSE n..1 LOOP
        IF thr[i] <= amount THEN
          result := amount * rate[i];
          EXIT;
        END IF;
      END LOOP;
    ELSE
      FOR i IN 1..n LOOP
        top := CASE WHEN i < n THEN least(amount, thr[i + 1]) ELSE amount END;
        IF top > thr[i] THEN
          result := result + (top - thr[i]) * rate[i];
        END IF;
      END LOOP;
    END IF;
    IF cap IS NOT NULL THEN
      result := least(result, cap);
    END IF;
  END IF;
  RETURN round(result, f);
END
$$;

SELECT setseed(0.31);
CREATE TEMP TABLE plans AS
SELECT id,
       CASE WHEN random() < 0.5 THEN 'marginal' ELSE 'flat' END AS mode,
       (CASE WHEN random() < 0.15 THEN 9 + floor(random() * 25)
             ELSE 1 + floor(random() * 6) END)::int AS n,
       CASE WHEN random() < 0.4
            THEN round((random() * 40000)::numeric, floor(random() * 3)::int) END AS cap
FROM generate_series(1, 400) id;

CREATE TEMP TABLE tiers AS
SELECT id, k,
       sum(inc) OVER (PARTITION BY id ORDER BY k) AS thr,
       rate
FROM (SELECT p.id, k,
             CASE WHEN k = 1 THEN round((random() * 2000 * (random() < 0.3)::int)::numeric,
                                        floor(random() * 3)::int)
                  ELSE round((1 + random() * 200000)::numeric, floor(random() * 3)::int) END AS inc,
             round((random() * 0.15)::numeric, (1 + floor(random() * 4))::int) AS rate
      FROM plans p, generate_series(1, p.n) k) x;

CREATE TEMP TABLE plan_tables AS
SELECT p.id, p.mode, p.cap,
       array_agg(t.thr ORDER BY t.k) AS thr,
       array_agg(t.rate ORDER BY t.k) AS rate,
       (p.mode || '[' || string_agg('(' || t.thr || ',' || t.rate || ')', ',' ORDER BY t.k) || ']'
        || coalesce(' cap ' || p.cap, ''))::tier_table AS tbl
FROM plans p JOIN tiers t USING (id)
GROUP BY p.id, p.mode, p.cap;

-- random amounts (a few beyond the fast path), and every threshold +- a cent
CREATE TEMP TABLE amounts AS
SELECT CASE WHEN u < 0.03 THEN round((random() * 1e38)::numeric, 0) * 100
            WHEN u < 0.06 THEN round((random() * 10000)::numeric, 15) + 1e-20
            WHEN u < 0.15 THEN -round((random() * 1000)::numeric, 2)
            WHEN u < 0.18 THEN 0
            ELSE round((random() * 900000)::numeric, floor(random() * 4)::int) END AS amount
FROM (SELECT random() AS u FROM generate_series(1, 15)) s
UNION ALL  -- always some beyond the 128-bit path: too many digits, too many decimals
SELECT unnest(ARRAY[123456789012345678901234567890123456789.55, 1e39,
                    7777.123456789012345678901, 250000.0000000000000000001]);

CREATE TEMP TABLE cases AS
SELECT p.id, a.amount FROM plan_tables p, amounts a
UNION ALL
SELECT p.id, t + d FROM plan_tables p, unnest(p.thr) t, unnest(ARRAY[-0.01, 0, 0.01]) d;

SELECT cmp_ok((SELECT count(*) FROM cases), '>=', 8000::bigint,
              'at least 8000 random (plan, amount) cases');

SELECT is(
  (SELECT count(*) FROM cases c JOIN plan_tables p USING (id)
   WHERE tiered_commission(c.amount, p.tbl)::text
         IS DISTINCT FROM pg_temp.ref_commission(c.amount, p.mode, p.thr, p.rate, p.cap)::text),
  0::bigint,
  'tiered_commission equals the PL/pgSQL reference exactly, value and scale');

SELECT cmp_ok(
  (SELECT count(*) FROM cases c JOIN plan_tables p USING (id)
   WHERE c.amount >= 1e36 OR scale(c.amount) > 18),
  '>', 0::bigint, 'some cases take the numeric fallback path');

SELECT is(
  (SELECT count(*) FROM cases c JOIN plan_tables p USING (id)
   WHERE tiered_commission(c.amount, p.tbl) < 0
      OR (p.cap IS NOT NULL AND tiered_commission(c.amount, p.tbl) > p.cap)),
  0::bigint, 'results are never negative and never above the cap');

SELECT is(
  (SELECT count(*) FROM plan_tables WHERE tbl::text::tier_table <> tbl OR tbl::text::tier_table::text <> tbl::text),
  0::bigint, 'text round trip of every random plan is stable');

-- equal by value (trailing zeros appended to every decimal) means equal hash
SELECT is(
  (SELECT count(*) FROM plan_tables p,
          LATERAL (SELECT regexp_replace(p.tbl::text, '(\.[0-9]+)', '\100', 'g')::tier_table AS v) x
   WHERE NOT (x.v = p.tbl AND tier_table_hash(x.v) = tier_table_hash(p.tbl)
              AND x.v::text <> p.tbl::text)),
  0::bigint, 'a table with extra trailing zeros is equal, hashes alike, and prints its own digits');

-- the same tables read from a table row (short varlena header, cached per call site)
CREATE TEMP TABLE stored AS SELECT id, tbl FROM plan_tables;
SELECT is(
  (SELECT count(*) FROM cases c JOIN stored s USING (id) JOIN plan_tables p USING (id)
   WHERE tiered_commission(c.amount, s.tbl)::text <> tiered_commission(c.amount, p.tbl)::text),
  0::bigint, 'a stored table gives the same results as a fresh one');

SELECT is(
  (SELECT sum(tiered_commission(amount, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000'))
   FROM (VALUES (50000.00), (100000), (250000), (600000), (2000000)) v(amount)),
  1000.00 + 2000 + 6500 + 19000 + 50000,
  'the documented marginal example, summed');

SELECT function_lang_is('sales_supervisor', 'tiered_commission',
                        ARRAY['numeric', 'tier_table'], 'c',
                        'tiered_commission is implemented in C');

-- btree order: a total order consistent with = on all pairs of values
-- (and values with extra trailing zeros where that keeps equality)
CREATE TEMP TABLE ord_vals AS SELECT tbl AS v FROM plan_tables UNION ALL SELECT regexp_replace(a.tbl::text, '(\.[0-9]+)', '\100', 'g')::tier_table FROM plan_tables a;
\ir include/btree_order.sql
SELECT pg_temp.btree_order_tests('ord_vals', 'tier_table_cmp', 'tier_table_hash_extended');  -- two tests

SELECT * FROM finish();
ROLLBACK;

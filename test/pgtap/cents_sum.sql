-- cents_sum(numeric): the same value and display scale as sum(numeric) --
-- PostgreSQL's own sum is the independent model -- on whole-cent amounts,
-- amounts of other scales, NULLs, special values and sums past the int64
-- fast path, grouped by hashing and by sorting, and as a window aggregate.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(15);

-- 20 000 amounts of a numeric(14,2) column (refunds negative), 997 groups
CREATE TEMP TABLE line (k int, g int, amount numeric(14,2));
INSERT INTO line
SELECT i, (i * 7919) % 997, round(((hashint4(i) % 2000000) / 100.0)::numeric, 2)
FROM generate_series(1, 20000) i;

-- every group's value and text, cents_sum against sum
CREATE FUNCTION pg_temp.differ(q_by text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (SELECT %s AS key, sum(amount) AS s, cents_sum(amount) AS c FROM line GROUP BY 1) x
                  WHERE x.s IS DISTINCT FROM x.c OR x.s::text IS DISTINCT FROM x.c::text', q_by) INTO n;
  RETURN n;
END $$;

SET LOCAL enable_sort = off;
SELECT is(pg_temp.differ('g'), 0::bigint, 'hashed grouping: every group as sum(), value and scale');
RESET enable_sort;
SET LOCAL enable_hashagg = off;
SELECT is(pg_temp.differ('g'), 0::bigint, 'sorted grouping: every group as sum()');
RESET enable_hashagg;
SELECT is((SELECT cents_sum(amount)::text FROM line), (SELECT sum(amount)::text FROM line), 'the whole table as sum()');
SELECT is((SELECT count(*) FROM (
             SELECT sum(amount) OVER w AS s, cents_sum(amount) OVER w AS c FROM line
             WINDOW w AS (PARTITION BY g ORDER BY k ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)) x
           WHERE x.s::text IS DISTINCT FROM x.c::text), 0::bigint,
          'as a window aggregate over moving frames: every row as sum() (the final function reads the state only)');

-- scales: the largest display scale of the amounts added, as sum()
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (1::numeric), (2)) v(x)), '3', 'integers: scale 0');
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (1.5), (2)) v(x)), '3.5', 'one decimal: scale 1');
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (1.50), (2), (-0.5)) v(x)), '3.00', 'trailing zero kept: scale 2');
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (0.01), (-0.01)) v(x)), '0.00', 'a zero sum keeps its scale');
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (1.25), (1.005), (2)) v(x)), '4.255',
          'an amount with three decimals: numeric from then on, the cents so far moved in');

-- NULLs: skipped; none at all, or no row: NULL
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (NULL::numeric), (4.20), (NULL)) v(x)), '4.20', 'NULL amounts skipped');
SELECT ok((SELECT cents_sum(x) IS NULL FROM (VALUES (NULL::numeric)) v(x)), 'only NULL amounts: NULL, as sum()');
SELECT ok((SELECT cents_sum(amount) IS NULL FROM line WHERE false), 'no row: NULL');

-- special values and a sum beyond the int64 path (2^62 hundredths = 4.6e16)
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (1.10), ('NaN'::numeric), (2)) v(x)), 'NaN', 'NaN as sum()');
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (1.10), ('Infinity'::numeric), ('-Infinity')) v(x)),
          (SELECT sum(x)::text FROM (VALUES (1.10), ('Infinity'::numeric), ('-Infinity')) v(x)), 'infinities as sum()');
SELECT is((SELECT cents_sum(x)::text FROM (VALUES (30000000000000000.25), (30000000000000000.50), (-0.75)) v(x)),
          '60000000000000000.00', 'past 2^62 hundredths: numeric from then on, exact');

SELECT * FROM finish();
ROLLBACK;

-- entry_kind_sums(kind, amount): a commission account's entries summed per
-- kind in one aggregate state -- the independent model is one
-- coalesce(sum(amount) FILTER (WHERE kind = ...), 0) per kind -- on entries
-- of every kind, grouped by hashing and by sorting, with NULLs, amounts of
-- other scales, an unknown kind, and as a window aggregate.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(13);

-- 20 000 entries of the ten kinds over 499 groups, amounts numeric(14,2)
CREATE TEMP TABLE entry (k int, g int, kind text, amount numeric(14,2));
INSERT INTO entry
SELECT i, (i * 7919) % 499,
       (ARRAY['earned', 'held', 'released', 'clawed_back', 'spiff', 'adjustment', 'draw_paid', 'guarantee_paid',
              'draw_recovered', 'paid'])[1 + (hashint4(i * 3) & 1023) % 10],
       round(((hashint4(i) % 2000000) / 100.0)::numeric, 2)
FROM generate_series(1, 20000) i;
-- a group without some kinds: group 500 has earned and paid entries only
INSERT INTO entry VALUES (20001, 500, 'earned', 12.50), (20002, 500, 'paid', -12.50), (20003, 500, 'earned', 0.25);

CREATE FUNCTION pg_temp.model(q_where text) RETURNS TABLE (g int, s text) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    SELECT e.g, ARRAY[coalesce(sum(e.amount) FILTER (WHERE e.kind = 'earned'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'held'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'released'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'clawed_back'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'spiff'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'adjustment'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'draw_paid'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'guarantee_paid'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'draw_recovered'), 0),
                      coalesce(sum(e.amount) FILTER (WHERE e.kind = 'paid'), 0)]::text
    FROM entry e %s GROUP BY e.g$q$, q_where);
END $$;

SET LOCAL enable_sort = off;
SELECT results_eq('SELECT g, entry_kind_sums(kind, amount)::text FROM entry GROUP BY g ORDER BY g',
                  'SELECT * FROM pg_temp.model($$$$) ORDER BY g',
                  'hashed grouping: every group''s ten sums as the filtered sum(), value and scale');
RESET enable_sort;
SET LOCAL enable_hashagg = off;
SELECT results_eq('SELECT g, entry_kind_sums(kind, amount)::text FROM entry GROUP BY g ORDER BY g',
                  'SELECT * FROM pg_temp.model($$$$) ORDER BY g',
                  'sorted grouping: every group''s ten sums as the filtered sum()');
RESET enable_hashagg;
SELECT is((SELECT entry_kind_sums(kind, amount)::text FROM entry WHERE g = 500),
          '{12.75,0,0,0,0,0,0,0,0,-12.50}', 'kinds without an entry are 0; the order is commission_entry''s');
SELECT is((SELECT (entry_kind_sums(kind, amount))[7:8]::text FROM (VALUES ('draw_paid', 300.00), ('guarantee_paid', 150.00),
                                                                    ('draw_paid', 200.00)) v(kind, amount)),
          '{500.00,150.00}', 'draw_paid and guarantee_paid are apart (elements 7 and 8)');
SELECT is((SELECT count(*) FROM (
             SELECT entry_kind_sums(kind, amount) OVER w AS s,
                    ARRAY[sum(amount) FILTER (WHERE kind = 'earned') OVER w, sum(amount) FILTER (WHERE kind = 'paid') OVER w] AS m
             FROM entry WINDOW w AS (PARTITION BY g ORDER BY k ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)) x
           WHERE x.s[1] <> coalesce(x.m[1], 0) OR x.s[10] <> coalesce(x.m[2], 0)), 0::bigint,
          'as a window aggregate over moving frames: every row as the filtered sum() (the final function reads the state only)');

-- scales as sum(): an amount with three decimals continues in numeric
SELECT is((SELECT entry_kind_sums(kind, amount)::text FROM (VALUES ('held', -1.5), ('held', -2::numeric)) v(kind, amount)),
          '{0,-3.5,0,0,0,0,0,0,0,0}', 'one decimal: scale 1, as sum()');
SELECT is((SELECT (entry_kind_sums(kind, amount))[5]::text FROM (VALUES ('spiff', 1.25), ('spiff', 1.005), ('spiff', 2::numeric)) v(kind, amount)),
          '4.255', 'an amount with three decimals: numeric from then on, exact');

-- NULLs skipped; no row: NULL; an unknown kind: 22023
SELECT is((SELECT entry_kind_sums(kind, amount)::text
           FROM (VALUES ('earned', 4.20), (NULL, 1.00), ('earned', NULL::numeric)) v(kind, amount)),
          '{4.20,0,0,0,0,0,0,0,0,0}', 'a row with a NULL kind or amount is skipped');
SELECT is((SELECT entry_kind_sums(kind, amount)::text FROM (VALUES (NULL::text, NULL::numeric)) v(kind, amount)),
          '{0,0,0,0,0,0,0,0,0,0}', 'only NULL rows: every kind 0');
SELECT ok((SELECT entry_kind_sums(kind, amount) IS NULL FROM entry WHERE false), 'no row: NULL');
SELECT throws_ok($$SELECT entry_kind_sums(kind, amount) FROM (VALUES ('earned', 1.00), ('bonus', 2.00)) v(kind, amount)$$,
                 '22023', '"bonus" is not a commission entry kind', 'an unknown kind is refused');
SELECT throws_ok($$SELECT entry_kind_sums(kind, amount) FROM (VALUES ('Earned', 1.00)) v(kind, amount)$$,
                 '22023', NULL, 'kinds are matched exactly (case)');

-- the accounts' check reads its figures through it: every statement of the
-- table equals its entries (one statement and its entries by hand)
SELECT is((SELECT entry_kind_sums(kind, amount)::text
           FROM (VALUES ('earned', 100.00), ('held', -60.00), ('draw_paid', 300.00), ('draw_recovered', -40.00),
                        ('paid', -300.00), ('earned', 20.00)) v(kind, amount)),
          '{120.00,-60.00,0,0,0,0,300.00,0,-40.00,-300.00}', 'a statement''s entries by hand');

SELECT * FROM finish();
ROLLBACK;

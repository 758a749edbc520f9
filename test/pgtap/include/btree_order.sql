-- The btree operator class of a type, checked over every pair of the values in
-- column v of a table.  Pulled in with `\ir include/btree_order.sql`.
--   SELECT pg_temp.btree_order_tests('vals', 'T_cmp', 'T_hash_extended');
-- is two tests:
--   1. T_cmp is antisymmetric, 0 exactly when =, and agrees with < <= > >=;
--   2. ORDER BY sorts by the btree order, and equal values have equal
--      seeded hashes (hash_extended with seed 7).
-- Each counts the counterexamples, which must be none.
CREATE FUNCTION pg_temp.btree_order_tests(vals regclass, cmp regproc, hash_extended regproc)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format($q$
    SELECT count(*) FROM %1$s a, %1$s b
    WHERE ((%2$s(a.v, b.v) = 0) IS DISTINCT FROM (a.v = b.v))
       OR sign(%2$s(a.v, b.v)) <> -sign(%2$s(b.v, a.v))
       OR (a.v < b.v) <> (%2$s(a.v, b.v) < 0)
       OR (a.v <= b.v) <> (%2$s(a.v, b.v) <= 0)
       OR (a.v > b.v) <> (%2$s(a.v, b.v) > 0)
       OR (a.v >= b.v) <> (%2$s(a.v, b.v) >= 0)$q$, vals, cmp) INTO n;
  RETURN NEXT is(n, 0::bigint, format('%s is antisymmetric, 0 exactly when =, and agrees with < <= > >=', cmp));
  EXECUTE format($q$
    SELECT count(*) FROM (SELECT v, lag(v) OVER (ORDER BY v) AS prev FROM %1$s) s
    WHERE prev > v OR (prev IS NOT NULL AND %2$s(prev, 7) <> %2$s(v, 7) AND prev = v)$q$, vals, hash_extended) INTO n;
  RETURN NEXT is(n, 0::bigint, 'ORDER BY sorts by the btree order, and equal values have equal seeded hashes');
END $$;

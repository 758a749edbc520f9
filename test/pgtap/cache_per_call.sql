-- Issue 12, item 1: no cached value outlives the argument bytes it was made
-- from.  tiered_commission and kpi_score keep the prepared tier table / curve
-- in fn_extra (src/datum_cache.c), the window functions keep the partition's
-- answer in partition memory (src/apportion_window.c), trimmed_mean keeps the
-- first row's drop_each_end in its state.  fn_extra outlives one parameter
-- value: PL/pgSQL keeps a simple expression's state for the whole transaction
-- and passes each call's values as Params, so a cache that trusted
-- get_fn_expr_arg_stable() answered every later call with the FIRST value's
-- result (the issue's reproduction, part 1).
--
-- Every function of the schema that takes a score_curve or a tier_table
-- (found in the catalog, not listed by hand: part 2) is called with changing
-- values -- short-header values read from a table, values TOASTed out of
-- line, values compressed, literals -- from a PL/pgSQL function per row and
-- per statement in one transaction, from a DO loop, from a LATERAL subquery
-- evaluated per outer row, from SQL functions (inlined and not) and from
-- server-side prepared statements in generic and in custom plan mode; each
-- result is compared with a fresh call in its own statement with literal
-- arguments.  Part 3 changes TOASTed and compressed values by UPDATE between
-- calls in one transaction and in a procedure loop (expected values by hand).
-- Part 4 does the same for the window functions and aggregates, varying
-- their non-aggregated arguments (expected values by hand).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(69);

-- ===========================================================================
-- Part 1: the issue's reproduction, literally, and the same for kpi_score
-- with curves read from a table (short-header values: kpi_score caches only
-- those, a plain 4-byte-header literal is used where it lies).
-- ===========================================================================
CREATE FUNCTION pg_temp.c(a numeric, t sales_supervisor.tier_table) RETURNS numeric
  LANGUAGE plpgsql AS $$BEGIN RETURN sales_supervisor.tiered_commission(a, t); END$$;
CREATE FUNCTION pg_temp.k(a float8, c sales_supervisor.score_curve) RETURNS float8
  LANGUAGE plpgsql AS $$BEGIN RETURN sales_supervisor.kpi_score(a, c); END$$;

SELECT is((SELECT array_agg(pg_temp.c(100, t::tier_table)::text ORDER BY n)
           FROM (VALUES (1, 'flat[(0,0.01)]'), (2, 'flat[(0,0.02)]'), (3, 'flat[(0,0.020)]'),
                        (4, 'flat[(0,0.01)]')) v(n, t)),
          ARRAY['1.00', '2.00', '2.000', '1.00'],
          'issue repro: tiered_commission from PL/pgSQL per row follows each row''s table (0.020 = 0.02 by value, but its own scale)');
-- one transaction (the test's), one statement each: the simple expression's
-- state in pg_temp.c lives on from the statement above
SELECT is(pg_temp.c(100, 'flat[(0,0.01)]')::text, '1.00', 'issue repro: per statement in one transaction, 1st');
SELECT is(pg_temp.c(100, 'flat[(0,0.02)]')::text, '2.00', 'issue repro: per statement in one transaction, 2nd');
SELECT is(pg_temp.c(100, 'flat[(0,0.020)]')::text, '2.000', 'issue repro: per statement, a value-equal table with other bytes');

CREATE TEMP TABLE small_curve (n int PRIMARY KEY, c score_curve);
INSERT INTO small_curve VALUES (1, 'linear[(0,0),(1,100)]'), (2, 'linear[(0,0),(1,50)]'),
  (3, 'step[(0.5,10),(1,70)]'), (4, 'linear[(0,0),(1,100)]'), (5, 'step[(0.5,10),(1,70)]');
SELECT is((SELECT array_agg(pg_temp.k(0.75, c) ORDER BY n) FROM small_curve),
          ARRAY[75, 37.5, 10, 75, 10]::float8[],
          'kpi_score from PL/pgSQL per row, curves read from a table (short header)');
SELECT is(pg_temp.k(1, (SELECT c FROM small_curve WHERE n = 2)), 50::float8,
          'kpi_score from PL/pgSQL, next statement, another curve from the table');
SELECT is(pg_temp.k(1, (SELECT c FROM small_curve WHERE n = 3)), 70::float8,
          'kpi_score from PL/pgSQL, next statement, a step curve from the table');

-- server-side prepared statements, at top level, in generic then custom plan
-- mode: the function directly, and through the PL/pgSQL wrappers (whose
-- expression state lives across the EXECUTEs of one transaction)
CREATE TEMP TABLE prep_got (mode text, n int, direct text, wrapped text, curve_direct float8, curve_wrapped float8);
PREPARE prep_tc(text, int, numeric, tier_table, float8, score_curve) AS
  INSERT INTO prep_got VALUES ($1, $2, tiered_commission($3, $4)::text, pg_temp.c($3, $4)::text,
                               kpi_score($5, $6), pg_temp.k($5, $6));
PREPARE prep_row(text, int) AS
  INSERT INTO prep_got SELECT $1, $2, NULL, NULL, kpi_score(0.75, c), pg_temp.k(0.75, c)
  FROM small_curve WHERE n = $2 - 10;
-- the EXECUTEs, in this order, once per plan mode (%L: the mode); \gexec runs
-- each as a statement of its own at top level, as if written out
CREATE TEMP TABLE prep_calls (ord serial, call text);
INSERT INTO prep_calls (call) VALUES
  ($$EXECUTE prep_tc(%L, 1, 100, 'flat[(0,0.01)]', 0.5, 'linear[(0,0),(1,100)]')$$),
  ($$EXECUTE prep_tc(%L, 2, 100, 'flat[(0,0.02)]', 0.5, 'linear[(0,0),(1,50)]')$$),
  ($$EXECUTE prep_tc(%L, 3, 250, 'marginal[(0,0.01),(100,0.1)]', 1, 'step[(0.5,10),(1,70)]')$$),
  ($$EXECUTE prep_tc(%L, 4, 100, 'flat[(0,0.01)]', 0.5, 'linear[(0,0),(1,100)]')$$),
  ($$EXECUTE prep_row(%L, 11)$$), ($$EXECUTE prep_row(%L, 12)$$), ($$EXECUTE prep_row(%L, 13)$$);
SET LOCAL plan_cache_mode = force_generic_plan;
SELECT format(call, 'generic') FROM prep_calls ORDER BY ord \gexec
SET LOCAL plan_cache_mode = force_custom_plan;
SELECT format(call, 'custom') FROM prep_calls ORDER BY ord \gexec
SET LOCAL plan_cache_mode = auto;
SELECT is((SELECT generic_plans::text || '/' || custom_plans FROM pg_prepared_statements WHERE name = 'prep_tc'),
          '4/4', 'prep_tc ran 4 times on a generic plan and 4 times on custom plans');
-- marginal[(0,0.01),(100,0.1)] on 250: 100 x 0.01 + 150 x 0.1 = 16.00
SELECT is((SELECT array_agg(row(n, direct, wrapped, curve_direct, curve_wrapped)::text ORDER BY n)
           FROM prep_got WHERE mode = 'generic'),
          ARRAY['(1,1.00,1.00,50,50)', '(2,2.00,2.00,25,25)', '(3,16.00,16.00,70,70)', '(4,1.00,1.00,50,50)',
                '(11,,,75,75)', '(12,,,37.5,37.5)', '(13,,,10,10)'],
          'prepared statement, generic plan: each EXECUTE follows its parameters, directly and through PL/pgSQL');
SELECT is((SELECT array_agg(row(n, direct, wrapped, curve_direct, curve_wrapped)::text ORDER BY n)
           FROM prep_got WHERE mode = 'custom'),
          ARRAY['(1,1.00,1.00,50,50)', '(2,2.00,2.00,25,25)', '(3,16.00,16.00,70,70)', '(4,1.00,1.00,50,50)',
                '(11,,,75,75)', '(12,,,37.5,37.5)', '(13,,,10,10)'],
          'prepared statement, custom plans: each EXECUTE follows its parameters, directly and through PL/pgSQL');
DEALLOCATE prep_tc;
DEALLOCATE prep_row;

-- ===========================================================================
-- Part 2: every function of the schema with a score_curve or tier_table
-- argument, from the catalog.
-- ===========================================================================
CREATE TEMP TABLE fut AS
SELECT row_number() OVER (ORDER BY p.oid::regprocedure::text)::int AS f,
       p.oid::regprocedure AS sig,
       quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS qname,
       ARRAY(SELECT unnest(p.proargtypes::oid[]))::regtype[] AS argtypes
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'sales_supervisor' AND p.prokind = 'f'
  AND p.proargtypes::oid[] && ARRAY['score_curve'::regtype, 'tier_table'::regtype]::oid[]
  AND NOT p.proargtypes::oid[] && ARRAY['internal'::regtype, 'cstring'::regtype]::oid[];

SELECT ok((SELECT array_agg(sig::text) FROM fut)
            @> ARRAY['tiered_commission(numeric,tier_table)', 'kpi_score(double precision,score_curve)',
                     'tier_table_eq(tier_table,tier_table)', 'score_curve_cmp(score_curve,score_curve)',
                     'tier_table_out(tier_table)', 'score_curve_hash_extended(score_curve,bigint)'],
          'the catalog finds the score_curve / tier_table functions');

-- sample values per argument type; the big ones are TOASTed (out of line in
-- an EXTERNAL column, compressed in a MAIN column); "big ... b" differs from
-- "big ... a" only in its LAST tier / point, so only a comparison of all the
-- bytes tells them apart
CREATE FUNCTION pg_temp.big_tiers(last_rate text, n int DEFAULT 400) RETURNS text LANGUAGE sql AS $$
  SELECT 'marginal[' || string_agg(format('(%s,%s)', i * 100, CASE WHEN i = n - 1 THEN last_rate ELSE '0.00' || (i % 7 + 1) END),
                                   ',' ORDER BY i) || ']'
  FROM generate_series(0, n - 1) i $$;
CREATE FUNCTION pg_temp.big_curve(last_y int, n int DEFAULT 500) RETURNS text LANGUAGE sql AS $$
  SELECT 'linear[' || string_agg(format('(%s,%s)', i::numeric / 100, CASE WHEN i = n - 1 THEN last_y ELSE 2 * i END),
                                 ',' ORDER BY i) || ']'
  FROM generate_series(0, n - 1) i $$;

CREATE TEMP TABLE sample (typ regtype, n int, lit text);
INSERT INTO sample VALUES
  ('tier_table', 1, 'flat[(0,0.01)]'), ('tier_table', 2, 'flat[(0,0.02)]'), ('tier_table', 3, 'flat[(0,0.020)]'),
  ('tier_table', 4, 'marginal[(0,0.02),(100000,0.03)] cap 50000'),
  ('tier_table', 5, pg_temp.big_tiers('0.009')), ('tier_table', 6, pg_temp.big_tiers('0.011')),
  ('score_curve', 1, 'linear[(0,0),(1,100),(1.5,150)]'), ('score_curve', 2, 'step[(0.5,10),(1,50)]'),
  ('score_curve', 3, 'linear[(0,0),(2,100)]'), ('score_curve', 4, 'linear[(0,0),(2,100.5)]'),
  ('score_curve', 5, pg_temp.big_curve(1000)), ('score_curve', 6, pg_temp.big_curve(1001)),
  ('numeric', 1, '100'), ('numeric', 2, '250000.5'), ('numeric', 3, '39999.99'),
  ('double precision', 1, '0.8'), ('double precision', 2, '1.2'), ('double precision', 3, '20'),
  ('bigint', 1, '0'), ('bigint', 2, '42');

SELECT is((SELECT array_agg(DISTINCT t::text ORDER BY t::text) FROM fut, unnest(argtypes) t
           WHERE t NOT IN (SELECT typ FROM sample)),
          NULL, 'every argument type of those functions has sample values (extend "sample" otherwise)');

-- the cases: for each function every combination of sample values, twice,
-- in a fixed random order, so consecutive calls change values
SELECT setseed(0.12);
CREATE TEMP TABLE cases AS
WITH RECURSIVE cp(f, pos, lits) AS (
  SELECT f, 0, '{}'::text[] FROM fut
  UNION ALL
  SELECT cp.f, cp.pos + 1, cp.lits || s.lit
  FROM cp JOIN fut USING (f) JOIN sample s ON s.typ = fut.argtypes[cp.pos + 1]
  WHERE cp.pos < cardinality(fut.argtypes))
SELECT f, row_number() OVER (PARTITION BY f ORDER BY random())::int AS i, lits
FROM cp JOIN fut USING (f), generate_series(1, 2) rep
WHERE pos = cardinality(argtypes);

-- per function: the cases' values in tables (even i: EXTERNAL columns, odd i:
-- MAIN columns), a view over both, and wrappers in PL/pgSQL and SQL
DO $gen$
DECLARE
  r record;
  cols text; casts text; params text; types text;
  k int;
BEGIN
  FOR r IN SELECT * FROM fut LOOP
    SELECT string_agg(format('a%s %s', j, t), ', ' ORDER BY j),
           string_agg(format('c.lits[%s]::%s', j, t), ', ' ORDER BY j),
           string_agg(format('$%s', j), ', ' ORDER BY j),
           string_agg(t::text, ', ' ORDER BY j)
      INTO cols, casts, params, types
      FROM unnest(r.argtypes) WITH ORDINALITY u(t, j);
    EXECUTE format('CREATE TEMP TABLE ax_%s (i int, %s)', r.f, cols);
    EXECUTE format('CREATE TEMP TABLE am_%s (i int, %s)', r.f, cols);
    FOR k IN 1 .. cardinality(r.argtypes) LOOP
      IF r.argtypes[k] IN ('tier_table'::regtype, 'score_curve'::regtype) THEN
        EXECUTE format('ALTER TABLE ax_%s ALTER a%s SET STORAGE EXTERNAL', r.f, k);
        EXECUTE format('ALTER TABLE am_%s ALTER a%s SET STORAGE MAIN', r.f, k);
      END IF;
    END LOOP;
    EXECUTE format('INSERT INTO ax_%1$s SELECT c.i, %2$s FROM cases c WHERE c.f = %1$s AND c.i %% 2 = 0', r.f, casts);
    EXECUTE format('INSERT INTO am_%1$s SELECT c.i, %2$s FROM cases c WHERE c.f = %1$s AND c.i %% 2 = 1', r.f, casts);
    EXECUTE format('CREATE TEMP VIEW a_%1$s AS SELECT * FROM ax_%1$s UNION ALL SELECT * FROM am_%1$s', r.f);
    EXECUTE format('CREATE FUNCTION pg_temp.wpl_%s(%s) RETURNS text LANGUAGE plpgsql AS $f$BEGIN RETURN %s(%s)::text; END$f$',
                   r.f, types, r.qname, params);
    EXECUTE format('CREATE FUNCTION pg_temp.wsql_%s(%s) RETURNS text LANGUAGE sql AS $f$SELECT %s(%s)::text$f$',
                   r.f, types, r.qname, params);
    -- a SET clause keeps an SQL function from being inlined
    EXECUTE format('CREATE FUNCTION pg_temp.wsqln_%s(%s) RETURNS text LANGUAGE sql SET search_path = sales_supervisor, public AS $f$SELECT %s(%s)::text$f$',
                   r.f, types, r.qname, params);
  END LOOP;
END
$gen$;

-- the big values really are stored out of line (EXTERNAL) and compressed (MAIN)
CREATE FUNCTION pg_temp.toast_chunks(rel regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s', (SELECT reltoastrelid::regclass FROM pg_class WHERE oid = rel)) INTO n;
  RETURN n;
END $$;
CREATE FUNCTION pg_temp.count_where(rel text, cond text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s WHERE %s', rel, cond) INTO n;
  RETURN n;
END $$;
SELECT ok(pg_temp.toast_chunks(format('ax_%s', f)::regclass) > 0
          AND pg_temp.count_where(format('ax_%s', f), 'pg_column_compression(a2) IS NULL AND pg_column_size(a2) > 4000') > 0
          AND pg_temp.count_where(format('am_%s', f), 'pg_column_compression(a2) IS NOT NULL') > 0,
          'the cases hold values TOASTed out of line uncompressed and values compressed (tiered_commission''s)')
FROM fut WHERE sig = 'tiered_commission(numeric,tier_table)'::regprocedure;

-- expected: each case in its own statement, arguments as literals
CREATE TEMP TABLE expected (f int, i int, r text);
DO $exp$
DECLARE c record; res text;
BEGIN
  FOR c IN SELECT cases.*, fut.qname,
                  (SELECT string_agg(format('%L::%s', l, fut.argtypes[j]), ', ' ORDER BY j)
                   FROM unnest(cases.lits) WITH ORDINALITY u(l, j)) AS litargs
           FROM cases JOIN fut USING (f) LOOP
    EXECUTE format('SELECT %s(%s)::text', c.qname, c.litargs) INTO res;
    INSERT INTO expected VALUES (c.f, c.i, res);
  END LOOP;
END
$exp$;
SELECT is((SELECT array_agg(sig::text ORDER BY f) FROM fut
           WHERE (SELECT count(DISTINCT r) FROM expected e WHERE e.f = fut.f) < 2),
          NULL, 'every function gives different results on the cases (the comparison can fail)');

CREATE TEMP TABLE got (mode text, f int, i int, r text);
CREATE TEMP TABLE plan_counts (mode text, name text, generic bigint, custom bigint, runs bigint);

CREATE FUNCTION pg_temp.run(m text) RETURNS void LANGUAGE plpgsql AS $run$
DECLARE
  r record; c record; res text;
  args text; cargs text; oargs text; casts text; params text; types text; litargs text;
BEGIN
  FOR r IN SELECT * FROM fut ORDER BY f LOOP
    SELECT string_agg(format('a%s', j), ', ' ORDER BY j),
           string_agg(format('c.a%s', j), ', ' ORDER BY j),
           string_agg(format('o.a%s', j), ', ' ORDER BY j),
           string_agg(format('c.lits[%s]::%s', j, t), ', ' ORDER BY j),
           string_agg(format('$%s', j), ', ' ORDER BY j),
           string_agg(t::text, ', ' ORDER BY j)
      INTO args, cargs, oargs, casts, params, types
      FROM unnest(r.argtypes) WITH ORDINALITY u(t, j);
    CASE m
    WHEN 'plpgsql per row' THEN
      EXECUTE format('INSERT INTO got SELECT %L, %s, i, pg_temp.wpl_%s(%s) FROM (SELECT * FROM a_%s ORDER BY i OFFSET 0) s',
                     m, r.f, r.f, args, r.f);
    WHEN 'plpgsql per statement' THEN
      FOR c IN SELECT i FROM cases WHERE f = r.f ORDER BY i LOOP
        EXECUTE format('SELECT pg_temp.wpl_%s(%s) FROM a_%s WHERE i = $1', r.f, args, r.f) INTO res USING c.i;
        INSERT INTO got VALUES (m, r.f, c.i, res);
      END LOOP;
    WHEN 'DO loop over table values' THEN
      EXECUTE format($d$DO $do$ DECLARE c record; res text; BEGIN
                       FOR c IN SELECT * FROM a_%1$s ORDER BY i LOOP
                         res := %2$s(%3$s)::text;
                         INSERT INTO got VALUES (%4$L, %1$s, c.i, res);
                       END LOOP; END $do$ $d$, r.f, r.qname, cargs, m);
    WHEN 'DO loop over cast literals' THEN
      EXECUTE format($d$DO $do$ DECLARE c record; res text; BEGIN
                       FOR c IN SELECT * FROM cases WHERE f = %1$s ORDER BY i LOOP
                         res := %2$s(%3$s)::text;
                         INSERT INTO got VALUES (%4$L, %1$s, c.i, res);
                       END LOOP; END $do$ $d$, r.f, r.qname, casts, m);
    WHEN 'LATERAL per outer row' THEN
      EXECUTE format('INSERT INTO got SELECT %L, %s, o.i, l.r FROM (SELECT * FROM a_%s ORDER BY i OFFSET 0) o
                      CROSS JOIN LATERAL (SELECT %s(%s)::text AS r OFFSET 0) l', m, r.f, r.f, r.qname, oargs);
    WHEN 'SQL function inlined' THEN
      EXECUTE format('INSERT INTO got SELECT %L, %s, i, pg_temp.wsql_%s(%s) FROM (SELECT * FROM a_%s ORDER BY i OFFSET 0) s',
                     m, r.f, r.f, args, r.f);
    WHEN 'SQL function not inlined' THEN
      EXECUTE format('INSERT INTO got SELECT %L, %s, i, pg_temp.wsqln_%s(%s) FROM (SELECT * FROM a_%s ORDER BY i OFFSET 0) s',
                     m, r.f, r.f, args, r.f);
    WHEN 'generic', 'custom' THEN
      PERFORM set_config('plan_cache_mode', 'force_' || m || '_plan', true);
      EXECUTE format('PREPARE pd_%s(%s) AS SELECT %s(%s)::text', r.f, types, r.qname, params);
      EXECUTE format('PREPARE pw_%s(%s) AS SELECT pg_temp.wpl_%s(%s)', r.f, types, r.f, params);
      EXECUTE format('PREPARE pt_%s(int) AS SELECT pg_temp.wpl_%s(%s) FROM a_%s WHERE i = $1', r.f, r.f, args, r.f);
      FOR c IN SELECT cases.*, (SELECT string_agg(format('%L::%s', l, r.argtypes[j]), ', ' ORDER BY j)
                                FROM unnest(cases.lits) WITH ORDINALITY u(l, j)) AS litargs
               FROM cases WHERE f = r.f ORDER BY i LOOP
        EXECUTE format('EXECUTE pd_%s(%s)', r.f, c.litargs) INTO res;
        INSERT INTO got VALUES (m || ' plan: the function', r.f, c.i, res);
        EXECUTE format('EXECUTE pw_%s(%s)', r.f, c.litargs) INTO res;
        INSERT INTO got VALUES (m || ' plan: PL/pgSQL wrapper', r.f, c.i, res);
        EXECUTE format('EXECUTE pt_%s(%s)', r.f, c.i) INTO res;
        INSERT INTO got VALUES (m || ' plan: table values', r.f, c.i, res);
      END LOOP;
      INSERT INTO plan_counts SELECT m, name, generic_plans, custom_plans, (SELECT count(*) FROM cases WHERE f = r.f)
        FROM pg_prepared_statements WHERE name IN (format('pd_%s', r.f), format('pw_%s', r.f), format('pt_%s', r.f));
      EXECUTE format('DEALLOCATE pd_%s', r.f);
      EXECUTE format('DEALLOCATE pw_%s', r.f);
      EXECUTE format('DEALLOCATE pt_%s', r.f);
      PERFORM set_config('plan_cache_mode', 'auto', true);
    END CASE;
  END LOOP;
END
$run$;

-- the differences from the fresh calls (the first 10), none expected
CREATE FUNCTION pg_temp.mismatches(m text) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce((array_agg(format('%s case %s (%s): got %s, fresh call gives %s',
                                    fu.sig, e.i, left(array_to_string(c.lits, ' ; '), 60),
                                    coalesce(g.r, 'no row'), e.r) ORDER BY e.f, e.i))[1:10], '{}')
  FROM expected e JOIN fut fu USING (f) JOIN cases c USING (f, i)
  LEFT JOIN got g ON g.mode = m AND g.f = e.f AND g.i = e.i
  WHERE g.r IS DISTINCT FROM e.r $$;

SELECT pg_temp.run(m) FROM unnest(ARRAY['plpgsql per row', 'plpgsql per statement', 'DO loop over table values',
  'DO loop over cast literals', 'LATERAL per outer row', 'SQL function inlined', 'SQL function not inlined',
  'generic', 'custom']) m \g /dev/null

SELECT is(pg_temp.mismatches(m), '{}'::text[], 'catalog functions, ' || m || ': every call gives the fresh call''s result')
FROM unnest(ARRAY['plpgsql per row', 'plpgsql per statement', 'DO loop over table values',
  'DO loop over cast literals', 'LATERAL per outer row', 'SQL function inlined', 'SQL function not inlined',
  'generic plan: the function', 'generic plan: PL/pgSQL wrapper', 'generic plan: table values',
  'custom plan: the function', 'custom plan: PL/pgSQL wrapper', 'custom plan: table values']) m;
SELECT is((SELECT count(*) FROM plan_counts
           WHERE (mode = 'generic' AND (generic, custom) <> (runs, 0))
              OR (mode = 'custom' AND (generic, custom) <> (0, runs))),
          0::bigint, 'the prepared statements ran on generic plans, then on custom plans, as asked');

-- ===========================================================================
-- Part 3: a tier table and a curve read from a table, TOASTed out of line
-- (EXTERNAL) or compressed (MAIN), changed by UPDATE between calls in one
-- transaction and in a procedure loop.  Expected values by hand.
-- ===========================================================================
-- marginal commission computed here in numeric, slice by slice
CREATE FUNCTION pg_temp.marginal_by_hand(amount numeric, thr numeric[], rate numeric[]) RETURNS numeric
LANGUAGE sql AS $$
  SELECT sum(greatest(least(amount, coalesce(thr[i + 1], amount)) - thr[i], 0) * rate[i])
  FROM generate_subscripts(thr, 1) i $$;
-- big_tiers(last_rate, n) by hand on 39999.99
CREATE FUNCTION pg_temp.big_by_hand(last_rate numeric, n int DEFAULT 400) RETURNS numeric LANGUAGE sql AS $$
  SELECT pg_temp.marginal_by_hand(39999.99,
           array_agg(i * 100::numeric ORDER BY i),
           array_agg(CASE WHEN i = n - 1 THEN last_rate ELSE (i % 7 + 1) / 1000.0 END ORDER BY i))
  FROM generate_series(0, n - 1) i $$;

CREATE TEMP TABLE plan_ext (id int PRIMARY KEY, tiers tier_table, curve score_curve);
ALTER TABLE plan_ext ALTER tiers SET STORAGE EXTERNAL, ALTER curve SET STORAGE EXTERNAL;
CREATE TEMP TABLE plan_cmp (id int PRIMARY KEY, tiers tier_table, curve score_curve);
ALTER TABLE plan_cmp ALTER tiers SET STORAGE MAIN, ALTER curve SET STORAGE MAIN;
INSERT INTO plan_ext VALUES (1, pg_temp.big_tiers('0.009')::tier_table, pg_temp.big_curve(1000)::score_curve);
INSERT INTO plan_cmp VALUES (1, pg_temp.big_tiers('0.013', 150)::tier_table, pg_temp.big_curve(1200, 150)::score_curve);

SELECT ok(pg_temp.toast_chunks('plan_ext') > 0
          AND (SELECT pg_column_compression(tiers) IS NULL AND pg_column_compression(curve) IS NULL FROM plan_ext)
          AND (SELECT pg_column_compression(tiers) IS NOT NULL AND pg_column_compression(curve) IS NOT NULL FROM plan_cmp),
          'plan_ext holds its values out of line uncompressed, plan_cmp compressed');

SELECT is(pg_temp.c(39999.99, (SELECT tiers FROM plan_ext WHERE id = 1)), pg_temp.big_by_hand(0.009),
          'TOASTed tier table through PL/pgSQL: by hand');
SELECT is(pg_temp.k(20, (SELECT curve FROM plan_ext WHERE id = 1)), 1000::float8,
          'TOASTed curve through PL/pgSQL: its last point');
UPDATE plan_ext SET tiers = pg_temp.big_tiers('0.011')::tier_table, curve = pg_temp.big_curve(1001)::score_curve;
SELECT is(pg_temp.c(39999.99, (SELECT tiers FROM plan_ext WHERE id = 1)), pg_temp.big_by_hand(0.011),
          'after UPDATE of the last tier only, same transaction: the new table''s commission');
SELECT is(pg_temp.k(20, (SELECT curve FROM plan_ext WHERE id = 1)), 1001::float8,
          'after UPDATE of the last point only, same transaction: the new curve''s score');
SELECT ok((SELECT tiered_commission(39999.99, tiers) = pg_temp.big_by_hand(0.011) AND kpi_score(20, curve) = 1001 FROM plan_ext),
          'and the direct call agrees');
SELECT is((SELECT pg_temp.c(39999.99, tiers) FROM plan_cmp), pg_temp.big_by_hand(0.013, 150),
          'compressed tier table through PL/pgSQL: by hand');
UPDATE plan_cmp SET tiers = pg_temp.big_tiers('0.014', 150)::tier_table, curve = pg_temp.big_curve(1201, 150)::score_curve;
SELECT ok((SELECT pg_temp.c(39999.99, tiers) = pg_temp.big_by_hand(0.014, 150) AND pg_temp.k(20, curve) = 1201 FROM plan_cmp),
          'compressed values after UPDATE: the new ones');

-- a procedure loop: UPDATE, read, compute (simple expressions), six times,
-- alternating out of line, compressed and small values
CREATE TEMP TABLE proc_got (k int, commission numeric, score float8);
CREATE PROCEDURE pg_temp.update_loop() LANGUAGE plpgsql AS $$
DECLARE
  t sales_supervisor.tier_table; cv sales_supervisor.score_curve;
  res numeric; sc float8; k int;
BEGIN
  FOR k IN 1 .. 6 LOOP
    UPDATE plan_ext SET tiers = CASE k % 3 WHEN 1 THEN pg_temp.big_tiers('0.00' || k) WHEN 2 THEN 'flat[(0,0.0' || k || ')]'
                                           ELSE pg_temp.big_tiers('0.02' || k) END::sales_supervisor.tier_table,
                        curve = CASE k % 3 WHEN 2 THEN 'linear[(0,0),(1,' || k || ')]' ELSE pg_temp.big_curve(2000 + k) END::sales_supervisor.score_curve;
    UPDATE plan_cmp SET tiers = pg_temp.big_tiers('0.03' || k, 150)::sales_supervisor.tier_table;
    SELECT tiers, curve INTO t, cv FROM plan_ext WHERE id = 1;
    res := sales_supervisor.tiered_commission(39999.99, t);
    sc := sales_supervisor.kpi_score(20, cv);
    INSERT INTO proc_got VALUES (k, res, sc);
    SELECT tiers INTO t FROM plan_cmp WHERE id = 1;
    res := sales_supervisor.tiered_commission(39999.99, t);
    INSERT INTO proc_got VALUES (10 + k, res, NULL);
  END LOOP;
END $$;
CALL pg_temp.update_loop();
SELECT is((SELECT array_agg(coalesce(g.k, e.k) ORDER BY coalesce(g.k, e.k)) FROM proc_got g FULL JOIN (
             SELECT k, CASE k % 3 WHEN 1 THEN pg_temp.big_by_hand(('0.00' || k)::numeric)
                                  WHEN 2 THEN round(39999.99 * ('0.0' || k)::numeric, 4)
                                  ELSE pg_temp.big_by_hand(('0.02' || k)::numeric) END AS commission,
                    CASE k % 3 WHEN 2 THEN k ELSE 2000 + k END::float8 AS score
             FROM generate_series(1, 6) k
             UNION ALL
             SELECT 10 + k, pg_temp.big_by_hand(('0.03' || k)::numeric, 150), NULL
             FROM generate_series(1, 6) k) e USING (k)
           WHERE g.commission IS DISTINCT FROM e.commission OR g.score IS DISTINCT FROM e.score), NULL,
          'procedure loop with UPDATE between calls: every call follows the row as updated (by hand)');

-- ===========================================================================
-- Part 4: window functions and aggregates, their non-aggregated arguments
-- varying across calls.  Expected values by hand.
-- ===========================================================================
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text COLLATE "C")
           FROM pg_proc p WHERE p.pronamespace = 'sales_supervisor'::regnamespace AND p.prokind IN ('a', 'w')),
          ARRAY['allocate_quota(numeric,numeric)', 'allocate_quota(numeric,numeric,numeric)',
                'allocate_quota(numeric,numeric,numeric,numeric,numeric)', 'cents_sum(numeric)', 'csat(integer)',
                'customer_sales_scan(integer,date,boolean,numeric,date,date,date)', 'entry_kind_sums(text,numeric)',
                'forecast_bias(double precision,double precision)', 'grade_by_distribution(text[],numeric[])',
                'mape(double precision,double precision)', 'nps(integer)',
                'pace_credit_rows(bigint,integer,numeric)',
                'pace_line_scan(bigint,integer,date,numeric,date,integer[],date[],integer[],bytea)', 'purchase_rhythm(date)',
                'trimmed_mean(double precision,integer)', 'wape(double precision,double precision)',
                'weighted_score(double precision,double precision)'],
          'the window functions and aggregates are the ones this test covers (cover a new one here)');

CREATE TEMP TABLE wt (id int PRIMARY KEY, w numeric, score int);
INSERT INTO wt VALUES (1, 1, 90), (2, 2, 80), (3, 3, 70), (4, 4, 60), (5, 1, 50),
                      (6, 1, 40), (7, 2, 30), (8, 4, 20), (9, 2, 10), (10, 0, 5);
-- allocate_quota(total, w, unit) over ids 1..4 (weights 1, 2, 3, 4), by hand:
--   100/1: 10 20 30 40;  7/1: 0.7 1.4 2.1 2.8 -> 0 1 2 2 + the 2 largest
--   remainders (.8, .7) -> 1 1 2 3;  50/10: 5 units, .5 1 1.5 2 -> 0 1 1 2 + 1
--   unit to the tie .5/.5 of the larger weight -> 0 10 20 20;  3/1: .3 .6 .9 1.2
--   -> 0 0 0 1 + .9, .6 -> 0 1 1 1;  lower/upper on row 4 (2..2), total 10:
--   rows 1-3 share 8 by 1:2:3 -> 1.33 2.67 4 -> 1 2 4 + 1 to .67 -> 1 3 4 2
CREATE TEMP TABLE aq_args (n int, total numeric, unit numeric, expect numeric[]);
INSERT INTO aq_args VALUES (1, 100, 1, '{10,20,30,40}'), (2, 7, 1, '{1,1,2,3}'), (3, 50, 10, '{0,10,20,20}'),
                           (4, 100, 1, '{10,20,30,40}'), (5, 3, 1, '{0,1,1,1}'), (6, 7, 1, '{1,1,2,3}');
CREATE FUNCTION pg_temp.aq_pl(total numeric, unit numeric) RETURNS numeric[] LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT array_agg(s ORDER BY id) FROM (
            SELECT id, sales_supervisor.allocate_quota(total, w, unit) OVER (ORDER BY id) AS s
            FROM wt WHERE id <= 4) q);
END $$;
CREATE FUNCTION pg_temp.aq_sql(total numeric, unit numeric) RETURNS numeric[] LANGUAGE sql AS $$
  SELECT array_agg(s ORDER BY id) FROM (
    SELECT id, sales_supervisor.allocate_quota(total, w, unit) OVER (ORDER BY id) AS s
    FROM wt WHERE id <= 4) q $$;

SELECT is((SELECT array_agg(n ORDER BY n) FROM aq_args WHERE pg_temp.aq_pl(total, unit) <> expect), NULL,
          'allocate_quota OVER in a PL/pgSQL function called per row with another total and unit');
SELECT set_config('plan_cache_mode', 'force_generic_plan', true) \g /dev/null
SELECT is((SELECT array_agg(n ORDER BY n) FROM aq_args WHERE pg_temp.aq_pl(total, unit) <> expect), NULL,
          'allocate_quota OVER in a PL/pgSQL function on a generic plan, per row');
SELECT set_config('plan_cache_mode', 'auto', true) \g /dev/null
SELECT is((SELECT array_agg(n ORDER BY n) FROM aq_args WHERE pg_temp.aq_sql(total, unit) <> expect), NULL,
          'allocate_quota OVER in an SQL function called per row');
SELECT is((SELECT array_agg(a.n ORDER BY a.n) FROM aq_args a
           CROSS JOIN LATERAL (SELECT array_agg(s ORDER BY id) AS got FROM (
             SELECT id, allocate_quota(a.total, w, a.unit) OVER (ORDER BY id) AS s FROM wt WHERE id <= 4) q) l
           WHERE l.got IS DISTINCT FROM a.expect), NULL,
          'allocate_quota OVER in a LATERAL subquery re-evaluated per outer row');
SELECT is((SELECT array_agg(a.n ORDER BY a.n) FROM aq_args a
           CROSS JOIN LATERAL (SELECT array_agg(s ORDER BY id) AS got FROM (
             SELECT id, allocate_quota(a.total / a.unit, w) OVER (ORDER BY id) * a.unit AS s FROM wt WHERE id <= 4) q) l
           WHERE l.got IS DISTINCT FROM a.expect), NULL,
          'allocate_quota(total, weight) OVER in a LATERAL subquery per outer row');
-- one statement, one partition per argument set: the partition memory of
-- the previous partition is not reused
SELECT is((SELECT array_agg(a.n ORDER BY a.n) FROM aq_args a JOIN (
             SELECT q.n, array_agg(q.s ORDER BY q.id) AS got FROM (
               SELECT x.n, wt.id, allocate_quota(x.total, wt.w, x.unit) OVER (PARTITION BY x.n ORDER BY wt.id) AS s
               FROM aq_args x CROSS JOIN wt WHERE wt.id <= 4) q GROUP BY q.n) r USING (n)
           WHERE r.got IS DISTINCT FROM a.expect), NULL,
          'allocate_quota OVER (PARTITION BY ...): each partition its own total and unit');
SELECT is((SELECT array_agg(s ORDER BY id) FROM (
             SELECT id, allocate_quota(10, w, 1, CASE id WHEN 4 THEN 2 END, CASE id WHEN 4 THEN 2 END) OVER (ORDER BY id) AS s
             FROM wt WHERE id <= 4) q), '{1,3,4,2}'::numeric[],
          'allocate_quota with bounds OVER: by hand');

-- grade_by_distribution over the 10 rows by score descending (ids 1..10):
-- shares 20/50/30 -> 2 5 3 rows; 1/1 -> 5 5; 10/10/80 -> 1 1 8
CREATE TEMP TABLE gbd_args (n int, grades text[], shares numeric[], expect text[]);
INSERT INTO gbd_args VALUES
  (1, '{A,B,C}', '{20,50,30}', '{A,A,B,B,B,B,B,C,C,C}'),
  (2, '{X,Y}', '{1,1}', '{X,X,X,X,X,Y,Y,Y,Y,Y}'),
  (3, '{A,B,C}', '{10,10,80}', '{A,B,C,C,C,C,C,C,C,C}'),
  (4, '{A,B,C}', '{20,50,30}', '{A,A,B,B,B,B,B,C,C,C}'),
  (5, '{top,rest}', '{30,70}', '{top,top,top,rest,rest,rest,rest,rest,rest,rest}');
CREATE FUNCTION pg_temp.gbd_pl(g text[], s numeric[]) RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT array_agg(gr ORDER BY id) FROM (
            SELECT id, sales_supervisor.grade_by_distribution(g, s) OVER (ORDER BY score DESC) AS gr FROM wt) q);
END $$;
CREATE FUNCTION pg_temp.gbd_sql(g text[], s numeric[]) RETURNS text[] LANGUAGE sql AS $$
  SELECT array_agg(gr ORDER BY id) FROM (
    SELECT id, sales_supervisor.grade_by_distribution(g, s) OVER (ORDER BY score DESC) AS gr FROM wt) q $$;
SELECT is((SELECT array_agg(n ORDER BY n) FROM gbd_args WHERE pg_temp.gbd_pl(grades, shares) IS DISTINCT FROM expect), NULL,
          'grade_by_distribution OVER in a PL/pgSQL function per row with other grades and shares');
SELECT is((SELECT array_agg(n ORDER BY n) FROM gbd_args WHERE pg_temp.gbd_sql(grades, shares) IS DISTINCT FROM expect), NULL,
          'grade_by_distribution OVER in an SQL function per row');
SELECT is((SELECT array_agg(a.n ORDER BY a.n) FROM gbd_args a
           CROSS JOIN LATERAL (SELECT array_agg(gr ORDER BY id) AS got FROM (
             SELECT id, grade_by_distribution(a.grades, a.shares) OVER (ORDER BY score DESC) AS gr FROM wt) q) l
           WHERE l.got IS DISTINCT FROM a.expect), NULL,
          'grade_by_distribution OVER in a LATERAL subquery per outer row');

-- trimmed_mean of 1 2 4 8 16 32 64 by drop_each_end: 0 -> 127/7, 1 -> 62/5,
-- 2 -> 28/3, 3 -> 8, 5 (reduced to 3) -> 8
CREATE TEMP TABLE tm_scores (x float8);
INSERT INTO tm_scores VALUES (16), (1), (64), (4), (32), (2), (8);
CREATE TEMP TABLE tm_args (n int, k int, expect float8);
INSERT INTO tm_args VALUES (1, 0, 127 / 7.0::float8), (2, 1, 62 / 5.0::float8), (3, 2, 28 / 3.0::float8),
                           (4, 3, 8), (5, 5, 8), (6, 1, 62 / 5.0::float8), (7, 0, 127 / 7.0::float8);
CREATE FUNCTION pg_temp.tm_pl(k int) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN RETURN (SELECT sales_supervisor.trimmed_mean(x, k) FROM tm_scores); END $$;
CREATE FUNCTION pg_temp.tm_sql(k int) RETURNS float8 LANGUAGE sql AS $$
  SELECT sales_supervisor.trimmed_mean(x, k) FROM tm_scores $$;
SELECT is((SELECT array_agg(n ORDER BY n) FROM tm_args WHERE pg_temp.tm_pl(k) IS DISTINCT FROM expect), NULL,
          'trimmed_mean in a PL/pgSQL function per row with another drop_each_end');
SELECT is((SELECT array_agg(n ORDER BY n) FROM tm_args WHERE pg_temp.tm_sql(k) IS DISTINCT FROM expect), NULL,
          'trimmed_mean in an SQL function per row');
SELECT is((SELECT array_agg(a.n ORDER BY a.n) FROM tm_args a
           CROSS JOIN LATERAL (SELECT trimmed_mean(x, a.k) AS got FROM tm_scores) l
           WHERE l.got IS DISTINCT FROM a.expect), NULL,
          'trimmed_mean in a LATERAL subquery per outer row');
SELECT is((SELECT array_agg(n ORDER BY n) FROM (
             SELECT a.n, a.expect, trimmed_mean(s.x, a.k) AS got FROM tm_args a CROSS JOIN tm_scores s
             GROUP BY a.n, a.expect) q WHERE got IS DISTINCT FROM expect), NULL,
          'trimmed_mean GROUP BY: each group its own drop_each_end');
SELECT is((SELECT array_agg(DISTINCT n ORDER BY n) FROM (
             SELECT a.n, a.expect, trimmed_mean(s.x, a.k) OVER (PARTITION BY a.n) AS got FROM tm_args a CROSS JOIN tm_scores s) q
           WHERE got IS DISTINCT FROM expect), NULL,
          'trimmed_mean OVER (PARTITION BY ...): each partition its own drop_each_end');

-- the other aggregates take no argument but the aggregated ones: per group,
-- from PL/pgSQL and from LATERAL.  Dyadic values, so every sum is
-- exact whatever the row order.  By hand:
--   g 1: nps of 10 9 0 5 = (2 - 2) / 4 -> 0;  csat of 5 4 1 3 -> 50
--        actual 1 2 4 8, forecast 2 2 3 8: wape (1 + 0 + 1 + 0) / 15,
--        bias (1 + 0 - 1 + 0) / 15 = 0, mape (1 + 0 + .25 + 0) / 4 = .3125,
--        weighted_score (score actual, weight forecast) = (2 + 4 + 12 + 64) / 15
--   g 2: nps of 10 10 7 -> 66.66..;  csat of 5 5 2 -> 66.66..
--        actual 2 4 4, forecast 4 4 2: wape 4 / 10 = .4, bias 0, mape (1 + 0 + .5) / 3 = .5,
--        weighted_score (8 + 16 + 8) / 10 = 3.2
CREATE TEMP TABLE md (g int, s int, r int, a float8, fc float8);
INSERT INTO md VALUES (1, 10, 5, 1, 2), (1, 9, 4, 2, 2), (1, 0, 1, 4, 3), (1, 5, 3, 8, 8),
                      (2, 10, 5, 2, 4), (2, 10, 5, 4, 4), (2, 7, 2, 4, 2);
CREATE FUNCTION pg_temp.md_pl(grp int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT row(round(nps(s), 10), round(csat(r), 10), wape(a, fc), forecast_bias(a, fc), mape(a, fc),
                     weighted_score(a, fc))::text FROM md WHERE g = grp);
END $$;
-- numeric nps and csat compared to 10 decimals
CREATE TEMP TABLE md_expect (g int, res text);
INSERT INTO md_expect VALUES
  (1, row(round(0::numeric, 10), round(50::numeric, 10), 2 / 15.0::float8, 0::float8, 0.3125::float8, 82 / 15.0::float8)::text),
  (2, row(round(200 / 3.0, 10), round(200 / 3.0, 10), 0.4::float8, 0::float8, 0.5::float8, 3.2::float8)::text);
SELECT is((SELECT array_agg(e.g ORDER BY e.g) FROM md_expect e, generate_series(1, 2) rep
           WHERE pg_temp.md_pl(e.g) IS DISTINCT FROM e.res), NULL,
          'nps, csat, wape, forecast_bias, mape, weighted_score from PL/pgSQL per group, twice over');
SELECT is((SELECT array_agg(e.g ORDER BY e.g) FROM md_expect e
           CROSS JOIN LATERAL (SELECT row(round(nps(s), 10), round(csat(r), 10), wape(a, fc), forecast_bias(a, fc),
                                          mape(a, fc), weighted_score(a, fc))::text AS got FROM md WHERE md.g = e.g) l
           WHERE l.got IS DISTINCT FROM e.res), NULL,
          'the same aggregates in a LATERAL subquery per outer row');

-- purchase_rhythm per group (its state holds the group's days), by hand:
--   g 1: Jan 1, Jan 11, Jan 31 twice -> 3 days, gaps 10 and 20: lower median 10
--   g 2: Mar 1, Mar 4, Mar 5, Mar 15 -> 4 days, gaps 3, 1, 10: median 3
CREATE TEMP TABLE pr (g int, d date);
INSERT INTO pr VALUES (1, '2025-01-01'), (1, '2025-01-31'), (1, '2025-01-11'), (1, '2025-01-31'),
                      (2, '2025-03-15'), (2, '2025-03-01'), (2, '2025-03-05'), (2, '2025-03-04');
CREATE TEMP TABLE pr_expect (g int, res text);
INSERT INTO pr_expect VALUES (1, '(3,2025-01-01,2025-01-31,2,10)'), (2, '(4,2025-03-01,2025-03-15,3,3)');
CREATE FUNCTION pg_temp.pr_pl(grp int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RETURN (SELECT purchase_rhythm(d)::text FROM pr WHERE g = grp); END $$;
SELECT is((SELECT array_agg(e.g ORDER BY e.g) FROM pr_expect e, generate_series(1, 2) rep
           WHERE pg_temp.pr_pl(e.g) IS DISTINCT FROM e.res), NULL,
          'purchase_rhythm from PL/pgSQL per group, twice over');
SELECT is((SELECT array_agg(e.g ORDER BY e.g) FROM pr_expect e
           CROSS JOIN LATERAL (SELECT purchase_rhythm(d)::text AS got FROM pr WHERE pr.g = e.g) l
           WHERE l.got IS DISTINCT FROM e.res), NULL,
          'purchase_rhythm in a LATERAL subquery per outer row');

-- customer_sales_scan per group (its state holds the group's customers and
-- their days), windows as of 2025-12-31 (recent after 2025-10-02, a year
-- ago (2024-10-02, 2024-12-31]), by hand:
--   g 1: customer 1 on Oct 5 and 15 (10.00 each): 2 days, gap 10, recent
--        20.00; customer 2 on Nov 1 (5.00): 1 day, recent 5.00
--   g 2: customer 1 on 2024-12-01 (3.00) and 2025-12-01 (4.00): gap 365, the
--        last purchase a year ago 2024-12-01, recent 4.00, a year ago 3.00
CREATE TEMP TABLE cs (g int, c int, d date, a numeric);
INSERT INTO cs VALUES (1, 1, '2025-10-05', 10.00), (1, 2, '2025-11-01', 5.00), (1, 1, '2025-10-15', 10.00),
                      (2, 1, '2024-12-01', 3.00), (2, 1, '2025-12-01', 4.00);
CREATE TEMP TABLE cs_expect (g int, res text);
INSERT INTO cs_expect VALUES (1, '(1,2,2025-10-05,2025-10-15,1,10,,20.00,0);(2,1,2025-11-01,2025-11-01,0,,,5.00,0)'),
                             (2, '(1,2,2024-12-01,2025-12-01,1,365,2024-12-01,4.00,3.00)');
CREATE FUNCTION pg_temp.cs_pl(grp int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_from date := '2025-10-02';
BEGIN
  RETURN (SELECT string_agg(x::text, ';' ORDER BY x.customer_id)
          FROM unnest((SELECT customer_sales_scan(c, d, a > 0, a, v_from, '2024-10-02', '2024-12-31') FROM cs WHERE g = grp)) x);
END $$;
SELECT is((SELECT array_agg(e.g ORDER BY e.g) FROM cs_expect e, generate_series(1, 2) rep
           WHERE pg_temp.cs_pl(e.g) IS DISTINCT FROM e.res), NULL,
          'customer_sales_scan from PL/pgSQL per group, twice over');
SELECT is((SELECT array_agg(e.g ORDER BY e.g) FROM cs_expect e
           CROSS JOIN LATERAL (SELECT string_agg(x::text, ';' ORDER BY x.customer_id) AS got
                               FROM unnest((SELECT customer_sales_scan(c, d, a > 0, a, '2025-10-02', '2024-10-02', '2024-12-31')
                                            FROM cs WHERE cs.g = e.g)) x) l
           WHERE l.got IS DISTINCT FROM e.res), NULL,
          'customer_sales_scan in a LATERAL subquery per outer row');

-- pace_line_scan per group (its state holds the days' points and the credit
-- rows read from its arrays), points {1, 1} from 2025-06-01, as of 06-01,
-- sale 2 credited 50 / 50 % to reps 5 and 8, by hand:
--   g 1: sale 1 rep 5 on 06-01 10.00 (to date), sale 2 rep 5 on 06-02 2.50
--        (after the date, split: 1.25 to rep 5, 1.25 to rep 8)
--   g 2: sale 3 rep 6 on 06-02 1.00 (after the date)
CREATE TEMP TABLE pl (g int, sale bigint, rep int, d date, a numeric);
INSERT INTO pl VALUES (1, 1, 5, '2025-06-01', 10.00), (1, 2, 5, '2025-06-02', 2.50), (2, 3, 6, '2025-06-02', 1.00);
CREATE TEMP TABLE pl_expect (g int, res text);
INSERT INTO pl_expect VALUES (1, '(5,1,f,,1.25);(5,1,t,,10.00);(8,1,f,,1.25)'), (2, '(6,1,f,,1.00)');
CREATE FUNCTION pg_temp.pl_pl(grp int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_credits bytea := (SELECT pace_credit_rows(c.s, c.m, 50) FROM (VALUES (2, 8), (2, 5)) c(s, m));
        v_points integer[] := '{1,1}';
BEGIN
  RETURN (SELECT string_agg(x::text, ';' ORDER BY x::text)
          FROM unnest((SELECT pace_line_scan(sale, rep, d, a, '2025-06-01', v_points, '{2025-06-01}', '{}', v_credits)
                       FROM pl WHERE g = grp)) x);
END $$;
SELECT is((SELECT array_agg(e.g ORDER BY e.g) FROM pl_expect e, generate_series(1, 2) rep
           WHERE pg_temp.pl_pl(e.g) IS DISTINCT FROM e.res), NULL,
          'pace_line_scan from PL/pgSQL per group (arrays as parameters), twice over');
SELECT is((SELECT array_agg(e.g ORDER BY e.g) FROM pl_expect e
           CROSS JOIN LATERAL (SELECT string_agg(x::text, ';' ORDER BY x::text) AS got
                               FROM unnest((SELECT pace_line_scan(sale, rep, d, a, '2025-06-01', '{1,1}', '{2025-06-01}', '{}',
                                                                  (SELECT pace_credit_rows(2, c.m, 50) FROM (VALUES (5), (8)) c(m)))
                                            FROM pl WHERE pl.g = e.g)) x) l
           WHERE l.got IS DISTINCT FROM e.res), NULL,
          'pace_line_scan in a LATERAL subquery per outer row');
-- pace_credit_rows per group: its rows, by hand (16 bytes each, the first
-- eight the sale in the server's byte order, so byte 0 + byte 7 is a small
-- sale id either way: group 1's sale 4 before sale 9, given in the other order)
SELECT is((SELECT array_agg(length(x.b) || ':' || (get_byte(x.b, 0) + get_byte(x.b, 7)) ORDER BY x.g)
           FROM (SELECT c.g, pace_credit_rows(c.s, c.m, c.p) AS b
                 FROM (VALUES (1, 9, 5, 100), (1, 4, 6, 100), (2, 7, 5, 50), (2, 7, 6, 50)) c(g, s, m, p) GROUP BY 1) x),
          ARRAY['32:4', '32:7'], 'pace_credit_rows per group');

-- the window functions and trimmed_mean from server-side prepared statements,
-- generic then custom plans: cases 1, 2, 3 and 5 of each (the EXECUTEs as
-- in part 1)
CREATE TEMP TABLE wprep (mode text, what text, n int, ok boolean);
PREPARE w_aq(text, int, numeric, numeric) AS
  INSERT INTO wprep SELECT $1, 'allocate_quota', $2, array_agg(s ORDER BY id) = (SELECT expect FROM aq_args WHERE n = $2)
  FROM (SELECT id, allocate_quota($3, w, $4) OVER (ORDER BY id) AS s FROM wt WHERE id <= 4) q;
PREPARE w_gbd(text, int, text[], numeric[]) AS
  INSERT INTO wprep SELECT $1, 'grade_by_distribution', $2, array_agg(gr ORDER BY id) = (SELECT expect FROM gbd_args WHERE n = $2)
  FROM (SELECT id, grade_by_distribution($3, $4) OVER (ORDER BY score DESC) AS gr FROM wt) q;
PREPARE w_tm(text, int, int) AS
  INSERT INTO wprep SELECT $1, 'trimmed_mean', $2, trimmed_mean(x, $3) = (SELECT expect FROM tm_args WHERE n = $2) FROM tm_scores;
CREATE TEMP TABLE w_calls (ord serial, call text);
INSERT INTO w_calls (call) VALUES
  ('EXECUTE w_aq(%L, 1, 100, 1)'), ('EXECUTE w_aq(%L, 2, 7, 1)'), ('EXECUTE w_aq(%L, 3, 50, 10)'),
  ('EXECUTE w_aq(%L, 5, 3, 1)'),
  ($$EXECUTE w_gbd(%L, 1, '{A,B,C}', '{20,50,30}')$$), ($$EXECUTE w_gbd(%L, 2, '{X,Y}', '{1,1}')$$),
  ($$EXECUTE w_gbd(%L, 3, '{A,B,C}', '{10,10,80}')$$), ($$EXECUTE w_gbd(%L, 5, '{top,rest}', '{30,70}')$$),
  ('EXECUTE w_tm(%L, 1, 0)'), ('EXECUTE w_tm(%L, 2, 1)'), ('EXECUTE w_tm(%L, 3, 2)'), ('EXECUTE w_tm(%L, 5, 5)');
SET LOCAL plan_cache_mode = force_generic_plan;
SELECT format(call, 'generic') FROM w_calls ORDER BY ord \gexec
SET LOCAL plan_cache_mode = force_custom_plan;
SELECT format(call, 'custom') FROM w_calls ORDER BY ord \gexec
SET LOCAL plan_cache_mode = auto;
SELECT is((SELECT string_agg(name || ' ' || generic_plans || '/' || custom_plans, ', ' ORDER BY name)
           FROM pg_prepared_statements WHERE name IN ('w_aq', 'w_gbd', 'w_tm')),
          'w_aq 4/4, w_gbd 4/4, w_tm 4/4', 'the window and aggregate statements ran on generic, then custom plans');
SELECT is((SELECT array_agg(what || ' ' || n ORDER BY what, n) FROM wprep WHERE mode = 'generic' AND ok IS NOT TRUE)
          || (SELECT count(*) FROM wprep WHERE mode = 'generic')::text, ARRAY['12'],
          'window functions and trimmed_mean, prepared, generic plan: each EXECUTE by hand');
SELECT is((SELECT array_agg(what || ' ' || n ORDER BY what, n) FROM wprep WHERE mode = 'custom' AND ok IS NOT TRUE)
          || (SELECT count(*) FROM wprep WHERE mode = 'custom')::text, ARRAY['12'],
          'window functions and trimmed_mean, prepared, custom plans: each EXECUTE by hand');
DEALLOCATE w_aq;
DEALLOCATE w_gbd;
DEALLOCATE w_tm;

-- cents_sum as a running window aggregate: its final function is called on
-- the same state after each row (READ_ONLY), the state moving from whole
-- hundredths to numeric at the third row; and per group, twice over, from
-- PL/pgSQL.  Sums by hand.
SELECT is((SELECT array_agg(r::text ORDER BY id)
           FROM (SELECT id, cents_sum(a) OVER (ORDER BY id) AS r
                 FROM (VALUES (1, 1.10), (2, -0.35), (3, 2.255), (4, 0.005)) v(id, a)) w),
          ARRAY['1.10', '0.75', '3.005', '3.010'],
          'cents_sum OVER (ORDER BY id): each running sum by hand, across the switch to numeric');
CREATE FUNCTION pg_temp.cents_per_group() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE out text := ''; s numeric;
BEGIN
  FOR i IN 1..2 LOOP
    FOR g IN 1..3 LOOP
      SELECT cents_sum(a) INTO s FROM (VALUES (1, 0.01), (1, 0.02), (2, 5), (2, 0.125), (3, -1.50)) v(k, a) WHERE k = g;
      out := out || s::text || ' ';
    END LOOP;
  END LOOP;
  RETURN out;
END $f$;
SELECT is(pg_temp.cents_per_group(), '0.03 5.125 -1.50 0.03 5.125 -1.50 ',
          'cents_sum from PL/pgSQL per group, twice over: no state carried between calls');

-- entry_kind_sums as a running window aggregate (its final function called on
-- the same state after each row), the kind changing from row to row; and per
-- group, twice over, from PL/pgSQL.  Sums by hand.
SELECT is((SELECT array_agg(r::text ORDER BY id)
           FROM (SELECT id, (entry_kind_sums(k, a) OVER (ORDER BY id))[1:3] AS r
                 FROM (VALUES (1, 'earned', 1.10), (2, 'released', 0.35), (3, 'earned', 2.255), (4, 'held', -0.50)) v(id, k, a)) w),
          ARRAY['{1.10,0,0}', '{1.10,0,0.35}', '{3.355,0,0.35}', '{3.355,-0.50,0.35}'],
          'entry_kind_sums OVER (ORDER BY id): each running sum per kind by hand, across the switch to numeric');
CREATE FUNCTION pg_temp.kinds_per_group() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE out text := ''; s numeric[];
BEGIN
  FOR i IN 1..2 LOOP
    FOR g IN 1..3 LOOP
      SELECT entry_kind_sums(k, a) INTO s
      FROM (VALUES (1, 'paid', -0.01), (1, 'paid', -0.02), (2, 'spiff', 5), (2, 'earned', 0.125), (3, 'held', -1.50)) v(grp, k, a)
      WHERE v.grp = g;
      out := out || (s[1] + s[2] * 10 + s[5] * 100 + s[10] * 1000)::text || ' ';
    END LOOP;
  END LOOP;
  RETURN out;
END $f$;
SELECT is(pg_temp.kinds_per_group(), '-30.00 500.125 -15.00 -30.00 500.125 -15.00 ',
          'entry_kind_sums from PL/pgSQL per group, twice over: no state carried between calls');

SELECT * FROM finish();
ROLLBACK;

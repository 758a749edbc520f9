-- allocate_quota properties on thousands of random cases against an
-- independent slow implementation written here in PL/pgSQL with numeric,
-- array form == window form, exactness at totals of 10^15 and more, and
-- determinism (twice, and with a parallel plan below the window).
-- Fixed seed, so a failure can be replayed.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(17);

-- ---------------------------------------------------------------------------
-- The reference.  A different algorithm from the C core's breakpoint sweep:
-- water-filling by fixing violators.  With the rows not yet fixed free,
-- lambda = P/Q (P = total - fixed amounts, Q = free weight); D_l = how far the
-- rows below their lower bound fall short, D_u = how far the rows above their
-- upper bound overshoot; if D_l >= D_u the true lambda is <= this one, so the
-- rows below their lower bound stay there; else the rows above their upper
-- bound stay there.  Repeat.  Then floors and largest remainders, all in
-- exact numeric (div/mod on integers and products are exact).
-- ---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.ref_allocate(total numeric, w numeric[], unit numeric,
                                     lo numeric[], up numeric[])
RETURNS numeric[] LANGUAGE plpgsql AS $$
DECLARE
  n int := cardinality(w);
  t numeric := trunc(total / unit);
  l numeric[] := array_fill(0::numeric, ARRAY[n]);
  u numeric[] := array_fill(NULL::numeric, ARRAY[n]);
  st int[] := array_fill(0, ARRAY[n]);      -- 0 free, 1 at lower, 2 at upper, -1 NULL weight
  base numeric[] := array_fill(NULL::numeric, ARRAY[n]);
  rem numeric[] := array_fill(0::numeric, ARRAY[n]);
  p numeric := 0; q numeric := 1;
  sfix numeric; sw numeric; dl numeric; du numeric; x numeric;
  lft numeric;
  i int;
BEGIN
  FOR i IN 1..n LOOP
    IF w[i] IS NULL THEN st[i] := -1; CONTINUE; END IF;
    IF lo IS NOT NULL AND lo[i] IS NOT NULL THEN l[i] := trunc(lo[i] / unit); END IF;
    IF up IS NOT NULL AND up[i] IS NOT NULL THEN u[i] := trunc(up[i] / unit); END IF;
    IF w[i] = 0 THEN st[i] := 1; END IF;
  END LOOP;
  LOOP
    sfix := 0; sw := 0;
    FOR i IN 1..n LOOP
      IF st[i] = 1 THEN sfix := sfix + l[i];
      ELSIF st[i] = 2 THEN sfix := sfix + u[i];
      ELSIF st[i] = 0 THEN sw := sw + w[i];
      END IF;
    END LOOP;
    EXIT WHEN sw = 0;
    p := t - sfix; q := sw;
    dl := 0; du := 0;
    FOR i IN 1..n LOOP
      CONTINUE WHEN st[i] <> 0;
      x := p * w[i];
      IF x < l[i] * q THEN dl := dl + (l[i] * q - x);
      ELSIF u[i] IS NOT NULL AND x > u[i] * q THEN du := du + (x - u[i] * q);
      END IF;
    END LOOP;
    EXIT WHEN dl = 0 AND du = 0;
    FOR i IN 1..n LOOP
      CONTINUE WHEN st[i] <> 0;
      x := p * w[i];
      IF dl >= du AND x < l[i] * q THEN st[i] := 1;
      ELSIF dl < du AND u[i] IS NOT NULL AND x > u[i] * q THEN st[i] := 2;
      END IF;
    END LOOP;
  END LOOP;
  lft := t;
  FOR i IN 1..n LOOP
    IF st[i] = 1 THEN base[i] := l[i];
    ELSIF st[i] = 2 THEN base[i] := u[i];
    ELSIF st[i] = 0 THEN
      base[i] := div(p * w[i], q);
      rem[i] := p * w[i] - base[i] * q;
    END IF;
    IF st[i] >= 0 THEN lft := lft - base[i]; END IF;
  END LOOP;
  -- leftover units one each: largest remainder, then larger weight, then earlier
  FOR i IN SELECT k FROM generate_subscripts(w, 1) k
           WHERE rem[k] > 0 ORDER BY rem[k] DESC, w[k] DESC, k LIMIT lft LOOP
    base[i] := base[i] + 1;
  END LOOP;
  RETURN (SELECT array_agg(b * unit ORDER BY k) FROM unnest(base) WITH ORDINALITY z(b, k));
END $$;

-- ---------------------------------------------------------------------------
-- Random cases: sizes 1-200, weights with many ties or random decimals, a
-- few zero and NULL weights, units 0.01 / 1 / 1000, random bounds, a
-- feasible total between the lower bounds and what the rows can reach.
-- ---------------------------------------------------------------------------
SELECT setseed(0.2026);
CREATE TEMP TABLE cases (id int PRIMARY KEY, total numeric, unit numeric,
                         w numeric[], lo numeric[], up numeric[]);
DO $$
DECLARE
  n int; unit numeric; w numeric[]; lo numeric[]; up numeric[];
  tiemode bool; bmode int; per numeric; sumlo numeric; reach numeric;
  unb bool; tot numeric; k int; anyw bool;
BEGIN
  FOR c IN 1..4000 LOOP
    n := 1 + floor(random() * 200)::int;
    unit := (ARRAY[0.01, 1, 1000])[1 + floor(random() * 3)::int];
    tiemode := random() < 0.5;
    bmode := floor(random() * 4)::int;          -- 0 none, 1 lower, 2 upper, 3 both
    per := 1 + floor(random() * (ARRAY[3, 50, 5000])[1 + floor(random() * 3)::int]);
    w := '{}'; lo := '{}'; up := '{}';
    anyw := false;
    FOR i IN 1..n LOOP
      IF random() < 0.03 AND c % 7 = 0 THEN
        w := w || NULL::numeric;
      ELSIF random() < 0.08 THEN
        w := w || 0::numeric;
      ELSIF tiemode THEN
        w := w || (ARRAY[1, 2, 3, 5, 10])[1 + floor(random() * 5)::int]::numeric;
      ELSE
        k := floor(random() * 4)::int;
        w := w || round((random() * 1000)::numeric, k);
      END IF;
      anyw := anyw OR coalesce(w[i] > 0, false);
      lo := lo || CASE WHEN bmode IN (1, 3) AND random() < 0.4
                       THEN floor(random() * per * 2) * unit END;
      up := up || CASE WHEN bmode IN (2, 3) AND random() < 0.5
                       THEN coalesce(lo[i], 0) + floor(random() * per * 2) * unit END;
    END LOOP;
    IF NOT anyw THEN w[1] := 1; END IF;
    sumlo := 0; reach := 0; unb := false;
    FOR i IN 1..n LOOP
      CONTINUE WHEN w[i] IS NULL;
      sumlo := sumlo + coalesce(lo[i], 0);
      IF w[i] = 0 THEN reach := reach + coalesce(lo[i], 0);
      ELSIF up[i] IS NULL THEN unb := true;
      ELSE reach := reach + up[i];
      END IF;
    END LOOP;
    IF unb THEN reach := sumlo + per * n * 2 * unit; END IF;
    tot := sumlo + floor(random() * ((reach - sumlo) / unit + 1)) * unit;
    INSERT INTO cases VALUES (c, tot, unit, w,
      CASE WHEN bmode IN (1, 3) THEN lo END, CASE WHEN bmode IN (2, 3) THEN up END);
  END LOOP;
END $$;

-- Totals of 10^15 and more with weights of 10^6 (unit 0.01 and 1).
INSERT INTO cases
SELECT 100000 + c,
       CASE WHEN c % 2 = 0 THEN 1e15 + floor(random() * 1e6) / 100
            ELSE 1e17 + floor(random() * 1e9) END,
       CASE WHEN c % 2 = 0 THEN 0.01 ELSE 1 END,
       (SELECT array_agg(1e6 + floor(random() * 1e6)) FROM generate_series(1, 2 + c % 40)),
       NULL, NULL
FROM generate_series(1, 200) c;

CREATE TEMP TABLE results AS
SELECT id, total, unit, w, lo, up,
       allocate_quota(total, w, unit, lo, up) AS got,
       pg_temp.ref_allocate(total, w, unit, lo, up) AS want
FROM cases;

CREATE TEMP TABLE elems AS
SELECT r.id, r.total, r.unit, k, r.w[k] AS w, coalesce(r.lo[k], 0) AS lo, r.up[k] AS up,
       r.got[k] AS got
FROM results r, generate_subscripts(r.w, 1) k;

SELECT is((SELECT count(*) FROM results WHERE got IS DISTINCT FROM want), 0::bigint,
          'equal to the independent PL/pgSQL implementation on 4200 random cases');
SELECT is((SELECT count(*) FROM results
           WHERE (SELECT sum(x) FROM unnest(got) x) <> total), 0::bigint,
          'shares sum exactly to the total');
SELECT is((SELECT count(*) FROM elems WHERE got % unit <> 0), 0::bigint,
          'shares are multiples of the unit');
SELECT is((SELECT count(*) FROM elems WHERE w IS NOT NULL AND (got < lo OR got > up)),
          0::bigint, 'shares lie within their bounds');
SELECT is((SELECT count(*) FROM elems WHERE (w IS NULL) <> (got IS NULL)), 0::bigint,
          'exactly the NULL weights get NULL');
SELECT is((SELECT count(*) FROM elems WHERE w = 0 AND got <> lo), 0::bigint,
          'weight 0 gets its lower bound');
-- monotone: within rows of one case with the same bounds, the smallest share
-- at a weight is >= the largest share at the next smaller weight
SELECT is((
  SELECT count(*) FROM (
    SELECT mn, lag(mx) OVER (PARTITION BY id, lo, up ORDER BY w) AS prev_mx
    FROM (SELECT id, lo, up, w, min(got) AS mn, max(got) AS mx
          FROM elems WHERE w IS NOT NULL
          GROUP BY id, lo, up, w) g) s
  WHERE mn < prev_mx), 0::bigint,
  'a row never gets less than a row with a smaller weight and the same bounds');
SELECT cmp_ok((SELECT count(*) FROM results WHERE lo IS NOT NULL OR up IS NOT NULL),
              '>', 1000::bigint, 'over a thousand of the cases have bounds');
SELECT cmp_ok((SELECT count(*) FROM elems e JOIN results r USING (id)
               WHERE e.w IS NOT NULL AND (e.got = e.lo AND e.lo > 0 OR e.got = e.up)
                 AND r.total > 0),
              '>', 1000::bigint, 'and many shares are held at a bound');

-- array form == window form (same order: ORDER BY the position)
SELECT is((
  SELECT count(*) FROM results r
  JOIN (SELECT id, array_agg(s ORDER BY k) AS win
        FROM (SELECT id, k, allocate_quota(total, w, unit, lo, up)
                              OVER (PARTITION BY id ORDER BY k) AS s
              FROM (SELECT r.id, r.total, r.unit, k, r.w[k] AS w, r.lo[k] AS lo, r.up[k] AS up
                    FROM results r, generate_subscripts(r.w, 1) k) x) y
        GROUP BY id) v USING (id)
  WHERE v.win IS DISTINCT FROM r.got), 0::bigint,
  'the window form equals the array form on every case');

-- exactness at 10^15 and beyond
SELECT is((SELECT count(*) FROM results WHERE id > 100000 AND got = want
             AND (SELECT sum(x) FROM unnest(got) x) = total), 200::bigint,
          'totals of 10^15 and 10^17 with weights of 10^6: exact and equal to the reference');

-- ---------------------------------------------------------------------------
-- Determinism: twice the same, and the same with a parallel plan below the
-- window.  A plain (not temp) table, so parallel workers can scan it.
-- ---------------------------------------------------------------------------
CREATE TABLE public.apportion_par_test AS
SELECT g, i, (1 + floor(random() * 5))::numeric AS w, 1000000::numeric AS total
FROM generate_series(1, 400) g, generate_series(1, 250) i;
ANALYZE public.apportion_par_test;
CREATE FUNCTION pg_temp.alloc_digest() RETURNS text LANGUAGE sql AS $$
  SELECT md5(string_agg(g || ':' || i || '=' || s, ',' ORDER BY g, i))
  FROM (SELECT g, i, allocate_quota(total, w, 1) OVER (PARTITION BY g ORDER BY i) AS s
        FROM public.apportion_par_test) x
$$;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; acc text := '';
BEGIN
  FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP acc := acc || r || E'\n'; END LOOP;
  RETURN acc;
END $$;
CREATE TEMP TABLE digests AS SELECT pg_temp.alloc_digest() AS serial1, pg_temp.alloc_digest() AS serial2;
SELECT is((SELECT serial1 FROM digests), (SELECT serial2 FROM digests),
          'the same query twice gives the same result');

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of(
  'SELECT g, i, sales_supervisor.allocate_quota(total, w, 1) OVER (PARTITION BY g ORDER BY i) FROM public.apportion_par_test'),
  'Gather', 'the plan has a parallel Gather below the window');
SELECT is(pg_temp.alloc_digest(), (SELECT serial1 FROM digests),
          'a parallel plan below the window gives the same result');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- grade_by_distribution counts are allocate_quota(N, shares) on random teams
SELECT is((
  SELECT count(*) FROM (
    SELECT team, n, gr, count(*) AS cnt
    FROM (SELECT g AS team, count(*) OVER (PARTITION BY g) AS n,
                 grade_by_distribution('{A,B,C,D}', '{15,35,35,15}')
                   OVER (PARTITION BY g ORDER BY i) AS gr
          FROM public.apportion_par_test
          WHERE i <= g % 50 + 1) x
    GROUP BY team, n, gr) c
  WHERE cnt <> (allocate_quota(n, '{15,35,35,15}'::numeric[]))[ascii(gr) - 64]), 0::bigint,
  'grade_by_distribution gives each grade allocate_quota(N, shares) rows when there are no peers');

-- peers always share a grade, and grades never go back up in window order
SELECT is((
  SELECT count(*) FROM (
    SELECT team, score, count(DISTINCT gr) AS grades
    FROM (SELECT g AS team, (w * 7 + i % 3) AS score,
                 grade_by_distribution('{A,B,C}', '{20,60,20}')
                   OVER (PARTITION BY g ORDER BY w * 7 + i % 3 DESC) AS gr
          FROM public.apportion_par_test) x
    GROUP BY team, score) s
  WHERE grades > 1), 0::bigint,
  'rows with equal scores always get the same grade');

SELECT throws_ok('SELECT sales_supervisor.allocate_quota(10, ARRAY[1, 1], 1, ARRAY[6, 6])',
                 '22023', NULL, 'infeasible bounds are 22023');

SELECT * FROM finish();
ROLLBACK;

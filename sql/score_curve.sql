-- score_curve: text and binary I/O, canonical output, equality, the
-- constructor, kpi_score at jumps, gates, caps and infinities, every error.
SET search_path = sales_supervisor, public;

-- the documented examples, and their canonical output
SELECT 'linear[(0.5,0),(1,100),(1.5,150)]'::score_curve;
SELECT 'step[(0.8,60),(1,100),(1.2,120)]'::score_curve;
-- mode in any case, blanks anywhere, any spelling of a number: one canonical text
SELECT '  LiNeAr [ ( 0.50 , 0 ) , (1.0, 1e2) ,(+1.5,150.000) ]  '::score_curve;
SELECT 'STEP[(.8,6e1)]'::score_curve;
-- shortest float8 text, whatever extra_float_digits says
SET extra_float_digits = 0;
SELECT 'linear[(0.1,0.30000000000000004),(123456.789,-0),(1e15,1e-05)]'::score_curve;
RESET extra_float_digits;
SELECT 'linear[(1e-310,1.7976931348623157e308)]'::score_curve;
-- exact rounding ties: 23145267909885952 is 2^54 + ..., 4 apart from its
-- neighbours, so the 16-digit 2.314526790988595e+16 (2 away) also reads
-- back as it; float8out writes all 17 digits, and so does score_curve
SELECT 'step[(23145267909885952,98848878475870208)]'::score_curve,
       23145267909885952::float8 AS x, 98848878475870208::float8 AS y;

-- text round trip: canonical text reads back as an equal curve
SELECT c::text::score_curve = c AS text_round_trip, c::text
FROM (VALUES ('linear[(0.5,0),(1,100),(1.5,150)]'::score_curve),
             ('step[(0.8,60),(1,100),(1.2,120)]'),
             ('linear[(0.1,0.30000000000000004),(0.2,0.7)]'),
             ('linear[(0.8,0),(0.8,50),(1.2,130)]')) AS t(c);

-- equality: mode and points; -0 equals 0
SELECT 'linear[(1,2)]'::score_curve = 'LINEAR[(1.0,2.0)]'::score_curve AS same,
       'linear[(1,2)]'::score_curve = 'step[(1,2)]'::score_curve AS other_mode,
       'linear[(1,2)]'::score_curve <> 'linear[(1,3)]'::score_curve AS differs,
       'linear[(0,-0)]'::score_curve = 'linear[(-0,0)]'::score_curve AS minus_zero;

-- the constructor validates like the text input
SELECT score_curve(ARRAY[0.5, 1, 1.5], ARRAY[0, 100, 150]);
SELECT score_curve(ARRAY[0.8, 1, 1.2], ARRAY[60, 100, 120], 'Step');
SELECT score_curve(ARRAY[0.5, 1, 1.5], ARRAY[0, 100, 150]) =
       'linear[(0.5,0),(1,100),(1.5,150)]'::score_curve AS constructor_equals_text;

-- kpi_score, linear: clamp below, interpolate, cap above, infinities clamp
SELECT a, kpi_score(a, 'linear[(0.5,0),(1,100),(1.5,150)]')
FROM unnest(ARRAY['-Infinity', -1, 0.4, 0.5, 0.75, 0.9, 1, 1.25, 1.5, 2, 'Infinity']::float8[]) AS a;

-- a gate: nothing below 80 %, then a jump to 50; at the jump the later point holds
SELECT a, kpi_score(a, 'linear[(0.8,0),(0.8,50),(1.2,130)]')
FROM unnest(ARRAY[0.7, 0.7999999, 0.8, 1, 1.2, 3]::float8[]) AS a;
-- a jump in the middle of a curve, and a jump at the last x
SELECT a, kpi_score(a, 'linear[(0,0),(1,100),(1,110),(2,130)]') AS mid_jump,
          kpi_score(a, 'linear[(0,0),(1,100),(1,120)]') AS end_jump
FROM unnest(ARRAY[0.5, 0.9999, 1, 1.5, 2, 5]::float8[]) AS a;

-- kpi_score, step: 0 below the first x, then the y of the last x <= attainment
SELECT a, kpi_score(a, 'step[(0.8,60),(1,100),(1.2,120)]')
FROM unnest(ARRAY['-Infinity', 0, 0.79, 0.8, 0.99, 1, 1.19, 1.2, 9, 'Infinity']::float8[]) AS a;

-- one point: a constant (linear) or a threshold (step)
SELECT kpi_score(0, 'linear[(1,5)]'), kpi_score(2, 'linear[(1,5)]'),
       kpi_score(0.99, 'step[(1,5)]'), kpi_score(1, 'step[(1,5)]');

-- Odoo-style payout levels: 0 % .. 300 % attainment -> % of on-target pay
SELECT a, kpi_score(a, 'linear[(0,0),(0.5,0),(0.5,25),(1,100),(3,300)]') AS payout_pct
FROM unnest(ARRAY[0.49, 0.5, 0.75, 1, 2, 4]::float8[]) AS a;

-- curves stored in a table (short and toasted values) give the same scores
CREATE TEMP TABLE curves (id int, c score_curve);
INSERT INTO curves VALUES
  (1, 'linear[(0.5,0),(1,100),(1.5,150)]'),
  (2, 'step[(0.8,60),(1,100),(1.2,120)]'),
  (3, score_curve(ARRAY(SELECT g / 1000.0 FROM generate_series(0, 999) g),
                  ARRAY(SELECT g * 1.0 FROM generate_series(0, 999) g)));
SELECT id, kpi_score(1.2, c), kpi_score(0.5555, c) FROM curves, generate_series(1, 2) ORDER BY id;
SELECT id, pg_column_size(c) FROM curves ORDER BY id;

-- 40 stored curves (more than the per-call cache keeps), rows cycling
-- through them so that consecutive rows differ: every score equals the one
-- from the same curve rebuilt fresh from its text (not cached)
CREATE TEMP TABLE many_curves AS
SELECT id, format('linear[(0,%s),(1,%s),(2,%s)]', id, 10 * id, 100 * id)::score_curve AS c
FROM generate_series(1, 40) id;
SELECT count(*) AS rows, count(*) FILTER (WHERE s <> f) AS mismatches,
       sum(s) AS total
FROM (SELECT kpi_score(g / 10.0, m.c) AS s, kpi_score(g / 10.0, m.c::text::score_curve) AS f
      FROM generate_series(0, 20) g, many_curves m ORDER BY g, m.id) x;
-- a parameter is a constant of one execution only: new value, new answer
PREPARE score_with(score_curve) AS
SELECT sum(kpi_score(g / 10.0, $1)) FROM generate_series(0, 20) g;
EXECUTE score_with('linear[(0,0),(2,20)]');
EXECUTE score_with('step[(1,5)]');
DEALLOCATE score_with;

-- binary round trip through COPY (FORMAT binary), back into a table
\copy curves TO '/tmp/ss_i3_score_curve.bin' (FORMAT binary)
CREATE TEMP TABLE curves2 (id int, c score_curve);
\copy curves2 FROM '/tmp/ss_i3_score_curve.bin' (FORMAT binary)
SELECT id, a.c = b.c AS equal_after_binary_copy, a.c::text = b.c::text AS same_text
FROM curves a JOIN curves2 b USING (id) ORDER BY id;
-- the binary form: mode byte, int4 count, float8 pairs
SELECT score_curve_send('step[(1,2)]');

-- errors, each with its SQLSTATE; then the messages
\set VERBOSITY sqlstate
SELECT 'linear[]'::score_curve;
SELECT 'linear[(1,2)]junk'::score_curve;
SELECT 'cubic[(1,2)]'::score_curve;
SELECT 'linear[(NaN,1)]'::score_curve;
SELECT 'linear[(1e400,1)]'::score_curve;
SELECT 'linear[(2,0),(1,1)]'::score_curve;
SELECT kpi_score('NaN', 'linear[(1,2)]');
\set VERBOSITY default
-- empty list
SELECT 'linear[]'::score_curve;
SELECT score_curve('{}'::float8[], '{}'::float8[]);
-- syntax: junk after the closing bracket, missing pieces, unknown mode
SELECT 'linear[(1,2)]junk'::score_curve;
SELECT 'linear[(1,2)] ]'::score_curve;
SELECT 'linear[(1,2)'::score_curve;
SELECT 'linear[(1;2)]'::score_curve;
SELECT 'linear(1,2)'::score_curve;
SELECT 'linear[(1,2),]'::score_curve;
SELECT 'linear[(0x1p3,2)]'::score_curve;
SELECT ''::score_curve;
SELECT 'cubic[(1,2)]'::score_curve;
SELECT score_curve(ARRAY[1.0], ARRAY[2.0], 'cubic');
-- NaN and infinities
SELECT 'linear[(NaN,1)]'::score_curve;
SELECT 'step[(1,Infinity)]'::score_curve;
SELECT 'step[(1,-inf)]'::score_curve;
SELECT score_curve(ARRAY[1, 'NaN']::float8[], ARRAY[1, 2]);
SELECT score_curve(ARRAY[1, 2], ARRAY[1, '-Infinity']::float8[]);
-- numbers out of range
SELECT 'linear[(1e400,1)]'::score_curve;
SELECT 'linear[(1,-1e-400)]'::score_curve;
-- unsorted, duplicated, three points on one x
SELECT 'linear[(2,0),(1,1)]'::score_curve;
SELECT 'step[(1,0),(1,1)]'::score_curve;
SELECT 'step[(1,0),(0.5,1)]'::score_curve;
SELECT 'linear[(1,0),(1,50),(1,100)]'::score_curve;
SELECT score_curve(ARRAY[1, 1, 1], ARRAY[0, 50, 100]);
-- 1001 points (1000 are fine)
SELECT score_curve(ARRAY(SELECT g::float8 FROM generate_series(1, 1000) g),
                   ARRAY(SELECT g::float8 FROM generate_series(1, 1000) g), 'step') IS NOT NULL AS thousand_ok;
SELECT score_curve(ARRAY(SELECT g::float8 FROM generate_series(1, 1001) g),
                   ARRAY(SELECT g::float8 FROM generate_series(1, 1001) g), 'step');
SELECT ('step[' || string_agg(format('(%s,1)', g), ',') || ']')::score_curve
FROM generate_series(1, 1001) g;
-- constructor shape errors
SELECT score_curve(ARRAY[1, 2], ARRAY[1]);
SELECT score_curve(ARRAY[1, NULL], ARRAY[1, 2]);
SELECT score_curve(ARRAY[[1, 2], [3, 4]], ARRAY[1, 2]);
-- all of them are invalid_parameter_value (22023), as the contract says
\set VERBOSITY sqlstate
SELECT score_curve(ARRAY[1, 2], ARRAY[1]);
SELECT score_curve(ARRAY[1, NULL], ARRAY[1, 2]);
SELECT score_curve(ARRAY[[1, 2], [3, 4]], ARRAY[1, 2]);
\set VERBOSITY default
-- NaN attainment
SELECT kpi_score('NaN', 'linear[(1,2)]');
-- STRICT: NULL in, NULL out
SELECT kpi_score(NULL, 'linear[(1,2)]') IS NULL AS null_attainment;

-- a truncated binary value: cut score_curve_send's bytes short and COPY them in
CREATE TEMP TABLE raw (id int, b bytea);
INSERT INTO raw VALUES (1, substring(score_curve_send('linear[(0.5,0),(1,100)]') FROM 1 FOR 20));
\copy raw TO '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
\copy curves2 FROM '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
-- only the header
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0000'::bytea);
\copy raw TO '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
\copy curves2 FROM '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
-- a binary value that text input would refuse: unsorted step, a NaN, a bad mode
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0100000002' || float8send(2) || float8send(0) || float8send(1) || float8send(1));
\copy raw TO '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
\copy curves2 FROM '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0000000001' || float8send('NaN') || float8send(0));
\copy raw TO '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
\copy curves2 FROM '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0700000001' || float8send(1) || float8send(0));
\copy raw TO '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
\copy curves2 FROM '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x00000003e9'::bytea);
\copy raw TO '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
\copy curves2 FROM '/tmp/ss_i3_score_curve_bad.bin' (FORMAT binary)
SELECT count(*) AS rows_smuggled_in FROM curves2 WHERE id = 1 AND c::text LIKE '%NaN%';
\! rm -f /tmp/ss_i3_score_curve.bin /tmp/ss_i3_score_curve_bad.bin

-- hash operator class: GROUP BY, DISTINCT and joins on curves
SELECT min(c::text) AS curve, count(*)
FROM (VALUES ('linear[(1,2)]'::score_curve), ('LINEAR[(1.0,2)]'), ('step[(1,2)]'),
             ('linear[(0,-0)]'), ('linear[(-0,0)]')) v(c)
GROUP BY c ORDER BY 1;
SELECT count(*) AS distinct_curves FROM (SELECT DISTINCT c FROM curves) d;
SELECT score_curve_hash('linear[(0,-0)]') = score_curve_hash('linear[(-0,0)]') AS same_hash;

-- btree operator class: ORDER BY, count(DISTINCT), unique indexes; the
-- order is mode (linear first), then point by point by x, then y (a prefix
-- first)
SELECT c, score_curve_cmp(c, 'step[(1,2)]') AS cmp_step_1_2
FROM (VALUES ('step[(1,2)]'::score_curve), ('step[(1,1)]'), ('linear[(5,5)]'), ('step[(0.5,9)]'),
             ('step[(1,2),(2,3)]'), ('step[(1,2.5)]'), ('linear[(1,2),(2,1)]'), ('STEP[(1.0,2.0)]')) v(c)
ORDER BY c, c::text;
SELECT count(DISTINCT c) AS distinct_curves
FROM (VALUES ('step[(1,2)]'::score_curve), ('step[(1.0,2)]'), ('step[(1,2)]'), ('linear[(1,2)]')) v(c);
SELECT 'step[(1,2)]'::score_curve < 'step[(1,3)]' AS lt, 'step[(1,2)]'::score_curve <= 'step[(1,2)]' AS le,
       'step[(1,2)]'::score_curve > 'linear[(9,9)]' AS gt, 'linear[(1,2)]'::score_curve >= 'linear[(0,2)]' AS ge;
CREATE TEMP TABLE unique_curves (c score_curve UNIQUE);
INSERT INTO unique_curves VALUES ('step[(1,2)]');
INSERT INTO unique_curves VALUES ('step[(1.00,2e0)]');
-- hash support function 2: seed 0 has score_curve_hash in its low 32 bits;
-- hash partitioning puts equal curves in the same partition
SELECT count(*) FILTER (WHERE (score_curve_hash_extended(c, 0) & 4294967295)
                              <> (score_curve_hash(c)::bigint & 4294967295)) AS low_bits_differ,
       count(DISTINCT score_curve_hash_extended(c, 1)) AS seeded_hashes
FROM (VALUES ('step[(1,2)]'::score_curve), ('step[(1,3)]'), ('linear[(0,0),(1,100)]'), ('linear[(1,2)]')) v(c);
CREATE TEMP TABLE curves_by_hash (c score_curve) PARTITION BY HASH (c);
CREATE TEMP TABLE curves_by_hash_0 PARTITION OF curves_by_hash FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TEMP TABLE curves_by_hash_1 PARTITION OF curves_by_hash FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO curves_by_hash
SELECT format('step[(%s,1)]', g)::score_curve FROM generate_series(1, 20) g
UNION ALL
SELECT format('STEP[( %s.000 , 1.0 )]', g)::score_curve FROM generate_series(1, 20) g;
SELECT (SELECT count(*) FROM curves_by_hash) AS rows,
       (SELECT count(DISTINCT tableoid) FROM curves_by_hash) AS partitions_used,
       count(*) AS values, count(*) FILTER (WHERE n <> 1) AS split_values
FROM (SELECT c, count(DISTINCT tableoid) AS n FROM curves_by_hash GROUP BY c) g;

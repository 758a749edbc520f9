-- tier_table: text and binary I/O, canonical output, equality, and
-- tiered_commission on the documented examples, at thresholds and caps,
-- on the 128-bit path and the numeric fallback; every error.
SET search_path = sales_supervisor, public;

-- the documented examples, and their canonical output
SELECT 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000'::tier_table;
SELECT 'flat[(0,0.02),(100000,0.03)]'::tier_table;
-- mode and cap in any case, blanks anywhere; digits are kept as written
SELECT ' Marginal [ ( 0 , 0.020 ) , ( 100000.00 , .03 ) ] CAP 50000.50 '::tier_table;
SELECT 'FLAT[(007,+1.50)]cap 0'::tier_table;
SELECT 'flat[(0,0.000000000000000001),(999999999999999999,123456789.123456789)]'::tier_table;

-- text round trip
SELECT t::text::tier_table = t AS text_round_trip, t::text
FROM (VALUES ('marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000'::tier_table),
             ('flat[(0,0.02),(100000,0.03)]'),
             ('marginal[(0.50,0.020)] cap 0.00')) AS v(t);

-- equality by value: 0.02 = 0.020, but mode and cap matter
SELECT 'flat[(0,0.02)]'::tier_table = 'flat[(0.0,0.020)]'::tier_table AS same_values,
       'flat[(0,0.02)]'::tier_table = 'marginal[(0,0.02)]'::tier_table AS other_mode,
       'flat[(0,0.02)]'::tier_table = 'flat[(0,0.02)] cap 10'::tier_table AS cap_differs,
       'flat[(0,0.02)] cap 10'::tier_table <> 'flat[(0,0.02)] cap 10.0'::tier_table AS cap_10_differs_from_10_0;

-- marginal: each slice earns its own rate, then the cap
-- 50 000 x 0.02 = 1 000; 100 000 -> 2 000; 250 000 -> 2 000 + 150 000 x 0.03 = 6 500;
-- 600 000 -> 2 000 + 12 000 + 100 000 x 0.05 = 19 000; 2 000 000 -> 89 000, capped at 50 000
SELECT amount, tiered_commission(amount, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000')
FROM unnest(ARRAY[-100, 0, 0.01, 50000.00, 100000, 250000, 600000, 1071428.57, 1071428.58, 2000000]::numeric[]) AS amount;
-- flat: the whole amount at the rate of the highest threshold reached
-- 99 999.99 x 0.02 = 1 999.9998; 100 000 x 0.03 = 3 000; 150 000.50 x 0.03 = 4 500.0150
SELECT amount, tiered_commission(amount, 'flat[(0,0.02),(100000,0.03)]')
FROM unnest(ARRAY[0, 99999.99, 100000, 150000.50]::numeric[]) AS amount;
-- below the first threshold earns 0 (a gate), in both modes; a decelerator (lower later rate)
SELECT amount,
       tiered_commission(amount, 'marginal[(1000,0.1),(2000,0.05)]') AS marginal_gate,
       tiered_commission(amount, 'flat[(1000,0.1),(2000,0.05)]') AS flat_gate
FROM unnest(ARRAY[999.99, 1000, 1500, 2000, 3000]::numeric[]) AS amount;
-- digits as written: a rate of 0.020 gives results with three more decimals
SELECT tiered_commission(100, 'marginal[(0,0.020)]'),
       tiered_commission(100.5, 'marginal[(0,0.020)]'),
       tiered_commission(100, 'marginal[(0,2)] cap 150.000');
-- thresholds with decimals: the slice is exact (200.1 - 100.005 = 100.095)
SELECT tiered_commission(200.1, 'marginal[(100.005,1)]');
-- a zero rate tier, a zero cap
SELECT tiered_commission(500, 'marginal[(0,0),(100,0.5)]'),
       tiered_commission(500, 'marginal[(0,0.5)] cap 0');

-- amounts beyond the 128-bit path are computed in numeric, just as exactly
-- 1e40: 2 000 + 12 000 + (1e40 - 500 000) x 0.05
SELECT tiered_commission(1e40, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)]');
SELECT tiered_commission(1e40, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000');
-- 20 decimals in the amount
SELECT tiered_commission(1234.56789012345678901234, 'flat[(0,0.1)]');
SELECT tiered_commission(-1234.56789012345678901234, 'flat[(0,0.1)]');
-- the largest values the 128-bit path takes, checked against numeric arithmetic
SELECT tiered_commission(999999999999999999.99, 'flat[(0,999999999999999999)]')
     = 999999999999999999.99 * 999999999999999999 AS big_exact;

-- tables stored in a table (short header): same results as constants
CREATE TEMP TABLE plans (id int, t tier_table);
INSERT INTO plans VALUES
  (1, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000'),
  (2, 'flat[(0,0.02),(100000,0.03)]');
SELECT id, tiered_commission(600000, t), tiered_commission(150000.50, t)
FROM plans, generate_series(1, 2) ORDER BY id;

-- binary round trip through COPY (FORMAT binary)
INSERT INTO plans VALUES (3, 'marginal[(0.50,0.020),(7,1.00000000000000001)] cap 999999999999999999');
\copy plans TO '/tmp/ss_i3_tier_table.bin' (FORMAT binary)
CREATE TEMP TABLE plans2 (id int, t tier_table);
\copy plans2 FROM '/tmp/ss_i3_tier_table.bin' (FORMAT binary)
SELECT id, a.t = b.t AS equal_after_binary_copy, a.t::text = b.t::text AS same_text, b.t
FROM plans a JOIN plans2 b USING (id) ORDER BY id;
SELECT tier_table_send('flat[(1,0.5)] cap 2');

-- errors, each with its SQLSTATE; then the messages
\set VERBOSITY sqlstate
SELECT 'marginal[]'::tier_table;
SELECT 'marginal[(0,0.02)] junk'::tier_table;
SELECT 'marginal[(0,-0.02)]'::tier_table;
SELECT 'marginal[(0,0.02)] cap 1234567890123456789'::tier_table;
SELECT tiered_commission('NaN', 'flat[(0,1)]');
\set VERBOSITY default
-- empty list
SELECT 'marginal[]'::tier_table;
-- unsorted and duplicated thresholds, negative threshold
SELECT 'marginal[(100,0.02),(50,0.03)]'::tier_table;
SELECT 'flat[(100,0.02),(100.00,0.03)]'::tier_table;
SELECT 'flat[(-1,0.02)]'::tier_table;
-- negative rate, negative cap
SELECT 'marginal[(0,0.02),(100,-0.01)]'::tier_table;
SELECT 'marginal[(0,0.02)] cap -1'::tier_table;
-- NaN and infinities
SELECT 'flat[(0,NaN)]'::tier_table;
SELECT 'flat[(Infinity,1)]'::tier_table;
SELECT 'flat[(0,1)] cap -inf'::tier_table;
-- out of range: 19 significant digits, 19 decimals; exponents are refused
SELECT 'flat[(1234567890123456789,1)]'::tier_table;
SELECT 'flat[(0,0.0000000000000000001)]'::tier_table;
SELECT 'flat[(0,1e-2)]'::tier_table;
-- junk, unknown mode, missing pieces
SELECT 'marginal[(0,0.02)] junk'::tier_table;
SELECT 'marginal[(0,0.02)] cap 5 6'::tier_table;
SELECT 'marginal[(0,0.02)] cap'::tier_table;
SELECT 'marginal[(0,0.02)]]'::tier_table;
SELECT 'marginal[(0 0.02)]'::tier_table;
SELECT 'progressive[(0,0.02)]'::tier_table;
SELECT 'marginal[(0,0.02),]'::tier_table;
SELECT 'marginal[(0,.)]'::tier_table;
-- 1001 tiers (1000 are fine)
SELECT ('flat[' || string_agg(format('(%s,0.01)', g), ',') || ']')::tier_table IS NOT NULL AS thousand_ok
FROM generate_series(1, 1000) g;
SELECT ('flat[' || string_agg(format('(%s,0.01)', g), ',') || ']')::tier_table
FROM generate_series(1, 1001) g;
-- amount NaN or +Infinity: errors; -Infinity is <= 0 and earns 0 at the
-- result scale of amount 0 (here 0 + 3 rate decimals = 3, like amount -5)
SELECT tiered_commission('NaN', 'flat[(0,1)]');
SELECT tiered_commission('Infinity', 'flat[(0,1)]');
SELECT tiered_commission('-Infinity', 'flat[(0,1)]') AS neg_inf;
SELECT tiered_commission('-Infinity', 'marginal[(0,0.02),(100,0.035)] cap 10.5') AS neg_inf,
       tiered_commission(-5, 'marginal[(0,0.02),(100,0.035)] cap 10.5') AS neg_five;
-- STRICT
SELECT tiered_commission(NULL, 'flat[(0,1)]') IS NULL AS null_amount;

-- 40 stored tables (more than the per-call cache keeps), rows cycling
-- through them: every commission equals the one from the same table
-- rebuilt fresh from its text (not cached)
CREATE TEMP TABLE many_plans AS
SELECT id, format('marginal[(0,0.0%s),(%s,0.1)] cap %s', id % 10, 1000 * id, 5000 + id)::tier_table AS t
FROM generate_series(1, 40) id;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE s::text <> f::text) AS mismatches, sum(s) AS total
FROM (SELECT tiered_commission(g * 1000.5, p.t) AS s,
             tiered_commission(g * 1000.5, p.t::text::tier_table) AS f
      FROM generate_series(0, 50) g, many_plans p ORDER BY g, p.id) x;
-- a parameter is a constant of one execution only: new value, new answer
PREPARE comm_with(tier_table) AS
SELECT sum(tiered_commission(g * 100, $1)) FROM generate_series(1, 10) g;
EXECUTE comm_with('flat[(0,0.1)]');
EXECUTE comm_with('flat[(0,0.2)]');
DEALLOCATE comm_with;

-- amounts of mixed scales in one column (numeric without typmod), rows
-- alternating scales: each scale is prepared once and kept; every result
-- equals the numeric CASE by value and has scale(amount) + 2 decimals
CREATE TEMP TABLE mixed_scales AS
SELECT g, round((g * 7919 % 700001)::numeric + g / 997.0, g % 7) AS amount
FROM generate_series(1, 700) g;
SELECT count(*) AS rows, count(DISTINCT scale(amount)) AS scales,
       count(*) FILTER (WHERE c <> ref) AS wrong_value,
       count(*) FILTER (WHERE scale(c) <> scale(amount) + 2) AS wrong_scale,
       sum(c) AS total
FROM (SELECT amount,
             tiered_commission(amount, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000') AS c,
             least(CASE WHEN amount > 0 THEN least(amount, 100000) * 0.02 ELSE 0 END
                 + CASE WHEN amount > 100000 THEN (least(amount, 500000) - 100000) * 0.03 ELSE 0 END
                 + CASE WHEN amount > 500000 THEN (amount - 500000) * 0.05 ELSE 0 END,
                   50000) AS ref
      FROM mixed_scales ORDER BY g) x;

-- a truncated binary value, and binary values text input would refuse
CREATE TEMP TABLE raw (id int, b bytea);
INSERT INTO raw VALUES (1, substring(tier_table_send('flat[(1,0.5),(2,0.6)] cap 2') FROM 1 FOR 30));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0001'::bytea);
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
-- binary layout: mode, has_cap, int4 count, cap (int8 mantissa, int4 scale), then
-- threshold and rate of each tier the same way.  A negative rate:
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0000'::bytea || int4send(1) || int8send(0) || int4send(0)
                           || int8send(0) || int4send(0) || int8send(-2) || int4send(2));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
-- a scale of 40
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0000'::bytea || int4send(1) || int8send(0) || int4send(0)
                           || int8send(1) || int4send(40) || int8send(2) || int4send(2));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
-- 19 digits
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0000'::bytea || int4send(1) || int8send(0) || int4send(0)
                           || int8send(1000000000000000000) || int4send(0) || int8send(2) || int4send(2));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
-- unsorted thresholds
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0000'::bytea || int4send(2) || int8send(0) || int4send(0)
                           || int8send(5) || int4send(0) || int8send(2) || int4send(2)
                           || int8send(50) || int4send(1) || int8send(2) || int4send(2));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
-- a cap without the cap flag, a negative cap, an unknown mode, 1001 tiers
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0000'::bytea || int4send(1) || int8send(5) || int4send(0)
                           || int8send(0) || int4send(0) || int8send(2) || int4send(2));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0001'::bytea || int4send(1) || int8send(-5) || int4send(0)
                           || int8send(0) || int4send(0) || int8send(2) || int4send(2));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0900'::bytea || int4send(1) || int8send(0) || int4send(0)
                           || int8send(0) || int4send(0) || int8send(2) || int4send(2));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
TRUNCATE raw;
INSERT INTO raw VALUES (1, '\x0000'::bytea || int4send(1001) || int8send(0) || int4send(0));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
-- and a well-formed hand-made value goes in
TRUNCATE raw;
INSERT INTO raw VALUES (4, '\x0101'::bytea || int4send(1) || int8send(12345) || int4send(2)
                           || int8send(0) || int4send(0) || int8send(20) || int4send(3));
\copy raw TO '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
\copy plans2 FROM '/tmp/ss_i3_tier_table_bad.bin' (FORMAT binary)
SELECT * FROM plans2 WHERE id = 4;
SELECT count(*) AS rows_in_plans2 FROM plans2;
\! rm -f /tmp/ss_i3_tier_table.bin /tmp/ss_i3_tier_table_bad.bin

-- hash operator class: GROUP BY and DISTINCT group tables equal by value
SELECT min(t::text) AS tiers, count(*)
FROM (VALUES ('flat[(0,0.02)]'::tier_table), ('flat[(0.0,0.020)]'), ('FLAT[(0,0.0200)]'),
             ('flat[(0,0.02)] cap 1'), ('flat[(0,0.02)] cap 1.00'), ('marginal[(0,0.02)]')) v(t)
GROUP BY t ORDER BY 1;
SELECT count(*) AS distinct_plans FROM (SELECT DISTINCT t FROM plans) d;
SELECT tier_table_hash('flat[(0,0.02)] cap 1') = tier_table_hash('flat[(0.00,0.0200)] cap 1.0') AS same_hash;

-- btree operator class: ORDER BY, count(DISTINCT), unique indexes; the
-- order is mode (marginal first), tiers by threshold then rate value (a
-- prefix first), then cap (none first); by value like =
SELECT t, tier_table_cmp(t, 'flat[(0,0.02)]') AS cmp_flat_002
FROM (VALUES ('flat[(0,0.03)]'::tier_table), ('flat[(0,0.02)] cap 5'), ('marginal[(0,0.5)]'),
             ('flat[(0,0.020)]'), ('flat[(0,0.02),(10,0.03)]'), ('flat[(1,0.01)]'),
             ('marginal[(0,0.02),(5,0.03)]'), ('flat[(0,0.02)] cap 4.99')) v(t)
ORDER BY t, t::text;
SELECT count(DISTINCT t) AS distinct_by_value, count(DISTINCT t::text) AS distinct_texts
FROM (VALUES ('flat[(0,0.02)]'::tier_table), ('flat[(0,0.020)]'), ('flat[(0.0,0.02)]'),
             ('flat[(0,0.02)] cap 1'), ('flat[(0,0.02)] cap 1.0')) v(t);
SELECT 'flat[(0,0.02)]'::tier_table < 'flat[(0,0.021)]' AS lt, 'flat[(0,0.02)]'::tier_table <= 'flat[(0,0.020)]' AS le,
       'marginal[(0,1)]'::tier_table > 'flat[(0,0)]' AS gt, 'flat[(0,0.02)] cap 1'::tier_table >= 'flat[(0,0.02)]' AS ge;
CREATE TEMP TABLE unique_plans (t tier_table UNIQUE);
INSERT INTO unique_plans VALUES ('flat[(0,0.02)]');
INSERT INTO unique_plans VALUES ('flat[(0,0.020)]');
-- hash support function 2: seed 0 has tier_table_hash in its low 32 bits;
-- hash partitioning puts tables equal by value in the same partition
SELECT count(*) FILTER (WHERE (tier_table_hash_extended(t, 0) & 4294967295)
                              <> (tier_table_hash(t)::bigint & 4294967295)) AS low_bits_differ,
       count(DISTINCT tier_table_hash_extended(t, 1)) AS seeded_hashes
FROM (VALUES ('flat[(0,0.02)]'::tier_table), ('flat[(0,0.03)]'), ('marginal[(0,0.02),(5,0.1)] cap 3'),
             ('flat[(1,0.02)]')) v(t);
CREATE TEMP TABLE plans_by_hash (t tier_table) PARTITION BY HASH (t);
CREATE TEMP TABLE plans_by_hash_0 PARTITION OF plans_by_hash FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TEMP TABLE plans_by_hash_1 PARTITION OF plans_by_hash FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO plans_by_hash
SELECT format('flat[(0,0.%s)]', g)::tier_table FROM generate_series(1, 20) g
UNION ALL
SELECT format('flat[(0.00,0.%s00)]', g)::tier_table FROM generate_series(1, 20) g;
SELECT (SELECT count(*) FROM plans_by_hash) AS rows,
       (SELECT count(DISTINCT tableoid) FROM plans_by_hash) AS partitions_used,
       count(*) AS values, count(*) FILTER (WHERE n <> 1) AS split_values
FROM (SELECT t, count(DISTINCT tableoid) AS n FROM plans_by_hash GROUP BY t) g;

-- tiered_commission against a plain-numeric reference on STORED amounts:
-- a table column without typmod, so values come in numeric's on-disk form
-- (1-byte headers for short values, 4-byte for long ones, compressed for
-- very long ones), with mixed scales, negatives, zeros with many decimals;
-- a change in numeric's on-disk format would make these differ
CREATE TABLE tc_amounts (id serial, amount numeric);
INSERT INTO tc_amounts (amount) VALUES
  (0), (0.00), (12.5), (7), (3.25), (-5), (-0.001), (100000), (100000.00), (100000.01),
  (499999.999), (500000), (1500000.5), (1000.5), (1000.51), (2000.25), (2000.2500001),
  (0.000000000000000000000000), (-0.0000000000000000000001), (0.1234567890123456789012),
  (123456789012345678.12), (12345678901234567890123456789.123456), (1e30), (-1e30),
  (repeat('9', 300)::numeric), (repeat('7', 5000)::numeric), (('-' || repeat('3', 40))::numeric);
INSERT INTO tc_amounts (amount)
SELECT round(((g * 7919) % 1000003)::numeric / 10::numeric ^ (g % 5) * (CASE WHEN g % 7 = 0 THEN -1 ELSE 1 END), g % 9)
FROM generate_series(1, 400) g;
CREATE TABLE tc_plans (id int, mode text, thr numeric[], rate numeric[], cap numeric);
INSERT INTO tc_plans VALUES
  (1, 'marginal', '{0,100000,500000}', '{0.02,0.03,0.05}', 50000),
  (2, 'flat', '{0,100000,500000}', '{0.02,0.03,0.05}', NULL),
  (3, 'marginal', '{1000.5,2000.25}', '{0.1,0.125}', 123.4567),
  (4, 'flat', '{0}', '{0.000000001}', NULL),
  (5, 'marginal', '{0,10}', '{1,2}', NULL),
  (6, 'flat', '{100000.00,500000}', '{0.020,0.05}', 20000.0);
ALTER TABLE tc_plans ADD COLUMN t tier_table;
UPDATE tc_plans p SET t = (SELECT format('%s[%s]%s', p.mode,
                                         string_agg(format('(%s,%s)', p.thr[i], p.rate[i]), ',' ORDER BY i),
                                         CASE WHEN p.cap IS NULL THEN '' ELSE ' cap ' || p.cap END)
                           FROM generate_subscripts(p.thr, 1) i)::tier_table;
SELECT id, t FROM tc_plans ORDER BY id;
-- the reference: slices (marginal) or the highest reached rate (flat) in
-- numeric, least(.., cap), rounded to the documented scale
CREATE FUNCTION pg_temp.ref_commission(a numeric, mode text, thr numeric[], rate numeric[], cap numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT round(least(CASE
           WHEN a <= 0 THEN 0
           WHEN mode = 'flat' THEN
             coalesce((SELECT a * rate[i] FROM generate_subscripts(thr, 1) i
                       WHERE thr[i] <= a ORDER BY i DESC LIMIT 1), 0)
           ELSE
             coalesce((SELECT sum((least(a, coalesce(thr[i + 1], a)) - thr[i]) * rate[i])
                       FROM generate_subscripts(thr, 1) i WHERE thr[i] < a), 0)
           END, cap),
         greatest(greatest(scale(a), (SELECT max(scale(x)) FROM unnest(thr) x))
                  + (SELECT max(scale(x)) FROM unnest(rate) x),
                  coalesce(scale(cap), 0)))
$$;
SELECT count(*) AS amounts,
       count(*) FILTER (WHERE pg_column_size(amount) = pg_column_size(amount + 0) - 3) AS short_header,
       count(*) FILTER (WHERE pg_column_size(amount) = pg_column_size(amount + 0)) AS long_header,
       count(*) FILTER (WHERE pg_column_size(amount) < pg_column_size(amount + 0) - 3) AS compressed,
       count(*) FILTER (WHERE amount < 0) AS negative,
       count(DISTINCT scale(amount)) AS scales
FROM tc_amounts;
SELECT count(*) AS cases,
       count(*) FILTER (WHERE tiered_commission(a.amount, p.t)::text
                              <> pg_temp.ref_commission(a.amount, p.mode, p.thr, p.rate, p.cap)::text) AS mismatches
FROM tc_amounts a CROSS JOIN tc_plans p;
-- a few of them, exactly
SELECT a.amount, p.id AS plan, tiered_commission(a.amount, p.t)
FROM tc_amounts a JOIN tc_plans p ON p.id IN (1, 3)
WHERE a.id IN (2, 6, 7, 11, 13, 17, 18, 19)
ORDER BY a.id, p.id;
DROP TABLE tc_amounts, tc_plans;

-- equal tables written with different decimals: equal results, with the
-- scales their decimals give (as numeric 1.0 = 1.00); the type COMMENT says so
SELECT 'flat[(0,0.02)]'::tier_table = 'flat[(0,0.020)]' AS equal_tables,
       tiered_commission(100, 'flat[(0,0.02)]') AS two_decimals,
       tiered_commission(100, 'flat[(0,0.020)]') AS three_decimals,
       tiered_commission(100, 'flat[(0,0.02)]') = tiered_commission(100, 'flat[(0,0.020)]') AS equal_results;
SELECT obj_description('tier_table'::regtype, 'pg_type') ~ 'different scales' AS comment_says_so;

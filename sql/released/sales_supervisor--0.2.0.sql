-- sales_supervisor install script, assembled by the Makefile from sql/install/*.sql
-- (one part per layer: 1x core C functions, 2x data model, 3x security,
-- 4x operations, 5x reports).  Edit the parts, not the assembled file.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION sales_supervisor" to load this file. \quit
-- Layer 1, computation core: KPI attainment.

CREATE FUNCTION kpi_attainment(actual numeric, target numeric,
                               higher_is_better boolean DEFAULT true)
RETURNS numeric
AS 'MODULE_PATHNAME', 'kpi_attainment'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION kpi_attainment(numeric, numeric, boolean) IS
'Attainment of a KPI against its target as a ratio (1 = on target): actual/target when higher is better, greatest(0, 2 - actual/target) when lower is better; NULL when target = 0; error when target < 0.';
-- Layer 1, computation core: score curves and kpi_score.

CREATE TYPE score_curve;

CREATE FUNCTION score_curve_in(cstring) RETURNS score_curve
AS 'MODULE_PATHNAME', 'score_curve_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_out(score_curve) RETURNS cstring
AS 'MODULE_PATHNAME', 'score_curve_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_recv(internal) RETURNS score_curve
AS 'MODULE_PATHNAME', 'score_curve_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_send(score_curve) RETURNS bytea
AS 'MODULE_PATHNAME', 'score_curve_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE score_curve (
    INTERNALLENGTH = VARIABLE,
    INPUT = score_curve_in,
    OUTPUT = score_curve_out,
    RECEIVE = score_curve_recv,
    SEND = score_curve_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE score_curve IS
'Maps a KPI attainment to points: linear[(x,y),...] interpolates (clamped to the first/last y, two points on one x make a right-continuous jump) or step[(x,y),...] takes the y of the last x <= attainment (0 below the first x); 1 to 1000 finite points.';
COMMENT ON FUNCTION score_curve_in(cstring) IS 'Text input of score_curve: mode[(x,y),...], mode linear or step in any case, blanks allowed.';
COMMENT ON FUNCTION score_curve_out(score_curve) IS 'Canonical text of a score_curve: lower-case mode, no blanks, shortest float8 text of each number.';
COMMENT ON FUNCTION score_curve_recv(internal) IS 'Binary input of score_curve; validates exactly as the text input does.';
COMMENT ON FUNCTION score_curve_send(score_curve) IS 'Binary output of score_curve: mode byte, int4 point count, float8 x and y of each point.';

CREATE FUNCTION score_curve_eq(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_ne(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_ne'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve_eq(score_curve, score_curve) IS 'True when both curves have the same mode and the same points.';
COMMENT ON FUNCTION score_curve_ne(score_curve, score_curve) IS 'True when the curves differ in mode or in any point.';

CREATE OPERATOR = (
    LEFTARG = score_curve, RIGHTARG = score_curve,
    FUNCTION = score_curve_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);

CREATE OPERATOR <> (
    LEFTARG = score_curve, RIGHTARG = score_curve,
    FUNCTION = score_curve_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = neqsel, JOIN = neqjoinsel
);

COMMENT ON OPERATOR = (score_curve, score_curve) IS 'score_curve equality: same mode and same points';
COMMENT ON OPERATOR <> (score_curve, score_curve) IS 'score_curve inequality';

CREATE FUNCTION score_curve_hash(score_curve) RETURNS integer
AS 'MODULE_PATHNAME', 'score_curve_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve_hash(score_curve) IS 'Hash of a score_curve, consistent with = (for GROUP BY, DISTINCT and hash joins).';

CREATE FUNCTION score_curve_hash_extended(score_curve, bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'score_curve_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve_hash_extended(score_curve, bigint) IS 'Seeded 64-bit hash of a score_curve, consistent with = and with score_curve_hash (seed 0: same low 32 bits); hash partitioning uses it.';

CREATE OPERATOR CLASS score_curve_hash_ops
DEFAULT FOR TYPE score_curve USING hash AS
    OPERATOR 1 = (score_curve, score_curve),
    FUNCTION 1 score_curve_hash(score_curve),
    FUNCTION 2 score_curve_hash_extended(score_curve, bigint);

COMMENT ON OPERATOR CLASS score_curve_hash_ops USING hash IS 'Hash operator class of score_curve: GROUP BY, DISTINCT, hash joins and hash partitioning use it.';

CREATE FUNCTION score_curve_cmp(score_curve, score_curve) RETURNS integer
AS 'MODULE_PATHNAME', 'score_curve_cmp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_lt(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_lt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_le(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_le'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_gt(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_gt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_ge(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_ge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve_cmp(score_curve, score_curve) IS 'Btree comparison of score_curves (-1, 0, 1): by mode (linear first), then point by point by x, then y, a curve that is a prefix of another first; 0 exactly when =.';
COMMENT ON FUNCTION score_curve_lt(score_curve, score_curve) IS 'True when the first score_curve sorts before the second (score_curve_cmp order).';
COMMENT ON FUNCTION score_curve_le(score_curve, score_curve) IS 'True when the first score_curve sorts before the second or equals it (score_curve_cmp order).';
COMMENT ON FUNCTION score_curve_gt(score_curve, score_curve) IS 'True when the first score_curve sorts after the second (score_curve_cmp order).';
COMMENT ON FUNCTION score_curve_ge(score_curve, score_curve) IS 'True when the first score_curve sorts after the second or equals it (score_curve_cmp order).';

CREATE OPERATOR < (
    LEFTARG = score_curve, RIGHTARG = score_curve, FUNCTION = score_curve_lt,
    COMMUTATOR = >, NEGATOR = >=,
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);

CREATE OPERATOR <= (
    LEFTARG = score_curve, RIGHTARG = score_curve, FUNCTION = score_curve_le,
    COMMUTATOR = >=, NEGATOR = >,
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);

CREATE OPERATOR > (
    LEFTARG = score_curve, RIGHTARG = score_curve, FUNCTION = score_curve_gt,
    COMMUTATOR = <, NEGATOR = <=,
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);

CREATE OPERATOR >= (
    LEFTARG = score_curve, RIGHTARG = score_curve, FUNCTION = score_curve_ge,
    COMMUTATOR = <=, NEGATOR = <,
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR < (score_curve, score_curve) IS 'score_curve less than (score_curve_cmp order)';
COMMENT ON OPERATOR <= (score_curve, score_curve) IS 'score_curve less than or equal (score_curve_cmp order)';
COMMENT ON OPERATOR > (score_curve, score_curve) IS 'score_curve greater than (score_curve_cmp order)';
COMMENT ON OPERATOR >= (score_curve, score_curve) IS 'score_curve greater than or equal (score_curve_cmp order)';

CREATE OPERATOR CLASS score_curve_btree_ops
DEFAULT FOR TYPE score_curve USING btree AS
    OPERATOR 1 < ,
    OPERATOR 2 <= ,
    OPERATOR 3 = ,
    OPERATOR 4 >= ,
    OPERATOR 5 > ,
    FUNCTION 1 score_curve_cmp(score_curve, score_curve);

COMMENT ON OPERATOR CLASS score_curve_btree_ops USING btree IS 'Btree operator class of score_curve: ORDER BY, count(DISTINCT), merge joins, unique indexes; orders by mode (linear first), then point by point by x, then y.';

CREATE FUNCTION score_curve(x float8[], y float8[], mode text DEFAULT 'linear')
RETURNS score_curve
AS 'MODULE_PATHNAME', 'score_curve_make'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve(float8[], float8[], text) IS
'Builds a score_curve from parallel x and y arrays and a mode (linear or step), with the checks of the text input.';

CREATE FUNCTION kpi_score(attainment float8, curve score_curve) RETURNS float8
AS 'MODULE_PATHNAME', 'kpi_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION kpi_score(float8, score_curve) IS
'Points for an attainment on a score_curve (binary search over the points); NaN is an error, +/-Infinity clamp to the ends.';
-- Layer 1, computation core: tier tables and tiered_commission.

CREATE TYPE tier_table;

CREATE FUNCTION tier_table_in(cstring) RETURNS tier_table
AS 'MODULE_PATHNAME', 'tier_table_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_out(tier_table) RETURNS cstring
AS 'MODULE_PATHNAME', 'tier_table_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_recv(internal) RETURNS tier_table
AS 'MODULE_PATHNAME', 'tier_table_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_send(tier_table) RETURNS bytea
AS 'MODULE_PATHNAME', 'tier_table_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE tier_table (
    INTERNALLENGTH = VARIABLE,
    INPUT = tier_table_in,
    OUTPUT = tier_table_out,
    RECEIVE = tier_table_recv,
    SEND = tier_table_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE tier_table IS
'Commission tiers: marginal[(threshold,rate),...] (each slice earns its own rate) or flat[...] (the whole amount earns the rate of the highest threshold reached), optional " cap N"; exact decimals kept as written; thresholds strictly increasing and >= 0, rates >= 0, 1 to 1000 tiers. Equality, hashing and ordering are by value (0.02 = 0.020), but the decimals written set the scale of tiered_commission results, so equal tables written with different decimals give equal amounts with different scales (flat[(0,0.02)] gives 2.00 on 100 where flat[(0,0.020)] gives 2.000), just as numeric 1.0 = 1.00.';
COMMENT ON FUNCTION tier_table_in(cstring) IS 'Text input of tier_table: mode[(threshold,rate),...] [cap N], mode marginal or flat in any case.';
COMMENT ON FUNCTION tier_table_out(tier_table) IS 'Canonical text of a tier_table: lower-case mode, no blanks in the list, numbers with the digits they were written with.';
COMMENT ON FUNCTION tier_table_recv(internal) IS 'Binary input of tier_table; validates exactly as the text input does.';
COMMENT ON FUNCTION tier_table_send(tier_table) IS 'Binary output of tier_table: mode, cap flag, tier count, then each decimal as int8 mantissa and int4 scale.';

CREATE FUNCTION tier_table_eq(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_ne(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_ne'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tier_table_eq(tier_table, tier_table) IS 'True when both tables have the same mode, cap, thresholds and rates by value (0.02 = 0.020).';
COMMENT ON FUNCTION tier_table_ne(tier_table, tier_table) IS 'True when the tables differ in mode, cap, or any threshold or rate value.';

CREATE OPERATOR = (
    LEFTARG = tier_table, RIGHTARG = tier_table,
    FUNCTION = tier_table_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);

CREATE OPERATOR <> (
    LEFTARG = tier_table, RIGHTARG = tier_table,
    FUNCTION = tier_table_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = neqsel, JOIN = neqjoinsel
);

COMMENT ON OPERATOR = (tier_table, tier_table) IS 'tier_table equality: same mode, cap, thresholds and rates by value';
COMMENT ON OPERATOR <> (tier_table, tier_table) IS 'tier_table inequality';

CREATE FUNCTION tier_table_hash(tier_table) RETURNS integer
AS 'MODULE_PATHNAME', 'tier_table_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tier_table_hash(tier_table) IS 'Hash of a tier_table, consistent with = (for GROUP BY, DISTINCT and hash joins).';

CREATE FUNCTION tier_table_hash_extended(tier_table, bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'tier_table_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tier_table_hash_extended(tier_table, bigint) IS 'Seeded 64-bit hash of a tier_table, consistent with = and with tier_table_hash (seed 0: same low 32 bits); hash partitioning uses it.';

CREATE OPERATOR CLASS tier_table_hash_ops
DEFAULT FOR TYPE tier_table USING hash AS
    OPERATOR 1 = (tier_table, tier_table),
    FUNCTION 1 tier_table_hash(tier_table),
    FUNCTION 2 tier_table_hash_extended(tier_table, bigint);

COMMENT ON OPERATOR CLASS tier_table_hash_ops USING hash IS 'Hash operator class of tier_table: GROUP BY, DISTINCT, hash joins and hash partitioning use it.';

CREATE FUNCTION tier_table_cmp(tier_table, tier_table) RETURNS integer
AS 'MODULE_PATHNAME', 'tier_table_cmp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_lt(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_lt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_le(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_le'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_gt(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_gt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_ge(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_ge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tier_table_cmp(tier_table, tier_table) IS 'Btree comparison of tier_tables (-1, 0, 1): by mode (marginal first), then tier by tier by threshold value then rate value (a prefix first), then cap (none first, then by value); 0 exactly when = (0.02 = 0.020).';
COMMENT ON FUNCTION tier_table_lt(tier_table, tier_table) IS 'True when the first tier_table sorts before the second (tier_table_cmp order).';
COMMENT ON FUNCTION tier_table_le(tier_table, tier_table) IS 'True when the first tier_table sorts before the second or equals it (tier_table_cmp order).';
COMMENT ON FUNCTION tier_table_gt(tier_table, tier_table) IS 'True when the first tier_table sorts after the second (tier_table_cmp order).';
COMMENT ON FUNCTION tier_table_ge(tier_table, tier_table) IS 'True when the first tier_table sorts after the second or equals it (tier_table_cmp order).';

CREATE OPERATOR < (
    LEFTARG = tier_table, RIGHTARG = tier_table, FUNCTION = tier_table_lt,
    COMMUTATOR = >, NEGATOR = >=,
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);

CREATE OPERATOR <= (
    LEFTARG = tier_table, RIGHTARG = tier_table, FUNCTION = tier_table_le,
    COMMUTATOR = >=, NEGATOR = >,
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);

CREATE OPERATOR > (
    LEFTARG = tier_table, RIGHTARG = tier_table, FUNCTION = tier_table_gt,
    COMMUTATOR = <, NEGATOR = <=,
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);

CREATE OPERATOR >= (
    LEFTARG = tier_table, RIGHTARG = tier_table, FUNCTION = tier_table_ge,
    COMMUTATOR = <=, NEGATOR = <,
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR < (tier_table, tier_table) IS 'tier_table less than (tier_table_cmp order)';
COMMENT ON OPERATOR <= (tier_table, tier_table) IS 'tier_table less than or equal (tier_table_cmp order)';
COMMENT ON OPERATOR > (tier_table, tier_table) IS 'tier_table greater than (tier_table_cmp order)';
COMMENT ON OPERATOR >= (tier_table, tier_table) IS 'tier_table greater than or equal (tier_table_cmp order)';

CREATE OPERATOR CLASS tier_table_btree_ops
DEFAULT FOR TYPE tier_table USING btree AS
    OPERATOR 1 < ,
    OPERATOR 2 <= ,
    OPERATOR 3 = ,
    OPERATOR 4 >= ,
    OPERATOR 5 > ,
    FUNCTION 1 tier_table_cmp(tier_table, tier_table);

COMMENT ON OPERATOR CLASS tier_table_btree_ops USING btree IS 'Btree operator class of tier_table: ORDER BY, count(DISTINCT), merge joins, unique indexes; orders by mode (marginal first), then tier by tier by threshold then rate value, then cap (none first); by value, like =.';

CREATE FUNCTION tiered_commission(amount numeric, tiers tier_table) RETURNS numeric
AS 'MODULE_PATHNAME', 'tiered_commission'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tiered_commission(numeric, tier_table) IS
'Commission on an amount by a tier_table, in exact arithmetic: amount <= 0 (-Infinity included) earns 0, NaN and +Infinity are errors (22023), below the first threshold earns 0, marginal sums slice x rate, flat applies the highest reached rate to the whole amount, then least(result, cap). Result scale: max(amount scale, threshold scales) + max rate scale (or the cap scale if larger).';
-- Layer 1, computation core: metric aggregates (PRODUCT.md 1.1 weighted_score,
-- 1.3 nps / csat / wape / forecast_bias / mape, 1.5 trimmed_mean).
--
-- Shape of each aggregate (as tdigest and hll): STYPE internal, the state in the
-- aggregate memory context, NULL rows skipped by a non-strict transition
-- function, COMBINEFUNC + SERIALFUNC/DESERIALFUNC so they run in parallel
-- query, PARALLEL SAFE.  The support functions take or return "internal" and
-- so cannot be called from SQL; they are documented for completeness.

-- ---------------------------------------------------------------- nps, csat

CREATE FUNCTION nps_trans(internal, integer) RETURNS internal
AS 'MODULE_PATHNAME', 'nps_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nps_trans(internal, integer) IS
'Transition function of nps(): counts one 0..10 score (NULL skipped, outside 0..10 is an error).';

CREATE FUNCTION csat_trans(internal, integer) RETURNS internal
AS 'MODULE_PATHNAME', 'csat_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat_trans(internal, integer) IS
'Transition function of csat(): counts one 1..5 rating (NULL skipped, outside 1..5 is an error).';

CREATE FUNCTION score_hist_combine(internal, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'score_hist_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION score_hist_combine(internal, internal) IS
'Combine function of nps() and csat(): adds the score band counts of two states.';

CREATE FUNCTION score_hist_serialize(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'score_hist_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION score_hist_serialize(internal) IS
'Serial function of nps() and csat(): the counts of the low, middle and high score bands as 3 little-endian int8.';

CREATE FUNCTION score_hist_deserialize(bytea, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'score_hist_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION score_hist_deserialize(bytea, internal) IS
'Deserial function of nps() and csat(): reads and validates serialized score band counts.';

CREATE FUNCTION nps_final(internal) RETURNS numeric
AS 'MODULE_PATHNAME', 'nps_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nps_final(internal) IS
'Final function of nps(): 100 * (promoters - detractors) / n as numeric, NULL when there are no scores.';

CREATE FUNCTION csat_final(internal) RETURNS numeric
AS 'MODULE_PATHNAME', 'csat_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat_final(internal) IS
'Final function of csat(): 100 * (ratings 4 and 5) / n as numeric, NULL when there are no ratings.';

CREATE AGGREGATE nps(score integer) (
    SFUNC = nps_trans,
    STYPE = internal,
    SSPACE = 24,
    FINALFUNC = nps_final,
    COMBINEFUNC = score_hist_combine,
    SERIALFUNC = score_hist_serialize,
    DESERIALFUNC = score_hist_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE nps(integer) IS
'Net Promoter Score of 0..10 survey scores: 100 * (promoters 9-10 - detractors 0-6) / n, in -100..100, exact numeric (PostgreSQL numeric division); NULL rows skipped; no rows gives NULL; a score outside 0..10 is error 22003.';

CREATE AGGREGATE csat(score integer) (
    SFUNC = csat_trans,
    STYPE = internal,
    SSPACE = 24,
    FINALFUNC = csat_final,
    COMBINEFUNC = score_hist_combine,
    SERIALFUNC = score_hist_serialize,
    DESERIALFUNC = score_hist_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE csat(integer) IS
'Customer satisfaction: percentage of ratings 4 and 5 among 1..5 ratings, exact numeric in 0..100; NULL rows skipped; no rows gives NULL; a rating outside 1..5 is error 22003.';

-- -------------------------------- wape, forecast_bias, mape, weighted_score

CREATE FUNCTION wape_trans(internal, double precision, double precision) RETURNS internal
AS 'MODULE_PATHNAME', 'wape_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION wape_trans(internal, double precision, double precision) IS
'Transition function of wape(): compensated sums of |forecast - actual| and |actual|.';

CREATE FUNCTION forecast_bias_trans(internal, double precision, double precision) RETURNS internal
AS 'MODULE_PATHNAME', 'forecast_bias_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION forecast_bias_trans(internal, double precision, double precision) IS
'Transition function of forecast_bias(): compensated sums of forecast - actual and |actual|.';

CREATE FUNCTION mape_trans(internal, double precision, double precision) RETURNS internal
AS 'MODULE_PATHNAME', 'mape_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mape_trans(internal, double precision, double precision) IS
'Transition function of mape(): compensated sum of |forecast - actual| / |actual| and the count of rows with actual <> 0.';

CREATE FUNCTION weighted_score_trans(internal, double precision, double precision) RETURNS internal
AS 'MODULE_PATHNAME', 'weighted_score_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION weighted_score_trans(internal, double precision, double precision) IS
'Transition function of weighted_score(): compensated sums of score * weight and weight.';

CREATE FUNCTION fsums_combine(internal, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'fsums_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION fsums_combine(internal, internal) IS
'Combine function of wape(), forecast_bias(), mape() and weighted_score(): merges two compensated-sum states, compensation terms included.';

CREATE FUNCTION fsums_serialize(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'fsums_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION fsums_serialize(internal) IS
'Serial function of wape(), forecast_bias(), mape() and weighted_score(): count and two compensated sums, little-endian.';

CREATE FUNCTION fsums_deserialize(bytea, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'fsums_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION fsums_deserialize(bytea, internal) IS
'Deserial function of wape(), forecast_bias(), mape() and weighted_score(): reads and validates a serialized compensated-sum state.';

CREATE FUNCTION wape_final(internal) RETURNS double precision
AS 'MODULE_PATHNAME', 'wape_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION wape_final(internal) IS
'Final function of wape(): sum |forecast - actual| / sum |actual|, NULL when there are no rows or sum |actual| = 0.';

CREATE FUNCTION forecast_bias_final(internal) RETURNS double precision
AS 'MODULE_PATHNAME', 'forecast_bias_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION forecast_bias_final(internal) IS
'Final function of forecast_bias(): sum (forecast - actual) / sum |actual|, NULL when there are no rows or sum |actual| = 0.';

CREATE FUNCTION mape_final(internal) RETURNS double precision
AS 'MODULE_PATHNAME', 'mape_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mape_final(internal) IS
'Final function of mape(): mean of |forecast - actual| / |actual| over rows with actual <> 0, NULL when there are none.';

CREATE FUNCTION weighted_score_final(internal) RETURNS double precision
AS 'MODULE_PATHNAME', 'weighted_score_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION weighted_score_final(internal) IS
'Final function of weighted_score(): sum score * weight / sum weight, NULL when there are no rows or the weights sum to 0.';

CREATE AGGREGATE wape(actual double precision, forecast double precision) (
    SFUNC = wape_trans,
    STYPE = internal,
    SSPACE = 40,
    FINALFUNC = wape_final,
    COMBINEFUNC = fsums_combine,
    SERIALFUNC = fsums_serialize,
    DESERIALFUNC = fsums_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE wape(double precision, double precision) IS
'Weighted absolute percentage error of a forecast: sum |forecast - actual| / sum |actual| (compensated sums: row order and parallel plans change the result by at most about 1e-12 relative on realistic data, more only under heavy cancellation; not bit-exact); rows with a NULL skipped; NULL when there are no rows or sum |actual| = 0; NaN or infinite input is error 22023.';

CREATE AGGREGATE forecast_bias(actual double precision, forecast double precision) (
    SFUNC = forecast_bias_trans,
    STYPE = internal,
    SSPACE = 40,
    FINALFUNC = forecast_bias_final,
    COMBINEFUNC = fsums_combine,
    SERIALFUNC = fsums_serialize,
    DESERIALFUNC = fsums_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE forecast_bias(double precision, double precision) IS
'Forecast bias: sum (forecast - actual) / sum |actual| (compensated sums: row order and parallel plans change the result by at most about 1e-12 relative on realistic data, more only under heavy cancellation; not bit-exact), positive when the forecast runs high; rows with a NULL skipped; NULL when there are no rows or sum |actual| = 0; NaN or infinite input is error 22023.';

CREATE AGGREGATE mape(actual double precision, forecast double precision) (
    SFUNC = mape_trans,
    STYPE = internal,
    SSPACE = 40,
    FINALFUNC = mape_final,
    COMBINEFUNC = fsums_combine,
    SERIALFUNC = fsums_serialize,
    DESERIALFUNC = fsums_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE mape(double precision, double precision) IS
'Mean absolute percentage error: mean of |forecast - actual| / |actual| over rows with actual <> 0 (a fraction: 0.1 = 10 %; compensated sum: row order and parallel plans change the result by at most about 1e-12 relative on realistic data, more only under heavy cancellation; not bit-exact); rows with a NULL skipped; NULL when no row has actual <> 0; NaN or infinite input is error 22023.';

CREATE AGGREGATE weighted_score(score double precision, weight double precision) (
    SFUNC = weighted_score_trans,
    STYPE = internal,
    SSPACE = 40,
    FINALFUNC = weighted_score_final,
    COMBINEFUNC = fsums_combine,
    SERIALFUNC = fsums_serialize,
    DESERIALFUNC = fsums_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE weighted_score(double precision, double precision) IS
'Weighted mean of scores: sum score * weight / sum weight over rows where both are non-NULL (compensated sums: row order and parallel plans change the result by at most about 1e-12 relative on realistic data, more only under heavy cancellation; not bit-exact); NULL when there are no rows or the weights sum to 0; a negative, NaN or infinite weight or a non-finite score is error 22023; a subnormal weight (0 < weight < 2.2250738585072014e-308) or a score * weight that overflows, or underflows to a subnormal or zero from two non-zero values, is error 22003.';

-- ------------------------------------------------------------- trimmed_mean

CREATE FUNCTION trimmed_mean_trans(internal, double precision, integer) RETURNS internal
AS 'MODULE_PATHNAME', 'trimmed_mean_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION trimmed_mean_trans(internal, double precision, integer) IS
'Transition function of trimmed_mean(): collects one score and checks drop_each_end.';

CREATE FUNCTION trimmed_mean_combine(internal, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'trimmed_mean_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION trimmed_mean_combine(internal, internal) IS
'Combine function of trimmed_mean(): concatenates two score lists (drop_each_end must agree).';

CREATE FUNCTION trimmed_mean_serialize(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'trimmed_mean_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION trimmed_mean_serialize(internal) IS
'Serial function of trimmed_mean(): drop_each_end, count and scores, little-endian.';

CREATE FUNCTION trimmed_mean_deserialize(bytea, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'trimmed_mean_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION trimmed_mean_deserialize(bytea, internal) IS
'Deserial function of trimmed_mean(): reads and validates a serialized score list.';

CREATE FUNCTION trimmed_mean_final(internal) RETURNS double precision
AS 'MODULE_PATHNAME', 'trimmed_mean_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION trimmed_mean_final(internal) IS
'Final function of trimmed_mean(): sorts the scores and averages all but the k lowest and k highest.';

CREATE AGGREGATE trimmed_mean(score double precision, drop_each_end integer) (
    SFUNC = trimmed_mean_trans,
    STYPE = internal,
    FINALFUNC = trimmed_mean_final,
    COMBINEFUNC = trimmed_mean_combine,
    SERIALFUNC = trimmed_mean_serialize,
    DESERIALFUNC = trimmed_mean_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE trimmed_mean(double precision, integer) IS
'Mean of the scores after dropping the drop_each_end highest and lowest (k reduced to floor((n - 1) / 2) when there are too few scores); NULL scores skipped; no scores gives NULL; k is checked on every row where it is given, NULL score or not: it must be >= 0 and equal on all those rows (22023); it may be NULL only where the score is NULL (else 22004); a non-finite score is error 22023.';
-- Layer 1, computation core: exact apportionment (largest remainder with
-- water-filling bounds) -- allocate_quota, array and window forms, and
-- grade_by_distribution.  One C core (src/core/apportion.c) serves all three.

CREATE FUNCTION allocate_quota(total numeric, weights numeric[],
                               unit numeric DEFAULT 1,
                               lower numeric[] DEFAULT NULL,
                               upper numeric[] DEFAULT NULL)
RETURNS numeric[]
AS 'MODULE_PATHNAME', 'allocate_quota_array'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION allocate_quota(numeric, numeric[], numeric, numeric[], numeric[]) IS
'Split total into shares proportional to weights, in whole multiples of unit, exactly: continuous shares clamp(lambda*weight, lower, upper) summing to total, floored to the unit, leftover units to the largest remainders (ties: larger weight, then earlier element). Results are within bounds and sum exactly to total. NULL lower/upper elements mean 0 / unbounded; a NULL weight element gets NULL and takes no share. A weight may have at most 18 significant digits (22003 otherwise): round weights computed by division, for example round(x / sum(x), 12). Write weights as ARRAY[...] or cast a literal with ::numeric[]: an untyped literal such as allocate_quota(100, ''{1,2}'') resolves to the window form allocate_quota(numeric, numeric) and fails with 42809 (requires an OVER clause).';

CREATE FUNCTION allocate_quota(total numeric, weight numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'allocate_quota_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION allocate_quota(numeric, numeric) IS
'Window function: split the partition''s total (equal on every row) over its rows proportionally to weight, in whole units of 1, summing exactly to total; ties go to the larger weight, then the earlier row in window order. A NULL weight gets NULL and takes no share. A weight may have at most 18 significant digits (22003 otherwise): round weights computed by division, for example round(x / sum(x), 12).';

CREATE FUNCTION allocate_quota(total numeric, weight numeric, unit numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'allocate_quota_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION allocate_quota(numeric, numeric, numeric) IS
'Window function: split the partition''s total (equal on every row) over its rows proportionally to weight, in whole multiples of unit (equal on every row), summing exactly to total; ties go to the larger weight, then the earlier row in window order. A NULL weight gets NULL and takes no share. A weight may have at most 18 significant digits (22003 otherwise): round weights computed by division, for example round(x / sum(x), 12).';

CREATE FUNCTION allocate_quota(total numeric, weight numeric, unit numeric,
                               lower numeric, upper numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'allocate_quota_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION allocate_quota(numeric, numeric, numeric, numeric, numeric) IS
'Window function: split the partition''s total over its rows proportionally to weight with per-row bounds (NULL lower = 0, NULL upper = unbounded) by water-filling, in whole multiples of unit, summing exactly to total; ties go to the larger weight, then the earlier row in window order. A NULL weight gets NULL and takes no share. A weight may have at most 18 significant digits (22003 otherwise): round weights computed by division, for example round(x / sum(x), 12).';

CREATE FUNCTION grade_by_distribution(grades text[], shares numeric[])
RETURNS text
AS 'MODULE_PATHNAME', 'grade_by_distribution'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION grade_by_distribution(text[], numeric[]) IS
'Window function for forced distribution: with N rows in the partition, grade g goes to allocate_quota(N, shares)[g] rows in window order (ties to the larger share, then the earlier grade); rows that are peers in the ORDER BY all take the grade of their group''s first row. Without ORDER BY every row is a peer, so all get the first grade: always order. A share may have at most 18 significant digits (22003 otherwise): round computed shares, for example round(s, 12).';
-- Layer 2, data model: org, customers, sales, plans, appraisal and the
-- commission ledger (PRODUCT.md section 2).
--
-- Conventions of this part:
--  * Every table has a primary key, COMMENT ON the table and each column, and is
--    registered with pg_extension_config_dump (with its identity sequence) at the
--    end of this file, so pg_dump / pg_restore carry the user's rows.
--  * ON DELETE RESTRICT for anything that is history (sales, visits, reviews,
--    results, ledger lines); ON DELETE CASCADE only for pure children that have
--    no meaning without their parent (contacts of a customer, scores of a
--    review, attendance of a training session).
--  * Rules that a CHECK cannot state (sums to 100 %, scores within the cycle's
--    scale, tree without cycles, visits only within the owning team) are
--    enforced by triggers that raise SQLSTATE 23514 (check_violation) or 55000
--    (object_not_in_prerequisite_state) with a message naming the bad value.
--  * Every function here has a fixed search_path (search-path hijack defence),
--    and the install script never relies on a cast or operator found in public.
--  * The install script runs with search_path = sales_supervisor (then the
--    implicit pg_catalog), so objects are created unqualified.

-- ---------------------------------------------------------------------------
-- Vocabularies
-- ---------------------------------------------------------------------------

CREATE TYPE member_level AS ENUM
  ('sales_rep', 'sales_customer_supervisor', 'sales_manager',
   'sales_director', 'customer_director');
COMMENT ON TYPE member_level IS
'Career ladder of the sales organisation, in ladder order: sales rep -> sales customer supervisor -> sales manager -> sales director or customer director (two equal top rungs).';

CREATE TYPE period_kind AS ENUM ('year', 'quarter', 'month');
COMMENT ON TYPE period_kind IS 'Granularity of a fiscal period.';

CREATE TYPE feedback_kind AS ENUM ('complaint', 'suggestion', 'praise');
COMMENT ON TYPE feedback_kind IS 'Kind of a customer feedback item.';

CREATE TYPE feedback_status AS ENUM ('open', 'in_progress', 'resolved', 'rejected');
COMMENT ON TYPE feedback_status IS 'Workflow state of a customer feedback item; resolved and rejected are final and carry resolved_at.';

CREATE TYPE opportunity_stage AS ENUM
  ('prospecting', 'qualification', 'proposal', 'negotiation', 'won', 'lost');
COMMENT ON TYPE opportunity_stage IS 'Pipeline stage of a sales opportunity; won and lost are closed stages.';

CREATE TYPE task_status AS ENUM ('open', 'in_progress', 'done', 'cancelled');
COMMENT ON TYPE task_status IS 'State of a task assigned by a supervisor.';

CREATE TYPE cycle_state AS ENUM ('open', 'reviewing', 'calibrating', 'closed');
COMMENT ON TYPE cycle_state IS 'State of a yearly appraisal cycle: open (configuring) -> reviewing -> calibrating -> closed.';

CREATE TYPE rater_role AS ENUM ('self', 'supervisor', 'peer', 'subordinate');
COMMENT ON TYPE rater_role IS 'Relation of a reviewer to the reviewee in a 360-degree review.';

CREATE TYPE appraisal_component AS ENUM
  ('team_performance', 'individual_performance', 'team_management', 'customer_satisfaction');
COMMENT ON TYPE appraisal_component IS 'The four components of the yearly appraisal: team performance, individual performance, team management, customer satisfaction.';

-- ---------------------------------------------------------------------------
-- Org
-- ---------------------------------------------------------------------------

CREATE TABLE team (
  team_id     integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name        text NOT NULL CHECK (btrim(name) <> ''),
  parent_id   integer REFERENCES team ON DELETE RESTRICT,
  created_on  date NOT NULL DEFAULT CURRENT_DATE,
  CONSTRAINT team_not_own_parent CHECK (parent_id <> team_id),
  CONSTRAINT team_name_unique_under_parent UNIQUE NULLS NOT DISTINCT (parent_id, name)
);
CREATE INDEX team_parent_idx ON team (parent_id);
COMMENT ON TABLE team IS
'Teams of the sales organisation as a tree: a team with no parent is a department (the root level); nested teams below it. Leaders are in team_leader.';
COMMENT ON COLUMN team.team_id IS 'Team identifier.';
COMMENT ON COLUMN team.name IS 'Team name, unique among the children of one parent.';
COMMENT ON COLUMN team.parent_id IS 'Parent team; NULL makes this team a department (root of a subtree). Cycles are refused by a trigger.';
COMMENT ON COLUMN team.created_on IS 'Date the team was set up.';

CREATE TABLE member (
  member_id   integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  full_name   text NOT NULL CHECK (btrim(full_name) <> ''),
  email       text UNIQUE CHECK (email LIKE '%_@_%'),
  level       member_level NOT NULL DEFAULT 'sales_rep',
  team_id     integer NOT NULL REFERENCES team ON DELETE RESTRICT,
  manager_id  integer REFERENCES member ON DELETE RESTRICT,
  hire_date   date NOT NULL,
  left_on     date,
  active      boolean NOT NULL DEFAULT true,
  login_role  name UNIQUE,
  CONSTRAINT member_not_own_manager CHECK (manager_id <> member_id),
  CONSTRAINT member_left_after_hire CHECK (left_on IS NULL OR left_on >= hire_date),
  CONSTRAINT member_left_is_inactive CHECK (left_on IS NULL OR NOT active)
);
CREATE INDEX member_team_idx ON member (team_id);
CREATE INDEX member_manager_idx ON member (manager_id);

-- Leadership is its own table rather than a team.leader_id column: member
-- already references team, and a cycle of foreign keys between two tables
-- cannot be restored by pg_restore table by table.
CREATE TABLE team_leader (
  team_id     integer PRIMARY KEY REFERENCES team ON DELETE CASCADE,
  member_id   integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  since       date NOT NULL DEFAULT CURRENT_DATE
);
CREATE INDEX team_leader_member_idx ON team_leader (member_id);
COMMENT ON TABLE team_leader IS
'Who leads each team (supervisor of a team, manager of a department): the leader sees the team''s whole subtree through row-level security. One leader per team; a member may lead several teams.';
COMMENT ON COLUMN team_leader.team_id IS 'Team led (the leadership goes with the team).';
COMMENT ON COLUMN team_leader.member_id IS 'Member who leads it.';
COMMENT ON COLUMN team_leader.since IS 'Date the member took the lead.';
COMMENT ON TABLE member IS
'People of the sales organisation: their rung on the career ladder, team, manager, hire date, and the database role they log in as (row-level security maps the login to the member).';
COMMENT ON COLUMN member.member_id IS 'Member identifier.';
COMMENT ON COLUMN member.full_name IS 'Full name.';
COMMENT ON COLUMN member.email IS 'Work e-mail address, unique.';
COMMENT ON COLUMN member.level IS 'Current rung on the career ladder (member_level).';
COMMENT ON COLUMN member.team_id IS 'Team the member belongs to; a team leader usually belongs to the team they lead.';
COMMENT ON COLUMN member.manager_id IS 'Direct manager (line manager), if any.';
COMMENT ON COLUMN member.hire_date IS 'Date of hire; tenure for promotion rules counts from here.';
COMMENT ON COLUMN member.left_on IS 'Date the member left; a member who left is inactive.';
COMMENT ON COLUMN member.active IS 'False for members who left or are suspended; an inactive member''s login sees no rows.';
COMMENT ON COLUMN member.login_role IS 'Name of the PostgreSQL role this member logs in as (current_user); unique; NULL for members without a login.';

-- ---------------------------------------------------------------------------
-- Customers
-- ---------------------------------------------------------------------------

CREATE TABLE visit_cadence (
  tier         text PRIMARY KEY CHECK (btrim(tier) <> ''),
  every_days   integer NOT NULL CHECK (every_days BETWEEN 1 AND 3660),
  description  text
);
COMMENT ON TABLE visit_cadence IS 'Customer tiers and how often a customer of each tier must be visited again (return-visit cadence).';
COMMENT ON COLUMN visit_cadence.tier IS 'Customer tier code (for example A, B, C).';
COMMENT ON COLUMN visit_cadence.every_days IS 'A customer of this tier is overdue when its last done visit is more than this many days ago.';
COMMENT ON COLUMN visit_cadence.description IS 'What the tier means.';

CREATE TABLE customer (
  customer_id  integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name         text NOT NULL CHECK (btrim(name) <> ''),
  industry     text,
  region       text,
  tier         text NOT NULL REFERENCES visit_cadence ON UPDATE CASCADE ON DELETE RESTRICT,
  team_id      integer NOT NULL REFERENCES team ON DELETE RESTRICT,
  owner_id     integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  since        date NOT NULL DEFAULT CURRENT_DATE,
  profile      text,
  active       boolean NOT NULL DEFAULT true
);
CREATE INDEX customer_owner_idx ON customer (owner_id);
CREATE INDEX customer_team_idx ON customer (team_id);
COMMENT ON TABLE customer IS
'The customer file: one row per customer with its profile, tier, owning team and owning rep. The owner must belong to the owning team or to a team above it (trigger).';
COMMENT ON COLUMN customer.customer_id IS 'Customer identifier.';
COMMENT ON COLUMN customer.name IS 'Customer (company) name.';
COMMENT ON COLUMN customer.industry IS 'Industry of the customer.';
COMMENT ON COLUMN customer.region IS 'Sales region of the customer.';
COMMENT ON COLUMN customer.tier IS 'Tier; decides the return-visit cadence (visit_cadence).';
COMMENT ON COLUMN customer.team_id IS 'Team that owns the customer relationship.';
COMMENT ON COLUMN customer.owner_id IS 'Rep who owns the customer; sees it under row-level security.';
COMMENT ON COLUMN customer.since IS 'Customer since this date.';
COMMENT ON COLUMN customer.profile IS 'Free-text profile: needs, decision makers, history.';
COMMENT ON COLUMN customer.active IS 'False for former customers (kept for history).';

CREATE TABLE customer_contact (
  contact_id   integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  customer_id  integer NOT NULL REFERENCES customer ON DELETE CASCADE,
  full_name    text NOT NULL CHECK (btrim(full_name) <> ''),
  job_title    text,
  email        text CHECK (email LIKE '%_@_%'),
  phone        text,
  is_primary   boolean NOT NULL DEFAULT false
);
CREATE INDEX customer_contact_customer_idx ON customer_contact (customer_id);
CREATE UNIQUE INDEX customer_contact_one_primary ON customer_contact (customer_id) WHERE is_primary;
COMMENT ON TABLE customer_contact IS 'People to talk to at a customer; at most one primary contact per customer.';
COMMENT ON COLUMN customer_contact.contact_id IS 'Contact identifier.';
COMMENT ON COLUMN customer_contact.customer_id IS 'Customer the contact works for (contacts are deleted with the customer).';
COMMENT ON COLUMN customer_contact.full_name IS 'Contact''s name.';
COMMENT ON COLUMN customer_contact.job_title IS 'Contact''s job title.';
COMMENT ON COLUMN customer_contact.email IS 'Contact''s e-mail address.';
COMMENT ON COLUMN customer_contact.phone IS 'Contact''s phone number.';
COMMENT ON COLUMN customer_contact.is_primary IS 'True for the customer''s primary contact (at most one).';

CREATE TABLE customer_visit (
  visit_id     bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  customer_id  integer NOT NULL REFERENCES customer ON DELETE RESTRICT,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  planned_on   date NOT NULL,
  done_at      timestamptz,
  outcome      text,
  CONSTRAINT customer_visit_outcome_when_done CHECK (outcome IS NULL OR done_at IS NOT NULL)
);
CREATE INDEX customer_visit_customer_idx ON customer_visit (customer_id, planned_on);
CREATE INDEX customer_visit_member_idx ON customer_visit (member_id, planned_on);
CREATE INDEX customer_visit_pending_idx ON customer_visit (planned_on) WHERE done_at IS NULL;
COMMENT ON TABLE customer_visit IS
'Return visits to customers, planned and done. The visiting member must belong to the customer''s team or a team above it (trigger).';
COMMENT ON COLUMN customer_visit.visit_id IS 'Visit identifier.';
COMMENT ON COLUMN customer_visit.customer_id IS 'Customer visited.';
COMMENT ON COLUMN customer_visit.member_id IS 'Member who visits.';
COMMENT ON COLUMN customer_visit.planned_on IS 'Date the visit is planned for.';
COMMENT ON COLUMN customer_visit.done_at IS 'When the visit took place; NULL while only planned.';
COMMENT ON COLUMN customer_visit.outcome IS 'What came out of the visit (only for done visits).';

CREATE TABLE feedback (
  feedback_id  bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  customer_id  integer NOT NULL REFERENCES customer ON DELETE RESTRICT,
  member_id    integer REFERENCES member ON DELETE RESTRICT,
  kind         feedback_kind NOT NULL,
  status       feedback_status NOT NULL DEFAULT 'open',
  summary      text NOT NULL CHECK (btrim(summary) <> ''),
  opened_at    timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz,
  CONSTRAINT feedback_resolved_iff_final
    CHECK ((status IN ('resolved', 'rejected')) = (resolved_at IS NOT NULL)),
  CONSTRAINT feedback_resolved_after_opened CHECK (resolved_at >= opened_at)
);
CREATE INDEX feedback_customer_idx ON feedback (customer_id, opened_at);
CREATE INDEX feedback_unresolved_idx ON feedback (opened_at) WHERE resolved_at IS NULL;
COMMENT ON TABLE feedback IS 'Customer feedback items (complaint, suggestion, praise) with their status and open/resolve times.';
COMMENT ON COLUMN feedback.feedback_id IS 'Feedback identifier.';
COMMENT ON COLUMN feedback.customer_id IS 'Customer who gave the feedback.';
COMMENT ON COLUMN feedback.member_id IS 'Member who handles the item.';
COMMENT ON COLUMN feedback.kind IS 'complaint, suggestion or praise.';
COMMENT ON COLUMN feedback.status IS 'open, in_progress, resolved or rejected.';
COMMENT ON COLUMN feedback.summary IS 'What the customer said.';
COMMENT ON COLUMN feedback.opened_at IS 'When the item was received.';
COMMENT ON COLUMN feedback.resolved_at IS 'When the item was resolved or rejected; set exactly for the final states.';

CREATE TABLE survey_response (
  response_id  bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  customer_id  integer NOT NULL REFERENCES customer ON DELETE RESTRICT,
  member_id    integer REFERENCES member ON DELETE RESTRICT,
  answered_at  timestamptz NOT NULL,
  csat         smallint CHECK (csat BETWEEN 1 AND 5),
  nps          smallint CHECK (nps BETWEEN 0 AND 10),
  comment      text,
  CONSTRAINT survey_response_has_answer CHECK (csat IS NOT NULL OR nps IS NOT NULL)
);
CREATE INDEX survey_response_customer_idx ON survey_response (customer_id, answered_at);
CREATE INDEX survey_response_member_idx ON survey_response (member_id, answered_at);
COMMENT ON TABLE survey_response IS 'Customer-satisfaction survey answers: CSAT on 1..5 and/or NPS on 0..10.';
COMMENT ON COLUMN survey_response.response_id IS 'Response identifier.';
COMMENT ON COLUMN survey_response.customer_id IS 'Customer who answered.';
COMMENT ON COLUMN survey_response.member_id IS 'Member the answer is attributed to (the customer''s rep at the time).';
COMMENT ON COLUMN survey_response.answered_at IS 'When the survey was answered.';
COMMENT ON COLUMN survey_response.csat IS 'Customer satisfaction 1..5 (NULL if not asked).';
COMMENT ON COLUMN survey_response.nps IS 'Likelihood to recommend 0..10 (NULL if not asked).';
COMMENT ON COLUMN survey_response.comment IS 'Free-text comment.';

-- ---------------------------------------------------------------------------
-- Sales
-- ---------------------------------------------------------------------------

CREATE TABLE product_category (
  category_id  integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name         text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
  description  text
);
COMMENT ON TABLE product_category IS 'Product categories sales lines are booked under.';
COMMENT ON COLUMN product_category.category_id IS 'Category identifier.';
COMMENT ON COLUMN product_category.name IS 'Category name, unique.';
COMMENT ON COLUMN product_category.description IS 'What the category covers.';

CREATE TABLE sale (
  sale_id      bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  sold_on      date NOT NULL,
  member_id    integer NOT NULL,
  customer_id  integer NOT NULL,
  category_id  integer NOT NULL,
  amount       numeric(14,2) NOT NULL,
  refund_of    bigint,
  CONSTRAINT sale_member_fk FOREIGN KEY (member_id) REFERENCES member ON DELETE RESTRICT,
  CONSTRAINT sale_customer_fk FOREIGN KEY (customer_id) REFERENCES customer ON DELETE RESTRICT,
  CONSTRAINT sale_category_fk FOREIGN KEY (category_id) REFERENCES product_category ON DELETE RESTRICT,
  CONSTRAINT sale_refund_of_fk FOREIGN KEY (refund_of) REFERENCES sale ON DELETE RESTRICT,
  CONSTRAINT sale_amount_sign CHECK (CASE WHEN refund_of IS NULL THEN amount > 0 ELSE amount < 0 END)
);
CREATE INDEX sale_member_idx ON sale (member_id, sold_on);
CREATE INDEX sale_customer_idx ON sale (customer_id, sold_on);
CREATE INDEX sale_sold_on_brin ON sale USING brin (sold_on);
CREATE INDEX sale_refund_of_idx ON sale (refund_of) WHERE refund_of IS NOT NULL;
COMMENT ON TABLE sale IS
'Sales lines: who sold what category to which customer on which day for how much. A refund or cancellation is a new negative line pointing at the line it reverses (refund_of); lines are never edited to undo a sale.';
COMMENT ON COLUMN sale.sale_id IS 'Sales line identifier.';
COMMENT ON COLUMN sale.sold_on IS 'Date of the sale (booking date).';
COMMENT ON COLUMN sale.member_id IS 'Rep the line is booked to; gets 100 % of the credit unless sale_credit splits it.';
COMMENT ON COLUMN sale.customer_id IS 'Customer who bought.';
COMMENT ON COLUMN sale.category_id IS 'Product category.';
COMMENT ON COLUMN sale.amount IS 'Amount in the company currency, exact to the cent; positive for a sale, negative for a refund line.';
COMMENT ON COLUMN sale.refund_of IS 'For a refund or cancellation line: the sales line it reverses; NULL for a sale.';

CREATE TABLE sale_credit (
  sale_id      bigint NOT NULL REFERENCES sale ON DELETE CASCADE,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  share_pct    numeric(5,2) NOT NULL CHECK (share_pct > 0 AND share_pct <= 100),
  PRIMARY KEY (sale_id, member_id)
);
CREATE INDEX sale_credit_member_idx ON sale_credit (member_id);
COMMENT ON TABLE sale_credit IS
'Split of a sales line''s credit between reps by percentage. A sale without rows here credits 100 % to sale.member_id; a sale with rows must have shares summing to exactly 100 (checked at commit by a deferred constraint trigger).';
COMMENT ON COLUMN sale_credit.sale_id IS 'Sales line being split (the split goes with the line).';
COMMENT ON COLUMN sale_credit.member_id IS 'Rep credited.';
COMMENT ON COLUMN sale_credit.share_pct IS 'Share of the line credited to the rep, in percent (0 < share <= 100).';

CREATE TABLE opportunity (
  opportunity_id  bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  customer_id     integer NOT NULL REFERENCES customer ON DELETE RESTRICT,
  member_id       integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  name            text NOT NULL CHECK (btrim(name) <> ''),
  stage           opportunity_stage NOT NULL DEFAULT 'prospecting',
  amount          numeric(14,2) NOT NULL CHECK (amount >= 0),
  probability     smallint NOT NULL CHECK (probability BETWEEN 0 AND 100),
  created_on      date NOT NULL DEFAULT CURRENT_DATE,
  expected_close  date NOT NULL,
  closed_on       date,
  CONSTRAINT opportunity_closed_iff_final CHECK ((stage IN ('won', 'lost')) = (closed_on IS NOT NULL)),
  CONSTRAINT opportunity_won_is_certain CHECK (stage <> 'won' OR probability = 100),
  CONSTRAINT opportunity_lost_is_zero CHECK (stage <> 'lost' OR probability = 0),
  CONSTRAINT opportunity_close_after_create CHECK (expected_close >= created_on)
);
CREATE INDEX opportunity_member_idx ON opportunity (member_id, expected_close);
CREATE INDEX opportunity_customer_idx ON opportunity (customer_id);
COMMENT ON TABLE opportunity IS 'Sales pipeline: open and closed opportunities with stage, amount, probability and expected close date.';
COMMENT ON COLUMN opportunity.opportunity_id IS 'Opportunity identifier.';
COMMENT ON COLUMN opportunity.customer_id IS 'Customer the deal is with.';
COMMENT ON COLUMN opportunity.member_id IS 'Rep who owns the deal.';
COMMENT ON COLUMN opportunity.name IS 'Short name of the deal.';
COMMENT ON COLUMN opportunity.stage IS 'Pipeline stage; won and lost are closed.';
COMMENT ON COLUMN opportunity.amount IS 'Expected deal amount.';
COMMENT ON COLUMN opportunity.probability IS 'Probability of winning, 0..100 percent (100 when won, 0 when lost).';
COMMENT ON COLUMN opportunity.created_on IS 'Date the opportunity was opened.';
COMMENT ON COLUMN opportunity.expected_close IS 'Date the deal is expected to close.';
COMMENT ON COLUMN opportunity.closed_on IS 'Date the deal was won or lost; set exactly for closed stages.';

-- ---------------------------------------------------------------------------
-- Plans: fiscal calendar, quotas, seasonality, tasks, training, reports
-- ---------------------------------------------------------------------------

CREATE TABLE fiscal_period (
  period_id    integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  kind         period_kind NOT NULL,
  fiscal_year  integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 9999),
  quarter      smallint CHECK (quarter BETWEEN 1 AND 4),
  month        smallint CHECK (month BETWEEN 1 AND 12),
  start_on     date NOT NULL,
  end_on       date NOT NULL,
  CONSTRAINT fiscal_period_start_before_end CHECK (start_on < end_on),
  CONSTRAINT fiscal_period_shape CHECK (
    CASE kind WHEN 'year'    THEN quarter IS NULL AND month IS NULL
              WHEN 'quarter' THEN quarter IS NOT NULL AND month IS NULL
              ELSE month IS NOT NULL END),
  CONSTRAINT fiscal_period_unique UNIQUE NULLS NOT DISTINCT (kind, fiscal_year, quarter, month),
  -- One exclusion constraint per kind (partial, so no btree_gist is needed for
  -- the equality on kind): periods of the same kind never overlap.
  CONSTRAINT fiscal_period_no_overlap_year EXCLUDE USING gist
    (daterange(start_on, end_on, '[]') WITH &&) WHERE (kind = 'year'),
  CONSTRAINT fiscal_period_no_overlap_quarter EXCLUDE USING gist
    (daterange(start_on, end_on, '[]') WITH &&) WHERE (kind = 'quarter'),
  CONSTRAINT fiscal_period_no_overlap_month EXCLUDE USING gist
    (daterange(start_on, end_on, '[]') WITH &&) WHERE (kind = 'month')
);
COMMENT ON TABLE fiscal_period IS
'Fiscal calendar: years, quarters and months with their dates (both ends inclusive). Periods of the same kind never overlap (exclusion constraints); a month carries its quarter when the company uses fiscal quarters.';
COMMENT ON COLUMN fiscal_period.period_id IS 'Period identifier.';
COMMENT ON COLUMN fiscal_period.kind IS 'year, quarter or month.';
COMMENT ON COLUMN fiscal_period.fiscal_year IS 'Fiscal year the period belongs to.';
COMMENT ON COLUMN fiscal_period.quarter IS 'Quarter 1..4 (quarters and, optionally, months); NULL for a year.';
COMMENT ON COLUMN fiscal_period.month IS 'Month number 1..12 of the fiscal year (months only).';
COMMENT ON COLUMN fiscal_period.start_on IS 'First day of the period.';
COMMENT ON COLUMN fiscal_period.end_on IS 'Last day of the period (inclusive); after start_on.';

CREATE TABLE quota (
  quota_id      integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  period_id     integer NOT NULL REFERENCES fiscal_period ON DELETE RESTRICT,
  member_id     integer REFERENCES member ON DELETE RESTRICT,
  team_id       integer REFERENCES team ON DELETE RESTRICT,
  amount        numeric(14,2) NOT NULL CHECK (amount >= 0),
  method        text NOT NULL CHECK (method IN ('manual', 'top_down', 'bottom_up', 'seasonal', 'ramp', 'history', 'equal')),
  locked        boolean NOT NULL DEFAULT false,
  allocated_at  timestamptz NOT NULL DEFAULT now(),
  allocated_by  name NOT NULL DEFAULT session_user,
  CONSTRAINT quota_member_xor_team CHECK (num_nonnulls(member_id, team_id) = 1)
);
CREATE UNIQUE INDEX quota_member_period_key ON quota (member_id, period_id) WHERE member_id IS NOT NULL;
CREATE UNIQUE INDEX quota_team_period_key ON quota (team_id, period_id) WHERE team_id IS NOT NULL;
CREATE INDEX quota_period_idx ON quota (period_id);
COMMENT ON TABLE quota IS
'Sales quotas per rep or per team and period, with the allocation method recorded and a lock. A locked quota cannot be changed or deleted (only unlocked, which is audited like every change).';
COMMENT ON COLUMN quota.quota_id IS 'Quota identifier.';
COMMENT ON COLUMN quota.period_id IS 'Fiscal period the quota covers.';
COMMENT ON COLUMN quota.member_id IS 'Rep the quota is for (exactly one of member_id, team_id).';
COMMENT ON COLUMN quota.team_id IS 'Team the quota is for (exactly one of member_id, team_id).';
COMMENT ON COLUMN quota.amount IS 'Quota amount in the company currency.';
COMMENT ON COLUMN quota.method IS 'How the amount was allocated: manual, top_down, bottom_up, seasonal, ramp, history or equal.';
COMMENT ON COLUMN quota.locked IS 'True once the quota is final; a locked quota can only be unlocked.';
COMMENT ON COLUMN quota.allocated_at IS 'When the amount was allocated.';
COMMENT ON COLUMN quota.allocated_by IS 'Session user who allocated it.';

CREATE TABLE seasonal_distribution (
  name         text NOT NULL CHECK (btrim(name) <> ''),
  fiscal_year  integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 9999),
  month        smallint NOT NULL CHECK (month BETWEEN 1 AND 12),
  share_pct    numeric(7,4) NOT NULL CHECK (share_pct >= 0 AND share_pct <= 100),
  PRIMARY KEY (name, fiscal_year, month)
);
COMMENT ON TABLE seasonal_distribution IS
'Seasonality used to spread a yearly quota over months: a named distribution per fiscal year must cover all 12 months and sum to exactly 100 % (deferred constraint trigger, checked at commit).';
COMMENT ON COLUMN seasonal_distribution.name IS 'Name of the distribution (for example default, retail).';
COMMENT ON COLUMN seasonal_distribution.fiscal_year IS 'Fiscal year the distribution applies to.';
COMMENT ON COLUMN seasonal_distribution.month IS 'Month 1..12 of the fiscal year.';
COMMENT ON COLUMN seasonal_distribution.share_pct IS 'Share of the year in this month, percent.';

CREATE TABLE forecast (
  forecast_id   bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  member_id     integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  period_id     integer NOT NULL REFERENCES fiscal_period ON DELETE RESTRICT,
  amount        numeric(14,2) NOT NULL CHECK (amount >= 0),
  submitted_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT forecast_one_per_instant UNIQUE (member_id, period_id, submitted_at)
);
CREATE INDEX forecast_period_idx ON forecast (period_id);
COMMENT ON TABLE forecast IS 'Sales forecasts submitted by reps per period; resubmissions are kept as history (the latest counts).';
COMMENT ON COLUMN forecast.forecast_id IS 'Forecast identifier.';
COMMENT ON COLUMN forecast.member_id IS 'Rep who submitted the forecast.';
COMMENT ON COLUMN forecast.period_id IS 'Period forecast.';
COMMENT ON COLUMN forecast.amount IS 'Forecast sales amount for the period.';
COMMENT ON COLUMN forecast.submitted_at IS 'When the forecast was submitted.';

CREATE TABLE task (
  task_id      bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  title        text NOT NULL CHECK (btrim(title) <> ''),
  description  text,
  assigned_to  integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  assigned_by  integer REFERENCES member ON DELETE RESTRICT,
  customer_id  integer REFERENCES customer ON DELETE RESTRICT,
  due_on       date,
  status       task_status NOT NULL DEFAULT 'open',
  created_at   timestamptz NOT NULL DEFAULT now(),
  done_at      timestamptz,
  CONSTRAINT task_done_iff_done_at CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX task_assigned_to_idx ON task (assigned_to, status);
COMMENT ON TABLE task IS 'Tasks supervisors assign to members (optionally about a customer), with due date and status.';
COMMENT ON COLUMN task.task_id IS 'Task identifier.';
COMMENT ON COLUMN task.title IS 'What is to be done.';
COMMENT ON COLUMN task.description IS 'Details.';
COMMENT ON COLUMN task.assigned_to IS 'Member who must do it.';
COMMENT ON COLUMN task.assigned_by IS 'Member who assigned it.';
COMMENT ON COLUMN task.customer_id IS 'Customer the task is about, if any.';
COMMENT ON COLUMN task.due_on IS 'Due date.';
COMMENT ON COLUMN task.status IS 'open, in_progress, done or cancelled.';
COMMENT ON COLUMN task.created_at IS 'When the task was assigned.';
COMMENT ON COLUMN task.done_at IS 'When it was done; set exactly for status done.';

CREATE TABLE training_session (
  session_id   integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  title        text NOT NULL CHECK (btrim(title) <> ''),
  topic        text,
  held_on      date NOT NULL,
  hours        numeric(5,2) NOT NULL CHECK (hours > 0 AND hours <= 100),
  trainer_id   integer REFERENCES member ON DELETE RESTRICT,
  team_id      integer REFERENCES team ON DELETE RESTRICT
);
CREATE INDEX training_session_held_on_idx ON training_session (held_on);
COMMENT ON TABLE training_session IS 'Training sessions organised to raise selling skills.';
COMMENT ON COLUMN training_session.session_id IS 'Session identifier.';
COMMENT ON COLUMN training_session.title IS 'Title of the session.';
COMMENT ON COLUMN training_session.topic IS 'Topic (product, negotiation, CRM, ...).';
COMMENT ON COLUMN training_session.held_on IS 'Date held.';
COMMENT ON COLUMN training_session.hours IS 'Length in hours.';
COMMENT ON COLUMN training_session.trainer_id IS 'Member who trained, if internal.';
COMMENT ON COLUMN training_session.team_id IS 'Team the session was organised for, if any.';

CREATE TABLE training_attendance (
  session_id   integer NOT NULL REFERENCES training_session ON DELETE CASCADE,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  attended     boolean NOT NULL DEFAULT true,
  score        numeric(5,2) CHECK (score BETWEEN 0 AND 100),
  PRIMARY KEY (session_id, member_id)
);
CREATE INDEX training_attendance_member_idx ON training_attendance (member_id);
COMMENT ON TABLE training_attendance IS 'Who was invited to / attended which training session, with an optional test score.';
COMMENT ON COLUMN training_attendance.session_id IS 'Training session (attendance goes with the session).';
COMMENT ON COLUMN training_attendance.member_id IS 'Member invited.';
COMMENT ON COLUMN training_attendance.attended IS 'True if the member attended.';
COMMENT ON COLUMN training_attendance.score IS 'Test score 0..100, if tested.';

CREATE TABLE work_report (
  report_id     bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  member_id     integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  kind          text NOT NULL CHECK (kind IN ('weekly', 'monthly', 'quarterly', 'yearly')),
  due_on        date NOT NULL,
  submitted_at  timestamptz,
  body          text,
  CONSTRAINT work_report_one_per_due UNIQUE (member_id, kind, due_on),
  CONSTRAINT work_report_body_when_submitted CHECK (body IS NULL OR submitted_at IS NOT NULL)
);
CREATE INDEX work_report_due_idx ON work_report (due_on) WHERE submitted_at IS NULL;
COMMENT ON TABLE work_report IS 'Work reports members owe (due date) and when they submitted them; on time means submitted_at::date <= due_on.';
COMMENT ON COLUMN work_report.report_id IS 'Report identifier.';
COMMENT ON COLUMN work_report.member_id IS 'Member who owes the report.';
COMMENT ON COLUMN work_report.kind IS 'weekly, monthly, quarterly or yearly.';
COMMENT ON COLUMN work_report.due_on IS 'Date the report is due.';
COMMENT ON COLUMN work_report.submitted_at IS 'When it was submitted; NULL while outstanding.';
COMMENT ON COLUMN work_report.body IS 'The report text.';

-- A report's submission time is the server's clock, not what the client says
-- (superusers importing history and pg_restore keep the value given).
CREATE FUNCTION work_report_stamp()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF NEW.submitted_at IS NOT NULL
     AND (TG_OP = 'INSERT' OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at)
     AND current_setting('is_superuser') = 'off' THEN
    NEW.submitted_at := now();
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION work_report_stamp() IS 'Trigger: a work report''s submission time is set to the transaction time for everyone but superusers.';
CREATE TRIGGER work_report_stamp BEFORE INSERT OR UPDATE OF submitted_at ON work_report
  FOR EACH ROW EXECUTE FUNCTION work_report_stamp();

-- ---------------------------------------------------------------------------
-- Appraisal
-- ---------------------------------------------------------------------------

CREATE TABLE appraisal_cycle (
  cycle_id          integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  fiscal_year       integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 9999),
  name              text NOT NULL CHECK (btrim(name) <> ''),
  state             cycle_state NOT NULL DEFAULT 'open',
  rating_scale_min  numeric(6,2) NOT NULL DEFAULT 1,
  rating_scale_max  numeric(6,2) NOT NULL DEFAULT 5,
  opened_at         timestamptz NOT NULL DEFAULT now(),
  closed_at         timestamptz,
  CONSTRAINT appraisal_cycle_scale CHECK (rating_scale_min < rating_scale_max),
  CONSTRAINT appraisal_cycle_closed_at CHECK ((state = 'closed') = (closed_at IS NOT NULL))
);
CREATE UNIQUE INDEX appraisal_cycle_one_unclosed_per_year ON appraisal_cycle (fiscal_year)
  WHERE state <> 'closed';
COMMENT ON TABLE appraisal_cycle IS
'Yearly appraisal cycles. State moves open -> reviewing -> calibrating -> closed (one step at a time, one step back before closing); leaving open checks that weights sum to 100; a closed cycle is reopened only by reopen_appraisal_cycle(), which is audited. At most one cycle per year is not closed. The rating scale is configured per cycle.';
COMMENT ON COLUMN appraisal_cycle.cycle_id IS 'Cycle identifier.';
COMMENT ON COLUMN appraisal_cycle.fiscal_year IS 'Fiscal year appraised.';
COMMENT ON COLUMN appraisal_cycle.name IS 'Display name (for example Appraisal 2025).';
COMMENT ON COLUMN appraisal_cycle.state IS 'open, reviewing, calibrating or closed.';
COMMENT ON COLUMN appraisal_cycle.rating_scale_min IS 'Lowest score a review may give in this cycle.';
COMMENT ON COLUMN appraisal_cycle.rating_scale_max IS 'Highest score a review may give in this cycle.';
COMMENT ON COLUMN appraisal_cycle.opened_at IS 'When the cycle was opened.';
COMMENT ON COLUMN appraisal_cycle.closed_at IS 'When the cycle was closed; set exactly while closed.';

CREATE TABLE appraisal_component_weight (
  cycle_id   integer NOT NULL REFERENCES appraisal_cycle ON DELETE CASCADE,
  level      member_level NOT NULL,
  component  appraisal_component NOT NULL,
  weight     numeric(5,2) NOT NULL CHECK (weight > 0 AND weight <= 100),
  PRIMARY KEY (cycle_id, level, component)
);
COMMENT ON TABLE appraisal_component_weight IS
'Weight of each appraisal component per cycle and career level, in percent. The weights of one cycle and level sum to 100 (checked when the cycle leaves open); a component missing for a level has no row, and the final score renormalises over the components a person actually has.';
COMMENT ON COLUMN appraisal_component_weight.cycle_id IS 'Cycle configured (weights go with the cycle).';
COMMENT ON COLUMN appraisal_component_weight.level IS 'Career level the weights apply to.';
COMMENT ON COLUMN appraisal_component_weight.component IS 'Appraisal component.';
COMMENT ON COLUMN appraisal_component_weight.weight IS 'Weight in percent, 0 < weight <= 100.';

CREATE TABLE kpi_definition (
  kpi_id            integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  code              text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  name              text NOT NULL CHECK (btrim(name) <> ''),
  metric            text NOT NULL CHECK (btrim(metric) <> ''),
  higher_is_better  boolean NOT NULL DEFAULT true,
  curve             score_curve NOT NULL DEFAULT 'linear[(0,0),(1,100),(1.5,150)]',
  component         appraisal_component NOT NULL DEFAULT 'individual_performance',
  unit              text
);
COMMENT ON TABLE kpi_definition IS 'KPI definitions: what is measured, in which direction, and the curve that turns attainment into points.';
COMMENT ON COLUMN kpi_definition.kpi_id IS 'KPI identifier.';
COMMENT ON COLUMN kpi_definition.code IS 'Stable short code (lower-case identifier).';
COMMENT ON COLUMN kpi_definition.name IS 'Display name.';
COMMENT ON COLUMN kpi_definition.metric IS 'What is measured (for example sales_amount, visits_done, csat).';
COMMENT ON COLUMN kpi_definition.higher_is_better IS 'Direction passed to kpi_attainment (false for costs, churn, days overdue).';
COMMENT ON COLUMN kpi_definition.curve IS 'Score curve that turns attainment into points (for example linear[(0.5,0),(1,100),(1.5,150)]); a score_curve value, validated when it is written.';
COMMENT ON COLUMN kpi_definition.component IS 'Appraisal component the KPI feeds.';
COMMENT ON COLUMN kpi_definition.unit IS 'Unit of the actual and target values.';

CREATE TABLE kpi_weight (
  cycle_id  integer NOT NULL REFERENCES appraisal_cycle ON DELETE CASCADE,
  level     member_level NOT NULL,
  kpi_id    integer NOT NULL REFERENCES kpi_definition ON DELETE RESTRICT,
  weight    numeric(5,2) NOT NULL CHECK (weight > 0 AND weight <= 100),
  PRIMARY KEY (cycle_id, level, kpi_id)
);
COMMENT ON TABLE kpi_weight IS 'Weight of each KPI per cycle and career level, percent; the weights of one cycle and level sum to 100 (checked when the cycle leaves open).';
COMMENT ON COLUMN kpi_weight.cycle_id IS 'Cycle configured.';
COMMENT ON COLUMN kpi_weight.level IS 'Career level the weight applies to.';
COMMENT ON COLUMN kpi_weight.kpi_id IS 'KPI weighted.';
COMMENT ON COLUMN kpi_weight.weight IS 'Weight in percent, 0 < weight <= 100.';

CREATE TABLE kpi_result (
  cycle_id     integer NOT NULL REFERENCES appraisal_cycle ON DELETE RESTRICT,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  kpi_id       integer NOT NULL REFERENCES kpi_definition ON DELETE RESTRICT,
  actual       numeric NOT NULL,
  target       numeric NOT NULL CHECK (target >= 0),
  attainment   numeric,
  score        double precision CHECK (score >= 0),
  computed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, member_id, kpi_id)
);
CREATE INDEX kpi_result_member_idx ON kpi_result (member_id);
COMMENT ON TABLE kpi_result IS 'Per cycle, member and KPI: actual, target, attainment and points; frozen when the cycle is closed.';
COMMENT ON COLUMN kpi_result.cycle_id IS 'Cycle scored.';
COMMENT ON COLUMN kpi_result.member_id IS 'Member scored.';
COMMENT ON COLUMN kpi_result.kpi_id IS 'KPI scored.';
COMMENT ON COLUMN kpi_result.actual IS 'Actual value achieved.';
COMMENT ON COLUMN kpi_result.target IS 'Target value.';
COMMENT ON COLUMN kpi_result.attainment IS 'kpi_attainment(actual, target, direction); NULL when the target is 0.';
COMMENT ON COLUMN kpi_result.score IS 'Points from the KPI''s curve.';
COMMENT ON COLUMN kpi_result.computed_at IS 'When it was computed.';

CREATE TABLE review (
  review_id     bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  cycle_id      integer NOT NULL REFERENCES appraisal_cycle ON DELETE RESTRICT,
  reviewer_id   integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  reviewee_id   integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  rater_role    rater_role NOT NULL,
  comment       text,
  submitted_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT review_self_only_as_self CHECK ((reviewer_id = reviewee_id) = (rater_role = 'self')),
  CONSTRAINT review_one_per_rater UNIQUE (cycle_id, reviewer_id, reviewee_id, rater_role)
);
CREATE INDEX review_reviewee_idx ON review (reviewee_id, cycle_id);
CREATE INDEX review_reviewer_idx ON review (reviewer_id);
COMMENT ON TABLE review IS
'360-degree reviews: one per cycle, reviewer, reviewee and rater role. A member reviews themself only as rater_role self, and self reviews are only of oneself. Reviewers see what they wrote; reviewees see only aggregates (my_review_summary), never who the peer reviewers were.';
COMMENT ON COLUMN review.review_id IS 'Review identifier.';
COMMENT ON COLUMN review.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN review.reviewer_id IS 'Member who wrote the review (hidden from the reviewee).';
COMMENT ON COLUMN review.reviewee_id IS 'Member reviewed.';
COMMENT ON COLUMN review.rater_role IS 'self, supervisor, peer or subordinate.';
COMMENT ON COLUMN review.comment IS 'Free-text comment (never shown to the reviewee for peer and subordinate reviews).';
COMMENT ON COLUMN review.submitted_at IS 'When the review was submitted.';

CREATE TABLE review_score (
  review_id  bigint NOT NULL REFERENCES review ON DELETE CASCADE,
  criterion  text NOT NULL CHECK (criterion ~ '^[a-z][a-z0-9_]*$'),
  score      numeric(6,2) NOT NULL,
  PRIMARY KEY (review_id, criterion)
);
COMMENT ON TABLE review_score IS 'Criterion scores of a review; each score lies within the rating scale of the review''s cycle (trigger).';
COMMENT ON COLUMN review_score.review_id IS 'Review the score belongs to (scores go with the review).';
COMMENT ON COLUMN review_score.criterion IS 'Criterion scored (lower-case identifier, for example teamwork, customer_focus).';
COMMENT ON COLUMN review_score.score IS 'Score within [rating_scale_min, rating_scale_max] of the cycle.';

CREATE TABLE grade_policy (
  cycle_id           integer NOT NULL REFERENCES appraisal_cycle ON DELETE CASCADE,
  grade              text NOT NULL CHECK (btrim(grade) <> ''),
  ordinal            smallint NOT NULL CHECK (ordinal >= 1),
  distribution_pct   numeric(5,2) CHECK (distribution_pct >= 0 AND distribution_pct <= 100),
  raise_pct          numeric(6,3) NOT NULL DEFAULT 0 CHECK (raise_pct BETWEEN -100 AND 100),
  bonus_multiplier   numeric(6,3) NOT NULL DEFAULT 1 CHECK (bonus_multiplier >= 0),
  reward_or_penalty  numeric(14,2) NOT NULL DEFAULT 0,
  PRIMARY KEY (cycle_id, grade),
  CONSTRAINT grade_policy_ordinal_unique UNIQUE (cycle_id, ordinal)
);
COMMENT ON TABLE grade_policy IS 'Grades of a cycle, best first, with the forced-distribution share and what each grade means for pay: raise, bonus multiplier, one-off reward (positive) or penalty (negative).';
COMMENT ON COLUMN grade_policy.cycle_id IS 'Cycle the grades belong to.';
COMMENT ON COLUMN grade_policy.grade IS 'Grade label (for example A, B, C, D).';
COMMENT ON COLUMN grade_policy.ordinal IS 'Position of the grade, 1 = best.';
COMMENT ON COLUMN grade_policy.distribution_pct IS 'Target share of people with this grade under forced distribution, percent; NULL when grades are not forced.';
COMMENT ON COLUMN grade_policy.raise_pct IS 'Salary raise in percent (negative for a cut).';
COMMENT ON COLUMN grade_policy.bonus_multiplier IS 'Multiplier applied to the on-target year-end bonus.';
COMMENT ON COLUMN grade_policy.reward_or_penalty IS 'One-off reward (positive) or penalty (negative) amount.';

CREATE TABLE appraisal_result (
  cycle_id                integer NOT NULL REFERENCES appraisal_cycle ON DELETE RESTRICT,
  member_id               integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  level                   member_level NOT NULL,
  team_performance        double precision CHECK (team_performance >= 0),
  individual_performance  double precision CHECK (individual_performance >= 0),
  team_management         double precision CHECK (team_management >= 0),
  customer_satisfaction   double precision CHECK (customer_satisfaction >= 0),
  final_score             double precision CHECK (final_score >= 0),
  rank                    integer CHECK (rank >= 1),
  percentile              numeric(5,2) CHECK (percentile BETWEEN 0 AND 100),
  grade                   text,
  computed_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, member_id),
  CONSTRAINT appraisal_result_grade_fk FOREIGN KEY (cycle_id, grade)
    REFERENCES grade_policy (cycle_id, grade) ON DELETE RESTRICT
);
CREATE INDEX appraisal_result_member_idx ON appraisal_result (member_id);
COMMENT ON TABLE appraisal_result IS
'Appraisal outcome per cycle and member: the four component scores, final score, rank, percentile and grade. Rows of a closed cycle cannot be inserted, changed or deleted by anyone; reopen_appraisal_cycle() (audited) is the only way back. Every change is audited.';
COMMENT ON COLUMN appraisal_result.cycle_id IS 'Cycle.';
COMMENT ON COLUMN appraisal_result.member_id IS 'Member appraised.';
COMMENT ON COLUMN appraisal_result.level IS 'Career level at appraisal time (selects the component weights).';
COMMENT ON COLUMN appraisal_result.team_performance IS 'Team performance component score; NULL when the component does not apply.';
COMMENT ON COLUMN appraisal_result.individual_performance IS 'Individual performance component score.';
COMMENT ON COLUMN appraisal_result.team_management IS 'Team management component score; NULL for people who manage nobody.';
COMMENT ON COLUMN appraisal_result.customer_satisfaction IS 'Customer satisfaction component score.';
COMMENT ON COLUMN appraisal_result.final_score IS 'Weighted final score, renormalised over the components present.';
COMMENT ON COLUMN appraisal_result.rank IS 'Rank within the calibration group, 1 = best.';
COMMENT ON COLUMN appraisal_result.percentile IS 'Percentile within the calibration group, 0..100.';
COMMENT ON COLUMN appraisal_result.grade IS 'Grade given (a grade of the cycle''s grade_policy).';
COMMENT ON COLUMN appraisal_result.computed_at IS 'When the result was computed.';

CREATE TABLE promotion_rule (
  rule_id                 integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  from_level              member_level NOT NULL,
  to_level                member_level NOT NULL,
  qualifying_grades       text[] NOT NULL CHECK (cardinality(qualifying_grades) > 0),
  consecutive_years       smallint NOT NULL DEFAULT 1 CHECK (consecutive_years BETWEEN 1 AND 10),
  min_tenure_months       smallint NOT NULL DEFAULT 0 CHECK (min_tenure_months >= 0),
  active                  boolean NOT NULL DEFAULT true,
  CONSTRAINT promotion_rule_upward CHECK (to_level > from_level),
  CONSTRAINT promotion_rule_unique UNIQUE (from_level, to_level)
);
COMMENT ON TABLE promotion_rule IS 'Promotion rules: a member at from_level becomes a candidate for to_level after consecutive_years appraisal grades in qualifying_grades and min_tenure_months since hire.';
COMMENT ON COLUMN promotion_rule.rule_id IS 'Rule identifier.';
COMMENT ON COLUMN promotion_rule.from_level IS 'Current level.';
COMMENT ON COLUMN promotion_rule.to_level IS 'Level promoted to (higher on the ladder).';
COMMENT ON COLUMN promotion_rule.qualifying_grades IS 'Grades that count towards promotion (for example {A,B}).';
COMMENT ON COLUMN promotion_rule.consecutive_years IS 'Number of consecutive closed cycles with a qualifying grade.';
COMMENT ON COLUMN promotion_rule.min_tenure_months IS 'Minimum months since hire.';
COMMENT ON COLUMN promotion_rule.active IS 'False to keep a rule without applying it.';

CREATE TABLE promotion_candidate (
  cycle_id    integer NOT NULL REFERENCES appraisal_cycle ON DELETE RESTRICT,
  member_id   integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  rule_id     integer NOT NULL REFERENCES promotion_rule ON DELETE RESTRICT,
  status      text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
  note        text,
  listed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, member_id, rule_id)
);
CREATE INDEX promotion_candidate_member_idx ON promotion_candidate (member_id);
COMMENT ON TABLE promotion_candidate IS 'Members a cycle''s results make eligible under a promotion rule, and the decision taken.';
COMMENT ON COLUMN promotion_candidate.cycle_id IS 'Cycle whose results qualified the member.';
COMMENT ON COLUMN promotion_candidate.member_id IS 'Candidate.';
COMMENT ON COLUMN promotion_candidate.rule_id IS 'Rule that made the member a candidate.';
COMMENT ON COLUMN promotion_candidate.status IS 'proposed, approved or rejected.';
COMMENT ON COLUMN promotion_candidate.note IS 'Reason for the decision.';
COMMENT ON COLUMN promotion_candidate.listed_at IS 'When the candidate was listed.';

CREATE TABLE promotion (
  promotion_id  integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  member_id     integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  from_level    member_level NOT NULL,
  to_level      member_level NOT NULL,
  effective_on  date NOT NULL,
  cycle_id      integer REFERENCES appraisal_cycle ON DELETE RESTRICT,
  approved_by   integer REFERENCES member ON DELETE RESTRICT,
  reason        text,
  CONSTRAINT promotion_changes_level CHECK (to_level <> from_level),
  CONSTRAINT promotion_not_self_approved CHECK (approved_by <> member_id)
);
CREATE INDEX promotion_member_idx ON promotion (member_id, effective_on);
COMMENT ON TABLE promotion IS 'Promotion history (a move down the ladder is recorded too, with a reason). Every change is audited.';
COMMENT ON COLUMN promotion.promotion_id IS 'Promotion identifier.';
COMMENT ON COLUMN promotion.member_id IS 'Member promoted.';
COMMENT ON COLUMN promotion.from_level IS 'Level before.';
COMMENT ON COLUMN promotion.to_level IS 'Level after.';
COMMENT ON COLUMN promotion.effective_on IS 'Date the new level takes effect.';
COMMENT ON COLUMN promotion.cycle_id IS 'Appraisal cycle that led to it, if any.';
COMMENT ON COLUMN promotion.approved_by IS 'Member who approved it (not the member promoted).';
COMMENT ON COLUMN promotion.reason IS 'Why.';

CREATE TABLE pay (
  member_id       integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  fiscal_year     integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 9999),
  base_salary     numeric(14,2) NOT NULL CHECK (base_salary >= 0),
  commission      numeric(14,2) NOT NULL DEFAULT 0,
  year_end_bonus  numeric(14,2) NOT NULL DEFAULT 0 CHECK (year_end_bonus >= 0),
  currency        char(3) NOT NULL DEFAULT 'CNY' CHECK (currency ~ '^[A-Z]{3}$'),
  PRIMARY KEY (member_id, fiscal_year)
);
COMMENT ON TABLE pay IS 'Yearly pay per member: base salary, performance commission and year-end bonus (personal data: the member and HR only).';
COMMENT ON COLUMN pay.member_id IS 'Member paid.';
COMMENT ON COLUMN pay.fiscal_year IS 'Fiscal year.';
COMMENT ON COLUMN pay.base_salary IS 'Base salary for the year.';
COMMENT ON COLUMN pay.commission IS 'Performance commission for the year (net of reversals, so it may be negative).';
COMMENT ON COLUMN pay.year_end_bonus IS 'Year-end bonus.';
COMMENT ON COLUMN pay.currency IS 'ISO 4217 currency code.';

-- ---------------------------------------------------------------------------
-- Commission ledger (append-only)
-- ---------------------------------------------------------------------------

CREATE TABLE commission_plan (
  plan_id      integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  period_id    integer NOT NULL REFERENCES fiscal_period ON DELETE RESTRICT,
  tiers        tier_table NOT NULL,
  on_target    numeric(14,2) CHECK (on_target >= 0),
  CONSTRAINT commission_plan_one_per_period UNIQUE (member_id, period_id)
);
COMMENT ON TABLE commission_plan IS 'Commission plan of a member for a period: the tier table and the on-target commission.';
COMMENT ON COLUMN commission_plan.plan_id IS 'Plan identifier.';
COMMENT ON COLUMN commission_plan.member_id IS 'Member the plan pays.';
COMMENT ON COLUMN commission_plan.period_id IS 'Period the plan covers.';
COMMENT ON COLUMN commission_plan.tiers IS 'Commission tiers of the plan (for example marginal[(0,0.02),(100000,0.03)] cap 50000); a tier_table value, validated when it is written.';
COMMENT ON COLUMN commission_plan.on_target IS 'On-target commission for the period, if the plan pays against attainment.';

CREATE TABLE commission_period_lock (
  period_id         integer PRIMARY KEY REFERENCES fiscal_period ON DELETE RESTRICT,
  locked_at         timestamptz NOT NULL DEFAULT now(),
  locked_by         name NOT NULL DEFAULT session_user,
  credited_from     date,
  credited_through  date,
  CONSTRAINT commission_period_lock_window CHECK ((credited_from IS NULL) = (credited_through IS NULL)
                                                 AND credited_from <= credited_through)
);
COMMENT ON TABLE commission_period_lock IS 'Commission periods that are locked (paid): no credit or payout line may be added for a locked period; corrections go into an open period. A period locked by run_commission() also records the sale dates its run credited.';
COMMENT ON COLUMN commission_period_lock.period_id IS 'Period locked.';
COMMENT ON COLUMN commission_period_lock.credited_from IS 'First sale date the run of the period credited (NULL when the period was locked without a run).';
COMMENT ON COLUMN commission_period_lock.credited_through IS 'Last sale date the run of the period credited: a line sold on or before it and inserted later is a late line (commission_late_sale).';
COMMENT ON COLUMN commission_period_lock.locked_at IS 'When it was locked.';
COMMENT ON COLUMN commission_period_lock.locked_by IS 'Session user who locked it.';

CREATE TABLE commission_credit (
  credit_id    bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  period_id    integer NOT NULL REFERENCES fiscal_period ON DELETE RESTRICT,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  kind         text NOT NULL,
  sold_in      date NOT NULL,
  lines        integer NOT NULL CHECK (lines > 0),
  amount       numeric(16,2) NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT commission_credit_kind CHECK (kind IN ('sales', 'refunds', 'late_sales', 'late_refunds')),
  CONSTRAINT commission_credit_month CHECK (extract(day FROM sold_in) = 1),
  CONSTRAINT commission_credit_sign CHECK (CASE WHEN kind IN ('sales', 'late_sales') THEN amount >= 0 ELSE amount <= 0 END),
  CONSTRAINT commission_credit_one_per_kind UNIQUE (period_id, member_id, kind, sold_in)
);
CREATE INDEX commission_credit_member_idx ON commission_credit (member_id, period_id);
CREATE INDEX commission_credit_sold_in_idx ON commission_credit (sold_in);
COMMENT ON TABLE commission_credit IS
'Append-only ledger of sales credit: per commission period, rep and month the lines were sold in, one line per kind -- the sales and the refund (reversal) lines sold in the dates the period''s run credited, and the late sales and refunds (sold in an earlier, locked window, inserted after its run). Amounts are the reps'' split credit in exact cents (allocate_quota, so a split line''s credits add up to it). Lines are never updated or deleted; commission_credit_line shows the sales lines behind each ledger line.';
COMMENT ON COLUMN commission_credit.credit_id IS 'Ledger line identifier.';
COMMENT ON COLUMN commission_credit.period_id IS 'Commission period the credit is booked in (must not be locked when written).';
COMMENT ON COLUMN commission_credit.member_id IS 'Rep credited.';
COMMENT ON COLUMN commission_credit.kind IS 'sales, refunds (reversal of sales: negative), late_sales or late_refunds.';
COMMENT ON COLUMN commission_credit.sold_in IS 'First day of the calendar month the credited lines were sold in.';
COMMENT ON COLUMN commission_credit.lines IS 'Sales lines credited to the rep in this ledger line (a split line counts once for each credited rep).';
COMMENT ON COLUMN commission_credit.amount IS 'Credited amount: >= 0 for sales, <= 0 for refunds.';
COMMENT ON COLUMN commission_credit.created_at IS 'When the line was written.';

CREATE TABLE commission_late_sale (
  sale_id             bigint PRIMARY KEY REFERENCES sale ON DELETE CASCADE,
  queued_at           timestamptz NOT NULL DEFAULT now(),
  credited_period_id  integer REFERENCES fiscal_period ON DELETE RESTRICT
);
CREATE INDEX commission_late_sale_waiting_idx ON commission_late_sale (sale_id) WHERE credited_period_id IS NULL;
COMMENT ON TABLE commission_late_sale IS
'Late sales lines: lines inserted (or moved by an update) into sale dates a commission run already credited. They are queued here by a trigger on sale and credited by the next run_commission(), whatever its period, as late_sales / late_refunds.';
COMMENT ON COLUMN commission_late_sale.sale_id IS 'The late sales line.';
COMMENT ON COLUMN commission_late_sale.queued_at IS 'When it was queued.';
COMMENT ON COLUMN commission_late_sale.credited_period_id IS 'Commission period whose run credited it; NULL while it waits.';

-- commission_run_gate: one row that every run_commission() updates.  A
-- REPEATABLE READ or SERIALIZABLE transaction that writes sales lines locks it
-- FOR SHARE first, and so fails with a serialization error (40001) instead of
-- writing, from a snapshot older than a run, a line the run did not see into
-- dates the run has locked.  It holds no data: its row is made by CREATE
-- EXTENSION and not dumped.
CREATE TABLE commission_run_gate (
  gate         boolean PRIMARY KEY DEFAULT true CHECK (gate),
  last_run_at  timestamptz
);
INSERT INTO commission_run_gate (gate) VALUES (true);
COMMENT ON TABLE commission_run_gate IS 'One row, updated by every commission run, that snapshot-isolated writers of sales lines lock to detect a run they cannot see (see commission_credited_through()). Holds no data.';
COMMENT ON COLUMN commission_run_gate.gate IS 'Always true: the table has one row.';
COMMENT ON COLUMN commission_run_gate.last_run_at IS 'When the last commission run started.';

CREATE TABLE commission_payout (
  payout_id    bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  period_id    integer NOT NULL REFERENCES fiscal_period ON DELETE RESTRICT,
  amount       numeric(14,2) NOT NULL,
  reverses_id  bigint UNIQUE REFERENCES commission_payout ON DELETE RESTRICT,
  note         text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX commission_payout_member_idx ON commission_payout (member_id, period_id);
COMMENT ON TABLE commission_payout IS 'Append-only ledger of commission payouts per member and period; corrections are reversal lines, never edits.';
COMMENT ON COLUMN commission_payout.payout_id IS 'Payout line identifier.';
COMMENT ON COLUMN commission_payout.member_id IS 'Member paid.';
COMMENT ON COLUMN commission_payout.period_id IS 'Period paid for (must not be locked when the line is written).';
COMMENT ON COLUMN commission_payout.amount IS 'Amount paid (negative on reversal lines).';
COMMENT ON COLUMN commission_payout.reverses_id IS 'Line this line reverses, if any.';
COMMENT ON COLUMN commission_payout.note IS 'Why the line was written.';
COMMENT ON COLUMN commission_payout.created_at IS 'When the line was written.';

-- ---------------------------------------------------------------------------
-- Integrity triggers (rules a CHECK cannot state)
-- ---------------------------------------------------------------------------

-- is_restoring(): pg_restore of a dump is running in this session.  pg_dump
-- carries the rows of the extension's tables as data of configuration tables,
-- and pg_restore loads them with the triggers enabled.  The triggers that guard
-- the workflow (a closed cycle takes no new results, a locked period no new
-- commission lines, visits only by the customer's current team, audit entries)
-- would refuse or duplicate history that was valid when it was written, so they
-- let pg_restore through.  Only a superuser can be restoring (the extension is
-- untrusted, so its dump is restored by a superuser, who can disable triggers
-- anyway); a normal role that sets application_name gains nothing.
CREATE FUNCTION is_restoring()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN pg_catalog.current_setting('application_name') OPERATOR(pg_catalog.=) 'pg_restore'
       AND pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.=) 'on';
COMMENT ON FUNCTION is_restoring() IS
'True while pg_restore (application_name pg_restore, as a superuser) loads a dump: the workflow triggers then accept historical rows as they were dumped and write no audit entries.';

-- team_is_within(ancestor, team): true when team is ancestor or lies in its subtree.
CREATE FUNCTION team_is_within(ancestor integer, team integer)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH RECURSIVE up(team_id, parent_id, depth) AS (
    SELECT t.team_id, t.parent_id, 0 FROM sales_supervisor.team t WHERE t.team_id = team
    UNION ALL
    SELECT t.team_id, t.parent_id, up.depth + 1
    FROM sales_supervisor.team t JOIN up ON t.team_id = up.parent_id
    WHERE up.depth < 1000)
  SELECT EXISTS (SELECT 1 FROM up WHERE up.team_id = ancestor)
$$;
COMMENT ON FUNCTION team_is_within(integer, integer) IS
'True when team is the team ancestor or lies in its subtree (walks parent_id upwards).';

CREATE FUNCTION team_check_tree()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF NEW.parent_id IS NOT NULL AND team_is_within(NEW.team_id, NEW.parent_id) THEN
    RAISE EXCEPTION 'team % cannot be placed under team %, which lies in its own subtree',
                    NEW.team_id, NEW.parent_id
      USING ERRCODE = 'check_violation',
            DETAIL = 'Teams form a tree; a cycle of parents is not allowed.';
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION team_check_tree() IS 'Trigger: refuses a team parent that would close a cycle in the team tree.';
CREATE TRIGGER team_check_tree BEFORE UPDATE OF parent_id ON team
  FOR EACH ROW EXECUTE FUNCTION team_check_tree();

-- A customer's owner, and a visit's member, must belong to the customer's team
-- or to a team above it (a supervisor or manager may visit).
CREATE FUNCTION customer_check_team()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_member_team integer;
  v_customer_team integer;
  v_member integer;
BEGIN
  IF is_restoring() THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'customer' THEN
    v_member := NEW.owner_id;
    v_customer_team := NEW.team_id;
  ELSE
    v_member := NEW.member_id;
    SELECT c.team_id INTO v_customer_team FROM customer c WHERE c.customer_id = NEW.customer_id;
  END IF;
  SELECT m.team_id INTO v_member_team FROM member m WHERE m.member_id = v_member;
  IF v_member_team IS NULL OR v_customer_team IS NULL THEN
    RETURN NEW;                       -- the foreign keys report missing rows
  END IF;
  IF NOT team_is_within(v_member_team, v_customer_team) THEN
    IF TG_TABLE_NAME = 'customer' THEN
      RAISE EXCEPTION 'member % of team % cannot own customer % of team %',
                      v_member, v_member_team, NEW.customer_id, v_customer_team
        USING ERRCODE = 'check_violation',
              DETAIL = 'A customer''s owner must belong to the customer''s team or to a team above it.';
    ELSE
      RAISE EXCEPTION 'member % of team % cannot visit customer % of team %',
                      v_member, v_member_team, NEW.customer_id, v_customer_team
        USING ERRCODE = 'check_violation',
              DETAIL = 'Visits are made by the customer''s team or by a team above it.';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION customer_check_team() IS
'Trigger on customer and customer_visit: the owner or visiting member must belong to the customer''s team or a team above it.';
CREATE TRIGGER customer_check_team BEFORE INSERT OR UPDATE OF owner_id, team_id ON customer
  FOR EACH ROW EXECUTE FUNCTION customer_check_team();
CREATE TRIGGER customer_visit_check_team BEFORE INSERT OR UPDATE OF member_id, customer_id ON customer_visit
  FOR EACH ROW EXECUTE FUNCTION customer_check_team();

-- Shares of a split sale sum to 100 (deferred: a split is written row by row).
CREATE FUNCTION sale_credit_check_sum()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_sale bigint;
  v_sum numeric;
BEGIN
  FOREACH v_sale IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.sale_id]
                                      WHEN 'DELETE' THEN ARRAY[OLD.sale_id]
                                      ELSE ARRAY[OLD.sale_id, NEW.sale_id] END
  LOOP
    SELECT sum(share_pct) INTO v_sum FROM sale_credit WHERE sale_id = v_sale;
    IF v_sum IS NOT NULL AND v_sum <> 100 THEN
      RAISE EXCEPTION 'credit shares of sale % sum to %, not 100', v_sale, v_sum
        USING ERRCODE = 'check_violation',
              DETAIL = 'A sale with credit rows must split exactly 100 percent between reps.',
              HINT = 'Write all the shares of the sale in one transaction.';
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sale_credit_check_sum() IS 'Deferred constraint trigger: the credit shares of each sale with credit rows sum to exactly 100.';
CREATE CONSTRAINT TRIGGER sale_credit_sum_100 AFTER INSERT OR UPDATE OR DELETE ON sale_credit
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sale_credit_check_sum();

CREATE FUNCTION seasonal_distribution_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_name text := CASE WHEN TG_OP = 'DELETE' THEN OLD.name ELSE NEW.name END;
  v_year integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.fiscal_year ELSE NEW.fiscal_year END;
  v_n integer;
  v_sum numeric;
BEGIN
  SELECT count(*), sum(share_pct) INTO v_n, v_sum
  FROM seasonal_distribution WHERE name = v_name AND fiscal_year = v_year;
  IF v_n > 0 AND (v_n <> 12 OR v_sum <> 100) THEN
    RAISE EXCEPTION 'seasonal distribution "%" of % covers % months summing to %, not 12 months summing to 100',
                    v_name, v_year, v_n, v_sum
      USING ERRCODE = 'check_violation',
            DETAIL = 'A seasonal distribution must cover every month of the year and sum to 100 percent.';
  END IF;
  IF TG_OP = 'UPDATE' AND (OLD.name, OLD.fiscal_year) IS DISTINCT FROM (NEW.name, NEW.fiscal_year) THEN
    SELECT count(*), sum(share_pct) INTO v_n, v_sum
    FROM seasonal_distribution WHERE name = OLD.name AND fiscal_year = OLD.fiscal_year;
    IF v_n > 0 AND (v_n <> 12 OR v_sum <> 100) THEN
      RAISE EXCEPTION 'seasonal distribution "%" of % covers % months summing to %, not 12 months summing to 100',
                      OLD.name, OLD.fiscal_year, v_n, v_sum
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION seasonal_distribution_check() IS 'Deferred constraint trigger: each named seasonal distribution of a year has 12 months summing to 100 percent.';
CREATE CONSTRAINT TRIGGER seasonal_distribution_complete AFTER INSERT OR UPDATE OR DELETE ON seasonal_distribution
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION seasonal_distribution_check();

-- A locked quota cannot change (except being unlocked) nor be deleted.
CREATE FUNCTION quota_check_lock()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF OLD.locked AND (TG_OP = 'DELETE'
                     OR (OLD.period_id, OLD.member_id, OLD.team_id, OLD.amount, OLD.method)
                        IS DISTINCT FROM
                        (NEW.period_id, NEW.member_id, NEW.team_id, NEW.amount, NEW.method)) THEN
    RAISE EXCEPTION 'quota % is locked', OLD.quota_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Unlock it first (UPDATE ... SET locked = false); the change is audited.';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION quota_check_lock() IS 'Trigger: a locked quota can only be unlocked, not changed or deleted.';
CREATE TRIGGER quota_check_lock BEFORE UPDATE OR DELETE ON quota
  FOR EACH ROW EXECUTE FUNCTION quota_check_lock();

-- Scores lie within the rating scale of the review's cycle; reviews of a cycle
-- that is calibrating or closed cannot change.
CREATE FUNCTION review_check_cycle()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_review bigint;
  v_cycle integer;
  v_boss integer;
  v_sub integer;
  c appraisal_cycle;
BEGIN
  -- a supervisor review is written by someone above the reviewee (their line
  -- manager, or the leader of their team or of a team above it), a
  -- subordinate review by someone below
  IF TG_TABLE_NAME = 'review' AND TG_OP <> 'DELETE' THEN
    IF NEW.rater_role IN ('supervisor', 'subordinate') AND NOT is_restoring() THEN
      v_boss := CASE WHEN NEW.rater_role = 'supervisor' THEN NEW.reviewer_id ELSE NEW.reviewee_id END;
      v_sub := CASE WHEN NEW.rater_role = 'supervisor' THEN NEW.reviewee_id ELSE NEW.reviewer_id END;
      IF NOT EXISTS (SELECT 1 FROM member m
                     WHERE m.member_id = v_sub
                       AND (m.manager_id = v_boss
                            OR EXISTS (SELECT 1 FROM team_leader tl
                                       WHERE tl.member_id = v_boss AND team_is_within(tl.team_id, m.team_id)))) THEN
        RAISE EXCEPTION 'member % is not above member % in the organisation: a % review needs that',
                        v_boss, v_sub, NEW.rater_role
          USING ERRCODE = 'check_violation',
                DETAIL = 'A supervisor review is written by the reviewee''s manager or a leader of their team or a team above it; a subordinate review by someone they lead.';
      END IF;
    END IF;
  END IF;
  IF TG_TABLE_NAME = 'review' THEN
    v_cycle := CASE WHEN TG_OP = 'DELETE' THEN OLD.cycle_id ELSE NEW.cycle_id END;
    v_review := CASE WHEN TG_OP = 'DELETE' THEN OLD.review_id ELSE NEW.review_id END;
    IF TG_OP = 'UPDATE' AND OLD.cycle_id <> NEW.cycle_id THEN
      RAISE EXCEPTION 'review % cannot move from cycle % to cycle %', OLD.review_id, OLD.cycle_id, NEW.cycle_id
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  ELSE
    v_review := CASE WHEN TG_OP = 'DELETE' THEN OLD.review_id ELSE NEW.review_id END;
    SELECT r.cycle_id INTO v_cycle FROM review r WHERE r.review_id = v_review;
  END IF;
  SELECT * INTO c FROM appraisal_cycle WHERE cycle_id = v_cycle;
  IF NOT FOUND THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;   -- the foreign keys report it
  END IF;
  IF c.state IN ('calibrating', 'closed') AND NOT is_restoring() THEN
    RAISE EXCEPTION 'reviews of appraisal cycle % cannot change: the cycle is %', c.cycle_id, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('review %s', v_review);
  END IF;
  IF TG_TABLE_NAME = 'review_score' AND TG_OP <> 'DELETE' THEN
    IF NEW.score < c.rating_scale_min OR NEW.score > c.rating_scale_max THEN
      RAISE EXCEPTION 'score % for criterion "%" is outside the rating scale %..% of appraisal cycle %',
                      NEW.score, NEW.criterion, c.rating_scale_min, c.rating_scale_max, c.cycle_id
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION review_check_cycle() IS
'Trigger on review and review_score: scores lie within the cycle''s rating scale; reviews of a calibrating or closed cycle are frozen; supervisor and subordinate reviews follow the organisation.';
CREATE TRIGGER review_check_cycle BEFORE INSERT OR UPDATE OR DELETE ON review
  FOR EACH ROW EXECUTE FUNCTION review_check_cycle();
CREATE TRIGGER review_score_check_cycle BEFORE INSERT OR UPDATE OR DELETE ON review_score
  FOR EACH ROW EXECUTE FUNCTION review_check_cycle();

-- Results of a closed cycle are frozen for everyone; weights only change while open.
CREATE FUNCTION cycle_rows_check_state()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_state cycle_state;
  v_cycle integer;
BEGIN
  IF TG_OP = 'INSERT' AND is_restoring() THEN
    RETURN NEW;
  END IF;
  FOREACH v_cycle IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.cycle_id]
                                       WHEN 'DELETE' THEN ARRAY[OLD.cycle_id]
                                       ELSE ARRAY[OLD.cycle_id, NEW.cycle_id] END
  LOOP
    SELECT state INTO v_state FROM appraisal_cycle WHERE cycle_id = v_cycle;
    IF TG_TABLE_NAME IN ('appraisal_result', 'kpi_result') AND v_state = 'closed' THEN
      RAISE EXCEPTION 'appraisal cycle % is closed: its % rows cannot be inserted, updated or deleted',
                      v_cycle, TG_TABLE_NAME
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'HR or a manager can reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
    ELSIF TG_TABLE_NAME IN ('appraisal_component_weight', 'kpi_weight') AND v_state <> 'open' THEN
      RAISE EXCEPTION 'appraisal cycle % is %: its weights can only change while it is open',
                      v_cycle, v_state
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  END LOOP;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION cycle_rows_check_state() IS
'Trigger: results (appraisal_result, kpi_result) of a closed cycle are frozen; weights change only while the cycle is open.';
CREATE TRIGGER appraisal_result_check_state BEFORE INSERT OR UPDATE OR DELETE ON appraisal_result
  FOR EACH ROW EXECUTE FUNCTION cycle_rows_check_state();
CREATE TRIGGER kpi_result_check_state BEFORE INSERT OR UPDATE OR DELETE ON kpi_result
  FOR EACH ROW EXECUTE FUNCTION cycle_rows_check_state();
CREATE TRIGGER appraisal_component_weight_check_state BEFORE INSERT OR UPDATE OR DELETE ON appraisal_component_weight
  FOR EACH ROW EXECUTE FUNCTION cycle_rows_check_state();
CREATE TRIGGER kpi_weight_check_state BEFORE INSERT OR UPDATE OR DELETE ON kpi_weight
  FOR EACH ROW EXECUTE FUNCTION cycle_rows_check_state();

-- Append-only ledgers; commission lines only for unlocked periods.
CREATE FUNCTION refuse_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = CASE WHEN TG_TABLE_NAME = 'audit_log' THEN 'The audit log is never changed.'
                      ELSE 'Add a reversal line (reverses_id) instead.' END;
END
$$;
COMMENT ON FUNCTION refuse_change() IS 'Trigger: refuses UPDATE, DELETE and TRUNCATE on append-only tables.';
CREATE TRIGGER commission_credit_append_only BEFORE UPDATE OR DELETE ON commission_credit
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER commission_payout_append_only BEFORE UPDATE OR DELETE ON commission_payout
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- commission_check_period: a payout line may not go into a locked period, and
-- a payout reversal negates the line it reverses (row trigger: a run writes
-- one payout line per plan).
CREATE FUNCTION commission_check_period()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF is_restoring() THEN
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = NEW.period_id) THEN
    RAISE EXCEPTION 'commission period % is locked', NEW.period_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Book the correction in an open period as a reversal line.';
  END IF;
  IF NEW.reverses_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM commission_payout p WHERE p.payout_id = NEW.reverses_id
                     AND p.member_id = NEW.member_id AND p.amount = -NEW.amount) THEN
    RAISE EXCEPTION 'payout line % does not reverse line %: member and the negated amount must match',
                    NEW.payout_id, NEW.reverses_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION commission_check_period() IS 'Trigger: no payout line for a locked commission period; a reversal line negates the line it reverses.';
CREATE TRIGGER commission_payout_check_period BEFORE INSERT ON commission_payout
  FOR EACH ROW EXECUTE FUNCTION commission_check_period();

-- commission_credit_check_period: no credit line for a locked period.  A
-- statement trigger over the inserted lines, so a run's thousands of ledger
-- lines cost one check, not one per line.
CREATE FUNCTION commission_credit_check_period()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_period integer;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;
  END IF;
  SELECT min(n.period_id) INTO v_period
  FROM new_lines n JOIN commission_period_lock l ON l.period_id = n.period_id;
  IF v_period IS NOT NULL THEN
    RAISE EXCEPTION 'commission period % is locked', v_period
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Late sales and refunds are credited by the run of the next open period.';
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION commission_credit_check_period() IS 'Statement trigger: no commission_credit line for a locked commission period.';
CREATE TRIGGER commission_credit_check_period AFTER INSERT ON commission_credit
  REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION commission_credit_check_period();

-- commission_credited_through: the last sale date any commission run has
-- credited (NULL before the first run).  A writer of sales lines outside READ
-- COMMITTED first locks the run gate FOR SHARE: if a run committed after the
-- writer's snapshot, that fails with 40001 (retry), so the writer never acts
-- on a state of the locks older than the runs that already read the sales.
-- (In READ COMMITTED each statement sees every committed run, and a run
-- holds a SHARE lock on sale, so no run is in flight while lines are written.)
CREATE FUNCTION commission_credited_through()
RETURNS date
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    PERFORM 1 FROM commission_run_gate FOR SHARE;
    IF NOT FOUND THEN   -- made after this snapshot (by the update to 0.2.0): as stale as a run
      RAISE EXCEPTION 'could not serialize access: the commission run gate was made after this transaction began'
        USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
    END IF;
  END IF;
  RETURN (SELECT max(l.credited_through) FROM commission_period_lock l);
END
$$;
COMMENT ON FUNCTION commission_credited_through() IS
'The last sale date a commission run has credited (NULL before any run); outside READ COMMITTED it first locks commission_run_gate FOR SHARE, which fails with 40001 if a run committed after the snapshot.';

-- date_is_credited: does a sale date lie in the window of a commission run?
-- (The one place the window test is written; the triggers and sale_is_credited call it.)
CREATE FUNCTION date_is_credited(sold_on date)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT EXISTS (SELECT 1 FROM sales_supervisor.commission_period_lock l
                 WHERE date_is_credited.sold_on BETWEEN l.credited_from AND l.credited_through);
END;
COMMENT ON FUNCTION date_is_credited(date) IS
'True when the date lies in the window of a commission run (commission_period_lock.credited_from .. credited_through).';

-- sale_is_credited: has a commission run credited this sales line?  Either
-- it was queued as a late line and a run credited it, or it was never queued
-- and its date lies in the window of a run.
CREATE FUNCTION sale_is_credited(sale bigint, sold_on date)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT CASE WHEN q.sale_id IS NOT NULL THEN q.credited_period_id IS NOT NULL
              ELSE sales_supervisor.date_is_credited(sale_is_credited.sold_on) END
  FROM (SELECT 1) one
  LEFT JOIN sales_supervisor.commission_late_sale q ON q.sale_id = sale_is_credited.sale
$$;
COMMENT ON FUNCTION sale_is_credited(bigint, date) IS
'True when a commission run has credited the sales line: a queued late line once a run credited it, any other line when its date lies in a run''s window (commission_period_lock.credited_from .. credited_through).';

-- sale_queue_late_lines: lines inserted into sale dates a run already credited
-- are queued for the next run (statement trigger: a bulk load is checked in
-- one pass, and not at all before the first run).  Security definer: whoever
-- may insert sales lines need not be granted the queue.
CREATE FUNCTION sale_queue_late_lines()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_through date;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;
  END IF;
  v_through := commission_credited_through();
  IF v_through IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO commission_late_sale (sale_id)
  SELECT n.sale_id FROM new_lines n
  WHERE n.sold_on <= v_through AND date_is_credited(n.sold_on);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sale_queue_late_lines() IS
'Statement trigger on sale: queues in commission_late_sale the inserted lines dated in a window a commission run already credited, so the next run credits them as late lines.';
CREATE TRIGGER sale_queue_late_lines AFTER INSERT ON sale
  REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION sale_queue_late_lines();

-- sale_check_credited: a credited sales line is history.  Its date, rep,
-- amount and refund link cannot change and it cannot be deleted (book a
-- refund line instead); a line not credited yet that an update moves into a
-- credited window is queued as late (and unqueued if moved out of them).
-- Customer and category may be corrected.
CREATE FUNCTION sale_check_credited()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_through date;
BEGIN
  IF is_restoring() THEN
    RETURN coalesce(NEW, OLD);
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.sale_id = OLD.sale_id AND NEW.sold_on = OLD.sold_on AND NEW.member_id = OLD.member_id
     AND NEW.amount = OLD.amount AND NEW.refund_of IS NOT DISTINCT FROM OLD.refund_of THEN
    RETURN NEW;
  END IF;
  v_through := commission_credited_through();
  IF v_through IS NULL THEN
    RETURN coalesce(NEW, OLD);
  END IF;
  IF sale_is_credited(OLD.sale_id, OLD.sold_on) THEN
    RAISE EXCEPTION 'sales line % is credited in a locked commission period: % is not allowed', OLD.sale_id, TG_OP
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Only its customer and category may be corrected.',
            HINT = 'Book a refund line (refund_of) and, if needed, a new line; the next commission run credits both.';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF NEW.sold_on <= v_through AND date_is_credited(NEW.sold_on) THEN
      INSERT INTO commission_late_sale (sale_id) VALUES (NEW.sale_id) ON CONFLICT (sale_id) DO NOTHING;
    ELSE   -- moved out of the credited windows: its own period's run will credit it
      DELETE FROM commission_late_sale q WHERE q.sale_id = OLD.sale_id AND q.credited_period_id IS NULL;
    END IF;
  END IF;
  RETURN coalesce(NEW, OLD);
END
$$;
COMMENT ON FUNCTION sale_check_credited() IS
'Trigger on sale: a line a commission run credited keeps its date, rep, amount and refund link and is not deleted (55000); an uncredited line moved into a credited window is queued as late.';
CREATE TRIGGER sale_check_credited BEFORE UPDATE OR DELETE ON sale
  FOR EACH ROW EXECUTE FUNCTION sale_check_credited();

-- sale_credit_check_credited: the split of a credited line is history too
-- (statement trigger: bulk loads of splits are checked in one pass).
CREATE FUNCTION sale_credit_check_credited()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_sale bigint;
BEGIN
  IF is_restoring() OR commission_credited_through() IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT min(s.sale_id) INTO v_sale FROM (SELECT DISTINCT n.sale_id FROM new_rows n) x
    JOIN sale s ON s.sale_id = x.sale_id WHERE sale_is_credited(s.sale_id, s.sold_on);
  END IF;
  IF v_sale IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT min(s.sale_id) INTO v_sale FROM (SELECT DISTINCT o.sale_id FROM old_rows o) x
    JOIN sale s ON s.sale_id = x.sale_id WHERE sale_is_credited(s.sale_id, s.sold_on);
  END IF;
  IF v_sale IS NOT NULL THEN
    RAISE EXCEPTION 'sales line % is credited in a locked commission period: its split cannot change', v_sale
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Book a refund line (refund_of) and a new line with the new split; the next commission run credits both.';
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sale_credit_check_credited() IS
'Statement trigger on sale_credit: the split of a sales line a commission run credited cannot be inserted, changed or deleted (55000).';
REVOKE ALL ON FUNCTION sale_queue_late_lines(), sale_check_credited(), sale_credit_check_credited() FROM PUBLIC;
CREATE TRIGGER sale_credit_check_credited_ins AFTER INSERT ON sale_credit
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();
CREATE TRIGGER sale_credit_check_credited_upd AFTER UPDATE ON sale_credit
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();
CREATE TRIGGER sale_credit_check_credited_del AFTER DELETE ON sale_credit
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();

-- Cycle state machine: one step forward, or one step back before closing;
-- leaving open checks the weights; leaving closed needs an audited reopen
-- (an audit_log REOPEN row written in the same transaction, which only
-- reopen_appraisal_cycle() can write: nobody is granted INSERT on audit_log).
CREATE FUNCTION appraisal_cycle_check_state()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  bad record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state <> 'open' AND NOT is_restoring() THEN
      RAISE EXCEPTION 'a new appraisal cycle must start open, not %', NEW.state
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.state <> 'open' THEN
      RAISE EXCEPTION 'appraisal cycle % is %: only an open cycle can be deleted', OLD.cycle_id, OLD.state
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.state <> 'open' AND (OLD.fiscal_year, OLD.rating_scale_min, OLD.rating_scale_max)
                             IS DISTINCT FROM (NEW.fiscal_year, NEW.rating_scale_min, NEW.rating_scale_max) THEN
    RAISE EXCEPTION 'appraisal cycle % is %: its year and rating scale can only change while it is open',
                    OLD.cycle_id, OLD.state
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF NEW.state = OLD.state THEN
    RETURN NEW;
  END IF;
  IF OLD.state = 'closed' THEN
    IF NEW.state <> 'calibrating' OR NOT EXISTS (
         SELECT 1 FROM audit_log a
         WHERE a.table_name = 'appraisal_cycle' AND a.action = 'REOPEN'
           AND a.row_key = jsonb_build_object('cycle_id', OLD.cycle_id)
           AND a.txid = pg_catalog.txid_current()) THEN
      RAISE EXCEPTION 'appraisal cycle % is closed', OLD.cycle_id
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Use reopen_appraisal_cycle(cycle_id, reason): reopening is audited.';
    END IF;
  ELSIF abs((array_position(enum_range(NULL::cycle_state), NEW.state)
             - array_position(enum_range(NULL::cycle_state), OLD.state))) <> 1 THEN
    RAISE EXCEPTION 'appraisal cycle % cannot go from % to %', OLD.cycle_id, OLD.state, NEW.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The state moves one step at a time: open -> reviewing -> calibrating -> closed.';
  END IF;
  IF OLD.state = 'open' THEN
    SELECT 'component' AS what, w.level, sum(w.weight) AS total INTO bad
    FROM appraisal_component_weight w WHERE w.cycle_id = NEW.cycle_id
    GROUP BY w.level HAVING sum(w.weight) <> 100 ORDER BY w.level LIMIT 1;
    IF NOT FOUND THEN
      SELECT 'KPI' AS what, w.level, sum(w.weight) AS total INTO bad
      FROM kpi_weight w WHERE w.cycle_id = NEW.cycle_id
      GROUP BY w.level HAVING sum(w.weight) <> 100 ORDER BY w.level LIMIT 1;
    END IF;
    IF FOUND THEN
      RAISE EXCEPTION '% weights of appraisal cycle % for level % sum to %, not 100',
                      bad.what, NEW.cycle_id, bad.level, bad.total
        USING ERRCODE = 'check_violation',
              DETAIL = 'The weights of each career level must sum to 100 percent before reviewing starts.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM appraisal_component_weight w WHERE w.cycle_id = NEW.cycle_id) THEN
      RAISE EXCEPTION 'appraisal cycle % has no component weights', NEW.cycle_id
        USING ERRCODE = 'check_violation',
              HINT = 'Insert appraisal_component_weight rows for each level before reviewing starts.';
    END IF;
  END IF;
  NEW.closed_at := CASE WHEN NEW.state = 'closed' THEN now() END;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION appraisal_cycle_check_state() IS
'Trigger: appraisal cycle state machine (one step at a time), weight sums checked when leaving open, scale frozen after open, closed left only through an audited reopen.';
CREATE TRIGGER appraisal_cycle_check_state BEFORE INSERT OR UPDATE OR DELETE ON appraisal_cycle
  FOR EACH ROW EXECUTE FUNCTION appraisal_cycle_check_state();

-- ---------------------------------------------------------------------------
-- Overdue return visits (security_invoker: row-level security of the caller applies)
-- ---------------------------------------------------------------------------
CREATE VIEW overdue_visit WITH (security_invoker = true) AS
SELECT c.customer_id, c.name AS customer_name, c.tier, c.owner_id, c.team_id,
       v.last_done_on, vc.every_days,
       coalesce(v.last_done_on + vc.every_days, c.since + vc.every_days) AS due_on,
       CURRENT_DATE - coalesce(v.last_done_on + vc.every_days, c.since + vc.every_days) AS days_overdue
FROM customer c
JOIN visit_cadence vc ON vc.tier = c.tier
LEFT JOIN LATERAL (SELECT max(cv.done_at)::date AS last_done_on
                   FROM customer_visit cv
                   WHERE cv.customer_id = c.customer_id AND cv.done_at IS NOT NULL) v ON true
WHERE c.active
  AND coalesce(v.last_done_on + vc.every_days, c.since + vc.every_days) < CURRENT_DATE;
COMMENT ON VIEW overdue_visit IS
'Active customers whose return visit is overdue: last done visit (or customer-since date) plus the tier''s cadence is before today. Security invoker: each person sees only the customers row-level security lets them see.';
COMMENT ON COLUMN overdue_visit.customer_id IS 'Customer overdue.';
COMMENT ON COLUMN overdue_visit.customer_name IS 'Customer name.';
COMMENT ON COLUMN overdue_visit.tier IS 'Customer tier.';
COMMENT ON COLUMN overdue_visit.owner_id IS 'Owning rep.';
COMMENT ON COLUMN overdue_visit.team_id IS 'Owning team.';
COMMENT ON COLUMN overdue_visit.last_done_on IS 'Date of the last done visit (NULL if never visited).';
COMMENT ON COLUMN overdue_visit.every_days IS 'Cadence of the tier in days.';
COMMENT ON COLUMN overdue_visit.due_on IS 'Date the next visit was due.';
COMMENT ON COLUMN overdue_visit.days_overdue IS 'Days since the due date.';

-- ---------------------------------------------------------------------------
-- pg_dump: every table and identity sequence of this part carries the user's data.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
  t text;
  s text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'team', 'member', 'team_leader', 'visit_cadence', 'customer', 'customer_contact', 'customer_visit',
    'feedback', 'survey_response', 'product_category', 'sale', 'sale_credit', 'opportunity',
    'fiscal_period', 'quota', 'seasonal_distribution', 'forecast', 'task', 'training_session',
    'training_attendance', 'work_report', 'appraisal_cycle', 'appraisal_component_weight',
    'kpi_definition', 'kpi_weight', 'kpi_result', 'review', 'review_score', 'grade_policy',
    'appraisal_result', 'promotion_rule', 'promotion_candidate', 'promotion', 'pay',
    'commission_plan', 'commission_period_lock', 'commission_credit', 'commission_late_sale', 'commission_payout']
  LOOP
    PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.format('sales_supervisor.%I', t)::pg_catalog.regclass, '');
    -- identity sequences are extension members too; register them so pg_dump
    -- carries their positions (otherwise a restored table would hand out ids again)
    FOR s IN SELECT pg_catalog.pg_get_serial_sequence(pg_catalog.format('sales_supervisor.%I', t), a.attname)
             FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = pg_catalog.format('sales_supervisor.%I', t)::pg_catalog.regclass
               AND a.attidentity <> '' AND NOT a.attisdropped
    LOOP
      PERFORM pg_catalog.pg_extension_config_dump(s::pg_catalog.regclass, '');
    END LOOP;
  END LOOP;
END
$$;
-- The gate's one row is made by this script, so pg_dump must not carry it
-- (a restore would insert it a second time): registered with a filter that
-- matches no row.
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_run_gate'::pg_catalog.regclass, 'WHERE false');
-- Layer 2, security: group roles, grants, row-level security.
--
-- Five NOLOGIN group roles (cluster-wide, created if missing, never dropped by
-- the extension): the installer grants them to login roles, and maps each
-- login to a member through member.login_role.
--
--   sales_supervisor_rep         own customers, visits, sales, quotas, tasks, results
--   sales_supervisor_supervisor  everything of the members in the subtree of the teams they lead
--   sales_supervisor_manager     as supervisor (leading a department = the department)
--                                + writes quotas, plans and team structure
--   sales_supervisor_hr          every appraisal row, member records, pay
--   sales_supervisor_bi          no raw table at all; only documented views
--
-- The group decides WHAT a person may do, the team tree decides WHICH rows:
-- scope = the member itself + every member of every team in the subtree of a
-- team the member leads (team_leader).  A rep who happens to lead a team
-- still only sees their own rows unless granted the supervisor role.
--
-- The policies call SECURITY DEFINER helpers (owned by the extension owner,
-- which bypasses row-level security, so a policy on member that needs member
-- does not recurse).  The login is passed as a defaulted argument,
-- login name DEFAULT current_user: the default is evaluated in the caller's
-- context, so it is the caller's current_user (SET ROLE included), not the
-- definer's.  The helper checks that the session may act as that role, so
-- nobody can ask for another person's scope.

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor',
                           'sales_supervisor_manager', 'sales_supervisor_hr',
                           'sales_supervisor_bi']
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END
$$;

GRANT USAGE ON SCHEMA sales_supervisor TO sales_supervisor_rep, sales_supervisor_supervisor,
  sales_supervisor_manager, sales_supervisor_hr, sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Helpers used by the policies
-- ---------------------------------------------------------------------------

CREATE FUNCTION current_member_id(login name DEFAULT current_user)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_oid oid;
BEGIN
  IF login IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT r.oid INTO v_oid FROM pg_catalog.pg_roles r WHERE r.rolname = login;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role "%" does not exist', login USING ERRCODE = 'undefined_object';
  END IF;
  IF NOT pg_catalog.pg_has_role(session_user, v_oid, 'MEMBER') THEN
    RAISE EXCEPTION 'session user "%" may not act as role "%"', session_user, login
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN (SELECT m.member_id FROM sales_supervisor.member m
          WHERE m.login_role = login AND m.active);
END
$$;
COMMENT ON FUNCTION current_member_id(name) IS
'Member id of the login (default: current_user, evaluated in the caller), NULL if the login is no active member. Security definer; refuses a login the session may not act as.';

CREATE FUNCTION led_team_ids(login name DEFAULT current_user)
RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH RECURSIVE sub(team_id, depth) AS (
    SELECT tl.team_id, 0 FROM sales_supervisor.team_leader tl
    WHERE tl.member_id = sales_supervisor.current_member_id(login)
    UNION
    SELECT c.team_id, sub.depth + 1 FROM sales_supervisor.team c JOIN sub ON c.parent_id = sub.team_id
    WHERE sub.depth < 1000)
  SELECT coalesce(array_agg(DISTINCT team_id ORDER BY team_id), '{}') FROM sub
$$;
COMMENT ON FUNCTION led_team_ids(name) IS
'Teams in the subtree of every team the login''s member leads (empty for someone who leads nothing). Security definer.';

CREATE FUNCTION visible_member_ids(login name DEFAULT current_user)
RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce(array_agg(DISTINCT x.member_id ORDER BY x.member_id), '{}')
  FROM (SELECT sales_supervisor.current_member_id(login) AS member_id
        UNION ALL
        SELECT m.member_id FROM sales_supervisor.member m
        WHERE m.team_id = ANY ((SELECT sales_supervisor.led_team_ids(login))::integer[])) x
  WHERE x.member_id IS NOT NULL
$$;
COMMENT ON FUNCTION visible_member_ids(name) IS
'The login''s member plus every member of the subtree of the teams they lead: the row scope of supervisors and managers. Security definer.';

REVOKE ALL ON FUNCTION current_member_id(name), led_team_ids(name), visible_member_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION current_member_id(name), led_team_ids(name), visible_member_ids(name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- Grants (commands) — row-level security below decides the rows.
-- ---------------------------------------------------------------------------

-- Reference data readable by everybody in the organisation.
GRANT SELECT ON team, team_leader, visit_cadence, product_category, fiscal_period, seasonal_distribution,
  training_session, appraisal_cycle, appraisal_component_weight, kpi_definition, kpi_weight,
  grade_policy, promotion_rule, commission_period_lock, member
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

GRANT INSERT, UPDATE ON member TO sales_supervisor_hr;
GRANT INSERT, UPDATE ON team, team_leader TO sales_supervisor_manager, sales_supervisor_hr;
GRANT DELETE ON team_leader TO sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON visit_cadence, product_category, fiscal_period, seasonal_distribution
  TO sales_supervisor_manager;
GRANT INSERT, UPDATE ON training_session
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON appraisal_cycle, appraisal_component_weight, kpi_definition,
  kpi_weight, grade_policy, promotion_rule TO sales_supervisor_hr;

-- Customers
-- Reps keep the file up to date but do not re-tier, move or hand over customers.
GRANT SELECT ON customer TO sales_supervisor_rep;
GRANT UPDATE (name, industry, region, profile) ON customer TO sales_supervisor_rep;
GRANT SELECT, INSERT, UPDATE ON customer TO sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT, INSERT, UPDATE, DELETE ON customer_contact
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT, INSERT, UPDATE ON customer_visit, feedback
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT DELETE ON customer_visit TO sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON survey_response, overdue_visit
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT INSERT ON survey_response TO sales_supervisor_supervisor, sales_supervisor_manager;

-- Sales and plans
GRANT SELECT ON sale, sale_credit, commission_plan, commission_credit, commission_payout
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT INSERT, UPDATE ON commission_plan TO sales_supervisor_manager;
GRANT SELECT, INSERT, UPDATE ON opportunity
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
-- Supervisors set the reports due; reps submit them (the time is the server's, see work_report_stamp).
GRANT SELECT, INSERT, UPDATE ON work_report TO sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON work_report TO sales_supervisor_rep;
GRANT UPDATE (body, submitted_at) ON work_report TO sales_supervisor_rep;
GRANT SELECT, INSERT ON forecast
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON quota TO sales_supervisor_rep, sales_supervisor_supervisor;
GRANT SELECT, INSERT, UPDATE ON quota TO sales_supervisor_manager;
GRANT SELECT ON task TO sales_supervisor_rep;
GRANT UPDATE (status, done_at) ON task TO sales_supervisor_rep;
GRANT SELECT, INSERT, UPDATE, DELETE ON task TO sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON training_attendance
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE ON training_attendance
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- Appraisal
GRANT SELECT ON kpi_result, appraisal_result, promotion, pay
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT SELECT, INSERT, UPDATE ON review_score
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
-- A written review keeps its reviewee and role; only the comment can be revised.
GRANT SELECT, INSERT ON review
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT UPDATE (comment) ON review TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT UPDATE ON review TO sales_supervisor_hr;
GRANT DELETE ON review_score
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT DELETE ON review TO sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON kpi_result, appraisal_result, promotion_candidate TO sales_supervisor_hr;
GRANT SELECT ON promotion_candidate
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE ON promotion, pay TO sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- Row-level security.  Naming: <table>_own (reps: their own rows),
-- <table>_subtree (supervisors and managers: their scope), <table>_hr (HR: all),
-- <table>_via_<parent> (visible exactly when the parent row is).
-- ---------------------------------------------------------------------------

ALTER TABLE member ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_own ON member TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY member_subtree ON member TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY member_hr ON member TO sales_supervisor_hr USING (true);

ALTER TABLE customer ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_own ON customer TO sales_supervisor_rep
  USING (owner_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY customer_subtree ON customer TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (owner_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         OR team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));

-- Children of a customer: visible (and writable) exactly when the customer is.
ALTER TABLE customer_contact ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_contact_via_customer ON customer_contact
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
ALTER TABLE customer_visit ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_visit_via_customer ON customer_visit
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
ALTER TABLE feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY feedback_via_customer ON feedback
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
ALTER TABLE survey_response ENABLE ROW LEVEL SECURITY;
CREATE POLICY survey_response_via_customer ON survey_response
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));

ALTER TABLE sale_credit ENABLE ROW LEVEL SECURITY;
-- The whole split of every sales line one can see (not only one's own share):
-- the credit of a split line is computed over all its shares.
CREATE POLICY sale_credit_via_sale ON sale_credit
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (sale_id IN (SELECT s.sale_id FROM sales_supervisor.sale s));

-- A sales line is visible to the rep it is booked to (and their supervisors and
-- managers) and to every rep credited a share of it.  The second arm is an
-- array of the few lines credited into the caller's scope but booked outside it
-- (credited_sale_ids, computed once per query): with a small array the planner
-- answers a rep's query with two index scans joined by a BitmapOr, and a
-- supervisor's sequential scan stays cheap per row.  (A plain
-- "sale_id IN (SELECT ... FROM sale_credit)" forces a scan of every sales line
-- for every rep; an array of every credited line makes the per-row check linear
-- in the number of splits.)
CREATE FUNCTION credited_sale_ids(login name DEFAULT current_user)
RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_scope integer[];
BEGIN
  IF pg_catalog.pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER')
     OR pg_catalog.pg_has_role(login, 'sales_supervisor_manager', 'MEMBER') THEN
    v_scope := sales_supervisor.visible_member_ids(login);
  ELSE
    v_scope := array_remove(ARRAY[sales_supervisor.current_member_id(login)], NULL);
  END IF;
  RETURN (SELECT coalesce(array_agg(DISTINCT sc.sale_id ORDER BY sc.sale_id), '{}')
          FROM sales_supervisor.sale_credit sc
          JOIN sales_supervisor.sale s ON s.sale_id = sc.sale_id
          WHERE sc.member_id = ANY (v_scope) AND s.member_id <> ALL (v_scope));
END
$$;
COMMENT ON FUNCTION credited_sale_ids(name) IS
'Sales lines credited (sale_credit) to the login''s scope - the member itself, or for supervisors and managers their whole scope - but booked to someone outside it. Used by the sale policies. Security definer.';
REVOKE ALL ON FUNCTION credited_sale_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION credited_sale_ids(name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

ALTER TABLE sale ENABLE ROW LEVEL SECURITY;
CREATE POLICY sale_own ON sale TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id())
         OR sale_id = ANY ((SELECT sales_supervisor.credited_sale_ids())::bigint[]));
CREATE POLICY sale_subtree ON sale TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         OR sale_id = ANY ((SELECT sales_supervisor.credited_sale_ids())::bigint[]));

-- The late-line queue shows a line to whoever can see the line.
GRANT SELECT ON commission_late_sale TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
ALTER TABLE commission_late_sale ENABLE ROW LEVEL SECURITY;
CREATE POLICY commission_late_sale_visible ON commission_late_sale
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (EXISTS (SELECT 1 FROM sales_supervisor.sale s WHERE s.sale_id = commission_late_sale.sale_id));

ALTER TABLE quota ENABLE ROW LEVEL SECURITY;
CREATE POLICY quota_own ON quota TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY quota_subtree ON quota TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         OR team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));

-- Tables keyed by one member column: own for reps, scope for supervisors and
-- managers, and (for appraisal and HR data) everything for HR.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
      ('opportunity', 'member_id', false),
      ('forecast', 'member_id', false),
      ('task', 'assigned_to', false),
      ('work_report', 'member_id', false),
      ('commission_plan', 'member_id', false),
      ('commission_credit', 'member_id', false),
      ('commission_payout', 'member_id', false),
      ('training_attendance', 'member_id', true),
      ('kpi_result', 'member_id', true),
      ('appraisal_result', 'member_id', true),
      ('promotion', 'member_id', true)) AS v(tab, col, hr)
  LOOP
    EXECUTE pg_catalog.format('ALTER TABLE sales_supervisor.%I ENABLE ROW LEVEL SECURITY', t.tab);
    EXECUTE pg_catalog.format(
      'CREATE POLICY %I ON sales_supervisor.%I TO sales_supervisor_rep '
      'USING (%I = (SELECT sales_supervisor.current_member_id()))', t.tab || '_own', t.tab, t.col);
    EXECUTE pg_catalog.format(
      'CREATE POLICY %I ON sales_supervisor.%I TO sales_supervisor_supervisor, sales_supervisor_manager '
      'USING (%I = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]))', t.tab || '_subtree', t.tab, t.col);
    IF t.hr THEN
      EXECUTE pg_catalog.format(
        'CREATE POLICY %I ON sales_supervisor.%I TO sales_supervisor_hr USING (true)', t.tab || '_hr', t.tab);
    END IF;
  END LOOP;
END
$$;

-- Promotion candidates: supervisors and managers for their scope, HR all (not the candidate).
ALTER TABLE promotion_candidate ENABLE ROW LEVEL SECURITY;
CREATE POLICY promotion_candidate_subtree ON promotion_candidate
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY promotion_candidate_hr ON promotion_candidate TO sales_supervisor_hr USING (true);

-- Pay is personal: the member and HR only.
ALTER TABLE pay ENABLE ROW LEVEL SECURITY;
CREATE POLICY pay_own ON pay
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY pay_hr ON pay TO sales_supervisor_hr USING (true);

-- Reviews: a reviewer sees (and writes) only what they wrote; HR sees all.
-- Reviewees and their supervisors get aggregates only, through review_summary().
ALTER TABLE review ENABLE ROW LEVEL SECURITY;
CREATE POLICY review_reviewer ON review
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (reviewer_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY review_hr ON review TO sales_supervisor_hr USING (true);
ALTER TABLE review_score ENABLE ROW LEVEL SECURITY;
CREATE POLICY review_score_via_review ON review_score
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (review_id IN (SELECT r.review_id FROM sales_supervisor.review r));
CREATE POLICY review_score_hr ON review_score TO sales_supervisor_hr USING (true);

-- ---------------------------------------------------------------------------
-- Functions that cross the lines on purpose
-- ---------------------------------------------------------------------------

CREATE FUNCTION review_summary(cycle integer, reviewee integer DEFAULT NULL,
                               login name DEFAULT current_user)
RETURNS TABLE (rater_role rater_role, criterion text, reviews bigint, avg_score numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_me integer := sales_supervisor.current_member_id(login);
  v_who integer := coalesce(reviewee, v_me);
BEGIN
  IF v_who IS NULL THEN
    RAISE EXCEPTION 'role "%" is not an active member', login
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF v_who IS DISTINCT FROM v_me
     AND NOT pg_catalog.pg_has_role(login, 'sales_supervisor_hr', 'MEMBER')
     AND NOT ((pg_catalog.pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER')
               OR pg_catalog.pg_has_role(login, 'sales_supervisor_manager', 'MEMBER'))
              AND v_who = ANY (sales_supervisor.visible_member_ids(login))) THEN
    RAISE EXCEPTION 'role "%" may not see the reviews of member %', login, v_who
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN QUERY
  SELECT r.rater_role, s.criterion, count(*),
         CASE WHEN r.rater_role IN ('peer', 'subordinate') AND count(*) < 3 THEN NULL
              ELSE round(avg(s.score), 2) END
  FROM sales_supervisor.review r
  JOIN sales_supervisor.review_score s ON s.review_id = r.review_id
  WHERE r.cycle_id = cycle AND r.reviewee_id = v_who
  GROUP BY r.rater_role, s.criterion
  ORDER BY r.rater_role, s.criterion;
END
$$;
COMMENT ON FUNCTION review_summary(integer, integer, name) IS
'Aggregated reviews of a reviewee in a cycle (default: the caller), by rater role and criterion: number of reviews and average score, never reviewer ids or comments. Peer and subordinate averages are withheld (NULL) below 3 reviews, so a small panel cannot be de-anonymised. Allowed for oneself, for supervisors and managers over their scope, and for HR.';
REVOKE ALL ON FUNCTION review_summary(integer, integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION review_summary(integer, integer, name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- The BI role reads documented views only.  Views run as their owner (the
-- extension owner), so they show aggregates, never raw personal rows.
-- ---------------------------------------------------------------------------

CREATE VIEW v_org_summary AS
WITH RECURSIVE tree(team_id, department_id, depth, path) AS (
  SELECT t.team_id, t.team_id, 0, ARRAY[t.name] FROM team t WHERE t.parent_id IS NULL
  UNION ALL
  SELECT c.team_id, tree.department_id, tree.depth + 1, tree.path || c.name
  FROM team c JOIN tree ON c.parent_id = tree.team_id
  WHERE tree.depth < 1000)
SELECT tree.team_id, t.name AS team_name, d.name AS department_name, tree.depth,
       array_to_string(tree.path, ' / ') AS team_path,
       (SELECT count(*) FROM member m WHERE m.team_id = tree.team_id AND m.active) AS active_members,
       (SELECT count(*) FROM member m WHERE m.team_id = tree.team_id AND m.active
          AND m.level = 'sales_rep') AS active_reps,
       (SELECT count(*) FROM customer c WHERE c.team_id = tree.team_id AND c.active) AS active_customers
FROM tree
JOIN team t ON t.team_id = tree.team_id
JOIN team d ON d.team_id = tree.department_id;
COMMENT ON VIEW v_org_summary IS
'One row per team: its department, depth in the tree, path, and head counts (active members, active reps, active customers). No personal data; readable by the BI role.';
COMMENT ON COLUMN v_org_summary.team_id IS 'Team.';
COMMENT ON COLUMN v_org_summary.team_name IS 'Team name.';
COMMENT ON COLUMN v_org_summary.department_name IS 'Name of the department (root team) the team belongs to.';
COMMENT ON COLUMN v_org_summary.depth IS 'Depth in the tree, 0 for a department.';
COMMENT ON COLUMN v_org_summary.team_path IS 'Path of team names from the department down.';
COMMENT ON COLUMN v_org_summary.active_members IS 'Active members in the team itself (not its subtree).';
COMMENT ON COLUMN v_org_summary.active_reps IS 'Active members at level sales_rep in the team itself.';
COMMENT ON COLUMN v_org_summary.active_customers IS 'Active customers owned by the team itself.';
GRANT SELECT ON v_org_summary TO sales_supervisor_bi, sales_supervisor_manager, sales_supervisor_hr;
-- Layer 2, audit: an append-only log of changes to quotas, appraisal results,
-- promotions and appraisal-cycle states, and the audited reopen of a closed cycle.
--
-- Nobody is granted INSERT, UPDATE, DELETE or TRUNCATE on audit_log; rows are
-- written only by the SECURITY DEFINER trigger function audit_row() and by
-- reopen_appraisal_cycle().  UPDATE, DELETE and TRUNCATE are refused by
-- triggers even for the owner (short of disabling the triggers).

CREATE TABLE audit_log (
  audit_id     bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  table_name   text NOT NULL,
  row_key      jsonb NOT NULL,
  action       text NOT NULL CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'REOPEN')),
  changed_by   name NOT NULL DEFAULT session_user,
  acting_role  name,
  changed_at   timestamptz NOT NULL DEFAULT now(),
  txid         bigint NOT NULL DEFAULT pg_catalog.txid_current(),
  old_row      jsonb,
  new_row      jsonb,
  reason       text,
  CONSTRAINT audit_log_rows CHECK (CASE action WHEN 'INSERT' THEN old_row IS NULL AND new_row IS NOT NULL
                                               WHEN 'DELETE' THEN old_row IS NOT NULL AND new_row IS NULL
                                               ELSE old_row IS NOT NULL AND new_row IS NOT NULL END),
  CONSTRAINT audit_log_reopen_reason CHECK (action <> 'REOPEN' OR btrim(reason) <> '')
);
CREATE INDEX audit_log_table_key_idx ON audit_log (table_name, row_key);
CREATE INDEX audit_log_changed_at_idx ON audit_log (changed_at);
COMMENT ON TABLE audit_log IS
'Append-only audit of changes to quota, appraisal_result, promotion and appraisal_cycle, and of every reopen of a closed appraisal cycle: who, when, the row before and after. Never updated or deleted; readable by HR.';
COMMENT ON COLUMN audit_log.audit_id IS 'Audit entry identifier (increasing in write order).';
COMMENT ON COLUMN audit_log.table_name IS 'Table changed.';
COMMENT ON COLUMN audit_log.row_key IS 'Primary key of the row changed, as a JSON object.';
COMMENT ON COLUMN audit_log.action IS 'INSERT, UPDATE, DELETE, or REOPEN (reopen of a closed appraisal cycle).';
COMMENT ON COLUMN audit_log.changed_by IS 'Session user (the login) who made the change.';
COMMENT ON COLUMN audit_log.acting_role IS 'Role the session acted as (SET ROLE), if any.';
COMMENT ON COLUMN audit_log.changed_at IS 'Transaction time of the change.';
COMMENT ON COLUMN audit_log.txid IS 'Transaction id of the change (groups the entries of one transaction).';
COMMENT ON COLUMN audit_log.old_row IS 'Row before the change (NULL for INSERT).';
COMMENT ON COLUMN audit_log.new_row IS 'Row after the change (NULL for DELETE).';
COMMENT ON COLUMN audit_log.reason IS 'Reason given (required for REOPEN).';

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_hr ON audit_log FOR SELECT TO sales_supervisor_hr USING (true);
GRANT SELECT ON audit_log TO sales_supervisor_hr;

SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.audit_log'::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump(
  pg_catalog.pg_get_serial_sequence('sales_supervisor.audit_log', 'audit_id')::pg_catalog.regclass, '');

-- audit_row(key columns...): AFTER ROW trigger writing one audit entry.
CREATE FUNCTION audit_row()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  v_key jsonb := '{}';
  i integer;
BEGIN
  IF sales_supervisor.is_restoring() THEN
    RETURN NULL;                        -- the dumped audit_log already holds the history
  END IF;
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    v_key := v_key || jsonb_build_object(TG_ARGV[i], v_row -> TG_ARGV[i]);
  END LOOP;
  IF TG_OP = 'UPDATE' AND to_jsonb(OLD) = to_jsonb(NEW) THEN
    RETURN NULL;                        -- nothing changed
  END IF;
  INSERT INTO sales_supervisor.audit_log (table_name, row_key, action, acting_role, old_row, new_row)
  VALUES (TG_TABLE_NAME, v_key, TG_OP,
          nullif(current_setting('role'), 'none'),
          CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
          CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION audit_row() IS
'AFTER ROW trigger: appends the change (key columns given as trigger arguments, old and new row as jsonb, session user, role) to audit_log. Security definer, so callers need no privilege on audit_log.';
REVOKE ALL ON FUNCTION audit_row() FROM PUBLIC;

CREATE TRIGGER quota_audit AFTER INSERT OR UPDATE OR DELETE ON quota
  FOR EACH ROW EXECUTE FUNCTION audit_row('quota_id');
CREATE TRIGGER appraisal_result_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_result
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'member_id');
CREATE TRIGGER promotion_audit AFTER INSERT OR UPDATE OR DELETE ON promotion
  FOR EACH ROW EXECUTE FUNCTION audit_row('promotion_id');
CREATE TRIGGER appraisal_cycle_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_cycle
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id');

CREATE FUNCTION reopen_appraisal_cycle(cycle integer, reason text, login name DEFAULT current_user)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  c sales_supervisor.appraisal_cycle;
BEGIN
  -- current_member_id() checks that the session may act as login.
  PERFORM sales_supervisor.current_member_id(login);
  IF NOT (pg_catalog.pg_has_role(login, 'sales_supervisor_hr', 'MEMBER')
          OR pg_catalog.pg_has_role(login, 'sales_supervisor_manager', 'MEMBER')) THEN
    RAISE EXCEPTION 'role "%" may not reopen appraisal cycle %', login, cycle
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Only HR (sales_supervisor_hr) and managers (sales_supervisor_manager) reopen cycles.';
  END IF;
  IF reason IS NULL OR btrim(reason) = '' THEN
    RAISE EXCEPTION 'a reason is required to reopen appraisal cycle %', cycle
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO c FROM sales_supervisor.appraisal_cycle a WHERE a.cycle_id = cycle FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle USING ERRCODE = 'no_data_found';
  END IF;
  IF c.state <> 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not closed', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  INSERT INTO sales_supervisor.audit_log (table_name, row_key, action, acting_role, old_row, new_row, reason)
  VALUES ('appraisal_cycle', jsonb_build_object('cycle_id', cycle), 'REOPEN', login,
          to_jsonb(c), jsonb_set(to_jsonb(c), '{state}', to_jsonb('calibrating'::text)), reason);
  UPDATE sales_supervisor.appraisal_cycle a SET state = 'calibrating' WHERE a.cycle_id = cycle;
END
$$;
COMMENT ON FUNCTION reopen_appraisal_cycle(integer, text, name) IS
'Reopens a closed appraisal cycle (back to calibrating) so its results can be corrected; HR and managers only; the reason, who and when are written to audit_log. The only way to change a closed cycle.';
REVOKE ALL ON FUNCTION reopen_appraisal_cycle(integer, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reopen_appraisal_cycle(integer, text, name)
  TO sales_supervisor_manager, sales_supervisor_hr;
-- Layer 3, operations: the sales year, step 1 -- shared helpers and quotas.
--
-- The year is a handful of calls, each one transaction (a function call is
-- atomic), each VOLATILE, each SECURITY DEFINER with a fixed search_path
-- because it must read across row-level security (last year's sales of the
-- whole company, every rep's customers), and each starting with an explicit
-- role check of the login it acts for (login name DEFAULT current_user: the
-- default is evaluated in the caller, and current_member_id() refuses a login
-- the session may not act as).  Every refusal is RAISE ... USING ERRCODE,
-- DETAIL and HINT.  The work is set-based: loops run over tree levels or over
-- a handful of KPI definitions, never over sales lines.
--
--   40 allocate_quotas, lock_quotas, quota_rollup     (this file)
--   41 kpi_target, score_kpis
--   42 run_commission
--   43 open/start/calibrate/close_appraisal_cycle, appraisal_consequence
--   44 promotion_candidates, approve_promotion, year_end_pay, bonus_target
--
-- Schema change (owned by the data-model part, made here to stay local):
-- quota.method also accepts 'potential' and 'blend', the two allocation bases
-- of allocate_quotas besides 'history' and 'equal'.

ALTER TABLE quota DROP CONSTRAINT quota_method_check;
ALTER TABLE quota ADD CONSTRAINT quota_method_check
  CHECK (method IN ('manual', 'top_down', 'bottom_up', 'seasonal', 'ramp', 'history', 'equal',
                    'potential', 'blend'));
COMMENT ON COLUMN quota.method IS
'How the amount was allocated: manual, top_down (a team''s share of its parent), history / potential / blend / equal (a rep''s share by that basis), seasonal (a month of a yearly quota), ramp (a month of a new hire''s ramped quota), bottom_up.';

-- ---------------------------------------------------------------------------
-- require_role: the explicit role check every step starts with.
-- ---------------------------------------------------------------------------
CREATE FUNCTION require_role(login name, allowed text[], action text)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  r text;
  v_member integer;
BEGIN
  IF login IS NULL THEN
    RAISE EXCEPTION 'login must not be null to %', action
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Leave login out: it defaults to current_user.';
  END IF;
  -- checks that the session may act as login (raises otherwise)
  v_member := sales_supervisor.current_member_id(login);
  FOREACH r IN ARRAY allowed LOOP
    IF pg_catalog.pg_has_role(login, r, 'MEMBER') THEN
      RETURN v_member;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'role "%" may not %', login, action
    USING ERRCODE = 'insufficient_privilege',
          DETAIL = pg_catalog.format('Allowed: members of %s.', pg_catalog.array_to_string(allowed, ', ')),
          HINT = 'Ask an administrator to GRANT one of these roles to the login.';
END
$$;
COMMENT ON FUNCTION require_role(name, text[], text) IS
'Role check of the sales-year steps: returns the member id of login (NULL for a login that is no member, such as the extension owner) when login is a member of one of the allowed roles (superusers are members of every role); otherwise error 42501 naming the login and the action. Refuses a login the session may not act as.';
REVOKE ALL ON FUNCTION require_role(name, text[], text) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- credited_sales: each sales line credited to its reps, in exact cents.
-- ---------------------------------------------------------------------------
CREATE FUNCTION credited_sales(from_date date, to_date date)
RETURNS TABLE (sale_id bigint, sold_on date, member_id integer, share_pct numeric, amount numeric,
               refund_of bigint)
LANGUAGE sql STABLE PARALLEL SAFE
-- A body parsed at creation (BEGIN ATOMIC) instead of SET search_path: names
-- are resolved once, at CREATE EXTENSION, so nothing can hijack them, and the
-- planner still inlines the function into the caller's query (a scan of
-- millions of lines must not go through a tuplestore, and the caller's
-- predicates are pushed into it).
BEGIN ATOMIC
  SELECT s.sale_id, s.sold_on, s.member_id, 100.00::numeric, s.amount, s.refund_of
  FROM sales_supervisor.sale s
  WHERE s.sold_on >= from_date AND s.sold_on <= to_date
    AND NOT EXISTS (SELECT 1 FROM sales_supervisor.sale_credit sc WHERE sc.sale_id = s.sale_id)
  UNION ALL
  SELECT s.sale_id, s.sold_on, sc.member_id, sc.share_pct,
         sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric)
                            OVER (PARTITION BY s.sale_id ORDER BY sc.member_id),
         s.refund_of
  FROM sales_supervisor.sale s
  JOIN sales_supervisor.sale_credit sc ON sc.sale_id = s.sale_id
  WHERE s.sold_on >= from_date AND s.sold_on <= to_date;
END;
COMMENT ON FUNCTION credited_sales(date, date) IS
'Sales lines sold between from_date and to_date (inclusive) as credit per rep: a line without sale_credit rows credits 100 % to sale.member_id; a split line is divided by share_pct in exact cents with allocate_quota(|amount|, share, 0.01) (largest remainder, ties to the larger share, then the lower member id), so the credits add up to the line; refund lines (negative) split the same way. Security invoker: row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION credited_sales(date, date)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- credited_sales_by_month: credited_sales added up per rep, calendar month
-- and sign -- what the KPIs, quota history and commission runs need -- without
-- splitting every line: the lines are summed as booked (one pass, like a plain
-- GROUP BY), then the few split lines are moved from the booked rep to the
-- credited reps.  Equal to grouping credited_sales(from_date, to_date).
-- The split lines are found from sale_credit by sale_id, within the range of
-- ids the first pass met among the sales lines and among the refund lines
-- (ids follow the order lines are entered, and refunds come later, so a
-- month's window reads about a month's splits), each probing sale by its key:
-- a hash join would read every line of the window a second time.  The ranges
-- only narrow the search; the probe decides.
CREATE FUNCTION credited_sales_by_month(from_date date, to_date date)
RETURNS TABLE (member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH booked AS MATERIALIZED (
    SELECT s.member_id, date_trunc('month', s.sold_on::timestamp)::date AS month, s.refund_of IS NOT NULL AS refund,
           count(*) AS lines, sum(s.amount) AS amount, min(s.sale_id) AS lo, max(s.sale_id) AS hi
    FROM sales_supervisor.sale s
    WHERE s.sold_on >= from_date AND s.sold_on <= to_date
    GROUP BY 1, 2, 3),
  split AS (
    SELECT s.member_id AS booked_id, s.sold_on, s.refund, s.amount, sc.member_id,
           row_number() OVER w = 1 AS first_share,
           sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric) OVER w AS credit
    FROM sales_supervisor.sale_credit sc
    CROSS JOIN LATERAL (
      SELECT s1.member_id, s1.sold_on, s1.refund_of IS NOT NULL AS refund, s1.amount
      FROM sales_supervisor.sale s1
      WHERE s1.sale_id = sc.sale_id AND s1.sold_on >= from_date AND s1.sold_on <= to_date
      OFFSET 0) s   -- (kept a parameterised probe of sale's key)
    WHERE sc.sale_id BETWEEN (SELECT min(b.lo) FROM booked b WHERE NOT b.refund)
                         AND (SELECT max(b.hi) FROM booked b WHERE NOT b.refund)
       OR sc.sale_id BETWEEN (SELECT min(b.lo) FROM booked b WHERE b.refund)
                         AND (SELECT max(b.hi) FROM booked b WHERE b.refund)
    WINDOW w AS (PARTITION BY sc.sale_id ORDER BY sc.member_id))
  SELECT x.member_id, x.month, x.refund, sum(x.lines)::bigint, sum(x.amount)
  FROM (
    SELECT b.member_id, b.month, b.refund, b.lines, b.amount FROM booked b
    UNION ALL   -- each split line: credited to its reps ...
    SELECT sp.member_id, date_trunc('month', sp.sold_on::timestamp)::date, sp.refund, 1, sp.credit FROM split sp
    UNION ALL   -- ... and taken from the rep it is booked to
    SELECT sp.booked_id, date_trunc('month', sp.sold_on::timestamp)::date, sp.refund, -1, -sp.amount
    FROM split sp WHERE sp.first_share
  ) x
  GROUP BY 1, 2, 3
  HAVING sum(x.lines) <> 0;
END;
COMMENT ON FUNCTION credited_sales_by_month(date, date) IS
'credited_sales(from_date, to_date) added up per rep, calendar month (first day) and refunds (false: sales lines, true: refund lines): lines = credited lines (a split line counts once per credited rep), amount = exact credited sum. Computed in one pass over the lines plus the split lines. Security invoker: row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION credited_sales_by_month(date, date)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- year_bounds: first and last day of a fiscal year (its year period, else the calendar year).
CREATE FUNCTION year_bounds(fiscal_year integer, OUT start_on date, OUT end_on date)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce((SELECT p.start_on FROM sales_supervisor.fiscal_period p
                   WHERE p.kind = 'year' AND p.fiscal_year = year_bounds.fiscal_year),
                  make_date(year_bounds.fiscal_year, 1, 1)),
         coalesce((SELECT p.end_on FROM sales_supervisor.fiscal_period p
                   WHERE p.kind = 'year' AND p.fiscal_year = year_bounds.fiscal_year),
                  make_date(year_bounds.fiscal_year, 12, 31))
$$;
COMMENT ON FUNCTION year_bounds(integer) IS
'First and last day of a fiscal year: those of its fiscal_period of kind year, else 1 January and 31 December.';
GRANT EXECUTE ON FUNCTION year_bounds(integer)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- allocate_quotas
-- ---------------------------------------------------------------------------
CREATE FUNCTION allocate_quotas(fiscal_year integer, company_target numeric,
                                basis text DEFAULT 'history', history_weight numeric DEFAULT 0.5,
                                over_assignment_pct numeric[] DEFAULT '{}',
                                seasonal text DEFAULT 'default',
                                ramp_pct numeric[] DEFAULT '{25,50,75,100}',
                                unit numeric DEFAULT 1,
                                login name DEFAULT current_user)
RETURNS TABLE (team_id integer, member_id integer, depth integer, weight numeric,
               ramp_factor numeric, amount numeric, method text, locked boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p_year   integer := allocate_quotas.fiscal_year;
  p_unit   numeric := allocate_quotas.unit;
  v_year   fiscal_period;
  v_months integer;
  v_n      integer;
  v_sum    numeric;
  v_depth  integer;
  v_max    integer;
  v_over   numeric;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'allocate quotas');
  IF p_year IS NULL OR company_target IS NULL OR basis IS NULL OR history_weight IS NULL
     OR over_assignment_pct IS NULL OR seasonal IS NULL OR ramp_pct IS NULL OR p_unit IS NULL THEN
    RAISE EXCEPTION 'allocate_quotas arguments must not be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass every argument or leave it to its default.';
  END IF;
  IF basis NOT IN ('history', 'potential', 'blend', 'equal') THEN
    RAISE EXCEPTION 'unknown allocation basis "%"', basis
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'history: last year''s credited sales; potential: weighted open pipeline of the year; blend: history_weight x history share + (1 - history_weight) x potential share; equal.',
            HINT = 'Use history, potential, blend or equal.';
  END IF;
  IF history_weight < 0 OR history_weight > 1 THEN
    RAISE EXCEPTION 'history_weight must be between 0 and 1, got %', history_weight
      USING ERRCODE = 'invalid_parameter_value', HINT = '0.5 weighs history and potential equally.';
  END IF;
  IF p_unit <= 0 THEN
    RAISE EXCEPTION 'unit must be positive, got %', p_unit
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Quotas are whole multiples of unit (1 = whole currency units).';
  END IF;
  IF company_target < 0 OR company_target % p_unit <> 0 THEN
    RAISE EXCEPTION 'company_target % is not a non-negative multiple of unit %', company_target, p_unit
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Round the target to the unit.';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(over_assignment_pct) o WHERE o IS NULL OR o < 0 OR o > 100) THEN
    RAISE EXCEPTION 'over_assignment_pct % has an element outside 0..100', over_assignment_pct
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Element d is the over-assignment, in percent, when a node of depth d - 2 splits its target among its children (element 1: company to departments).';
  END IF;
  IF cardinality(ramp_pct) = 0 OR EXISTS (SELECT 1 FROM unnest(ramp_pct) r WHERE r IS NULL OR r < 0 OR r > 100) THEN
    RAISE EXCEPTION 'ramp_pct % must list percentages within 0..100', ramp_pct
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Element k is the capacity of a new hire in their k-th month (the month of hire is month 1), for example {25,50,75,100}.';
  END IF;
  SELECT * INTO v_year FROM fiscal_period fp WHERE fp.kind = 'year' AND fp.fiscal_year = p_year;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal year % has no fiscal_period of kind year', p_year
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Insert the year and its 12 month periods into fiscal_period first.';
  END IF;
  SELECT count(*) INTO v_months FROM fiscal_period fp WHERE fp.kind = 'month' AND fp.fiscal_year = p_year;
  IF v_months <> 12 THEN
    RAISE EXCEPTION 'fiscal year % has % month periods, not 12', p_year, v_months
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Insert the 12 month periods into fiscal_period.';
  END IF;
  SELECT count(*), sum(sd.share_pct) INTO v_n, v_sum
  FROM seasonal_distribution sd WHERE sd.name = seasonal AND sd.fiscal_year = p_year;
  IF v_n <> 12 OR v_sum IS DISTINCT FROM 100 THEN
    RAISE EXCEPTION 'seasonal distribution "%" of % covers % months summing to %, not 12 months summing to 100',
                    seasonal, p_year, v_n, coalesce(v_sum, 0)
      USING ERRCODE = 'check_violation',
            DETAIL = 'A yearly quota is spread over the months by the seasonal distribution; it must cover every month of the year and sum to 100 percent.',
            HINT = 'Insert 12 seasonal_distribution rows for the name and year whose share_pct sum to 100.';
  END IF;

  -- ---- the tree: teams with depth, reps (active sales_rep hired by year end) under their team
  IF to_regclass('pg_temp._q_node') IS NOT NULL THEN DROP TABLE pg_temp._q_node; END IF;
  CREATE TEMP TABLE _q_node (
    team_id integer, member_id integer, parent_team integer, depth integer,
    weight numeric NOT NULL DEFAULT 0, ramp_factor numeric NOT NULL DEFAULT 1,
    locked_amount numeric, amount numeric, upper_bound numeric) ON COMMIT DROP;
  INSERT INTO _q_node (team_id, parent_team, depth)
  WITH RECURSIVE t(team_id, parent_id, depth) AS (
    SELECT tm.team_id, tm.parent_id, 0 FROM team tm WHERE tm.parent_id IS NULL
    UNION ALL
    SELECT c.team_id, c.parent_id, t.depth + 1 FROM team c JOIN t ON c.parent_id = t.team_id
    WHERE t.depth < 1000)
  SELECT t.team_id, t.parent_id, t.depth FROM t;

  INSERT INTO _q_node (member_id, parent_team, depth, weight, ramp_factor)
  SELECT m.member_id, m.team_id, n.depth + 1,
         CASE basis WHEN 'equal' THEN 1
                    WHEN 'history' THEN coalesce(h.sold, 0)
                    WHEN 'potential' THEN coalesce(p.pot, 0)
                    -- shares rounded to 12 decimals: allocate_quota works in 18 significant digits
                    ELSE round(history_weight * coalesce(h.sold / nullif(sum(h.sold) OVER (), 0), 0)
                               + (1 - history_weight) * coalesce(p.pot / nullif(sum(p.pot) OVER (), 0), 0), 12) END,
         r.factor
  FROM member m
  JOIN _q_node n ON n.team_id = m.team_id
  LEFT JOIN (SELECT cs.member_id, greatest(sum(cs.amount), 0) AS sold
             FROM credit_by_month((v_year.start_on - interval '1 year')::date, v_year.start_on - 1) cs
             GROUP BY cs.member_id) h ON h.member_id = m.member_id
  LEFT JOIN (SELECT o.member_id, sum(o.amount * o.probability / 100) AS pot
             FROM opportunity o   -- (amount x probability / 100: at most 2 + 2 decimals)
             WHERE o.stage <> 'lost' AND o.expected_close BETWEEN v_year.start_on AND v_year.end_on
             GROUP BY o.member_id) p ON p.member_id = m.member_id
  CROSS JOIN LATERAL (
    SELECT sum(sd.share_pct / 100
               * CASE WHEN mh < 0 THEN 0
                      WHEN mh < cardinality(ramp_pct) THEN ramp_pct[mh + 1] / 100
                      ELSE 1 END) AS factor
    FROM seasonal_distribution sd
    CROSS JOIN LATERAL (SELECT (extract(year FROM v_year.start_on)::integer * 12
                                + extract(month FROM v_year.start_on)::integer - 1 + sd.month - 1)
                               - (extract(year FROM m.hire_date)::integer * 12
                                  + extract(month FROM m.hire_date)::integer - 1) AS mh) x
    WHERE sd.name = seasonal AND sd.fiscal_year = p_year) r
  WHERE m.active AND m.level = 'sales_rep' AND m.hire_date <= v_year.end_on;

  -- a rep with no weight of their own (a new hire has no history) is weighted
  -- like the average weighted rep of their team (1 if nobody there has one)
  UPDATE _q_node q SET weight = coalesce(round(a.avg_w, CASE WHEN basis = 'blend' THEN 12 ELSE 4 END), 1)
  FROM (SELECT q2.member_id,
               (SELECT avg(q3.weight) FROM _q_node q3
                WHERE q3.parent_team = q2.parent_team AND q3.member_id IS NOT NULL AND q3.weight > 0) AS avg_w
        FROM _q_node q2 WHERE q2.member_id IS NOT NULL AND q2.weight = 0) a
  WHERE q.member_id = a.member_id;

  -- team weight = sum of the rep weights in its subtree
  UPDATE _q_node q SET weight = coalesce(s.w, 0)
  FROM (WITH RECURSIVE up(team_id, member_weight) AS (
          SELECT r.parent_team, r.weight FROM _q_node r WHERE r.member_id IS NOT NULL
          UNION ALL
          SELECT tm.parent_id, up.member_weight FROM up JOIN team tm ON tm.team_id = up.team_id
          WHERE tm.parent_id IS NOT NULL)
        SELECT up.team_id, sum(up.member_weight) AS w FROM up GROUP BY up.team_id) s
  WHERE q.team_id = s.team_id;

  -- locked yearly quotas are kept as they are
  UPDATE _q_node q SET locked_amount = qu.amount
  FROM quota qu
  WHERE qu.period_id = v_year.period_id AND qu.locked AND qu.team_id = q.team_id;
  UPDATE _q_node q SET locked_amount = qu.amount
  FROM quota qu
  WHERE qu.period_id = v_year.period_id AND qu.locked AND qu.member_id = q.member_id;

  -- ---- top-down, one tree level at a time: the company target to the
  -- departments, then each team's target (with that level's over-assignment)
  -- to its child teams and its reps; locked nodes are pinned by lower = upper,
  -- new hires capped at ramp_factor x their unconstrained share.
  SELECT max(q.depth) INTO v_max FROM _q_node q;
  FOR v_depth IN -1 .. coalesce(v_max, 0) - 1 LOOP
    v_over := coalesce(over_assignment_pct[v_depth + 2], 0);
    WITH parent AS (
      SELECT NULL::integer AS team_id, company_target AS target WHERE v_depth = -1
      UNION ALL
      SELECT q.team_id, q.amount FROM _q_node q WHERE v_depth >= 0 AND q.depth = v_depth AND q.team_id IS NOT NULL),
    kids AS (
      SELECT c.ctid AS row_id, c.team_id, c.member_id, c.locked_amount, c.ramp_factor,
             p.team_id AS parent_key,
             round(p.target * (1 + v_over / 100) / p_unit) * p_unit AS total,
             CASE WHEN sum(c.weight) FILTER (WHERE c.locked_amount IS NULL)
                         OVER (PARTITION BY p.team_id) > 0 THEN c.weight ELSE 1 END AS w
      FROM _q_node c
      JOIN parent p ON c.parent_team IS NOT DISTINCT FROM p.team_id
      WHERE c.depth = v_depth + 1),
    bounded AS (
      SELECT k.*,
             CASE WHEN k.locked_amount IS NOT NULL THEN k.locked_amount END AS lo,
             CASE WHEN k.locked_amount IS NOT NULL THEN k.locked_amount
                  -- the ramp caps a new hire only if someone uncapped can carry the rest
                  WHEN k.member_id IS NOT NULL AND k.ramp_factor < 1
                       AND count(*) FILTER (WHERE k.locked_amount IS NULL AND (k.member_id IS NULL OR k.ramp_factor >= 1))
                             OVER (PARTITION BY k.parent_key) > 0 THEN
                    floor(k.ramp_factor
                          * (k.total - coalesce(sum(k.locked_amount) OVER (PARTITION BY k.parent_key), 0))
                          * k.w / sum(k.w) FILTER (WHERE k.locked_amount IS NULL) OVER (PARTITION BY k.parent_key)
                          / p_unit) * p_unit END AS hi
      FROM kids k),
    alloc AS (
      SELECT b.row_id, b.hi,
             allocate_quota(b.total, b.w, p_unit, b.lo, b.hi)
               OVER (PARTITION BY b.parent_key ORDER BY b.team_id NULLS LAST, b.member_id) AS amt
      FROM bounded b)
    UPDATE _q_node q SET amount = a.amt, upper_bound = a.hi FROM alloc a WHERE q.ctid = a.row_id;
  END LOOP;

  -- ---- write the yearly quotas (locked rows are never touched)
  INSERT INTO quota AS qu (period_id, team_id, amount, method)
  SELECT v_year.period_id, q.team_id, q.amount, 'top_down' FROM _q_node q
  WHERE q.team_id IS NOT NULL AND q.locked_amount IS NULL AND q.amount IS NOT NULL
  ON CONFLICT (team_id, period_id) WHERE team_id IS NOT NULL
  DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                allocated_by = session_user
  WHERE NOT qu.locked;
  INSERT INTO quota AS qu (period_id, member_id, amount, method)
  SELECT v_year.period_id, q.member_id, q.amount, basis FROM _q_node q
  WHERE q.member_id IS NOT NULL AND q.locked_amount IS NULL AND q.amount IS NOT NULL
  ON CONFLICT (member_id, period_id) WHERE member_id IS NOT NULL
  DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                allocated_by = session_user
  WHERE NOT qu.locked;

  -- ---- months: each yearly amount spread by season (x ramp for new hires);
  -- locked monthly quotas pinned by lower = upper.
  WITH node_month AS (
    SELECT q.team_id, q.member_id, q.amount AS total, q.ramp_factor, fp.period_id, fp.month,
           sd.share_pct
             * CASE WHEN q.member_id IS NULL THEN 1
                    WHEN x.mh < 0 THEN 0
                    WHEN x.mh < cardinality(ramp_pct) THEN ramp_pct[x.mh + 1] / 100
                    ELSE 1 END AS w0,
           coalesce(lqt.amount, lqm.amount) AS locked_amount
    FROM _q_node q
    JOIN fiscal_period fp ON fp.kind = 'month' AND fp.fiscal_year = p_year
    JOIN seasonal_distribution sd ON sd.name = seasonal AND sd.fiscal_year = p_year AND sd.month = fp.month
    LEFT JOIN member m ON m.member_id = q.member_id
    CROSS JOIN LATERAL (SELECT (extract(year FROM v_year.start_on)::integer * 12
                                + extract(month FROM v_year.start_on)::integer - 1 + fp.month - 1)
                               - (extract(year FROM m.hire_date)::integer * 12
                                  + extract(month FROM m.hire_date)::integer - 1) AS mh) x
    LEFT JOIN quota lqt ON lqt.period_id = fp.period_id AND lqt.locked AND lqt.team_id = q.team_id
    LEFT JOIN quota lqm ON lqm.period_id = fp.period_id AND lqm.locked AND lqm.member_id = q.member_id
    WHERE q.amount IS NOT NULL),
  weighted AS (
    SELECT nm.*, CASE WHEN sum(nm.w0) OVER (PARTITION BY nm.team_id, nm.member_id) > 0 THEN nm.w0 ELSE 1 END AS w
    FROM node_month nm),
  alloc AS (
    SELECT w.team_id, w.member_id, w.period_id, w.locked_amount,
           CASE WHEN w.member_id IS NOT NULL AND w.ramp_factor < 1 THEN 'ramp' ELSE 'seasonal' END AS method,
           allocate_quota(w.total, w.w, p_unit, w.locked_amount, w.locked_amount)
             OVER (PARTITION BY w.team_id, w.member_id ORDER BY w.month) AS amt
    FROM weighted w),
  team_rows AS (
    INSERT INTO quota AS qu (period_id, team_id, amount, method)
    SELECT a.period_id, a.team_id, a.amt, a.method FROM alloc a
    WHERE a.team_id IS NOT NULL AND a.locked_amount IS NULL
    ON CONFLICT (team_id, period_id) WHERE team_id IS NOT NULL
    DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                  allocated_by = session_user
    WHERE NOT qu.locked
    RETURNING 1)
  INSERT INTO quota AS qu (period_id, member_id, amount, method)
  SELECT a.period_id, a.member_id, a.amt, a.method FROM alloc a
  WHERE a.member_id IS NOT NULL AND a.locked_amount IS NULL
  ON CONFLICT (member_id, period_id) WHERE member_id IS NOT NULL
  DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                allocated_by = session_user
  WHERE NOT qu.locked;

  RETURN QUERY
  SELECT q.team_id, q.member_id, q.depth, q.weight, round(q.ramp_factor, 6), q.amount,
         CASE WHEN q.team_id IS NOT NULL THEN 'top_down' ELSE basis END,
         q.locked_amount IS NOT NULL
  FROM _q_node q
  ORDER BY q.depth, q.team_id NULLS LAST, q.member_id;
END
$fn$;
COMMENT ON FUNCTION allocate_quotas(integer, numeric, text, numeric, numeric[], text, numeric[], numeric, name) IS
'Allocates a company sales target top-down along the team tree for a fiscal year, in one transaction: the target goes to the departments, each team''s target (raised by that level''s over_assignment_pct[depth + 2] percent) to its child teams and its active reps, by weight = basis (history: last year''s credited sales; potential: weighted open pipeline expected to close in the year; blend: history_weight x history share + (1 - history_weight) x potential share; equal); a rep without weight counts as the team''s average rep; a team weighs the sum of its reps. New hires are capped at ramp_factor x their unconstrained share, ramp_factor = sum over months of season x ramp_pct of the month since hire (not when nobody uncapped is left to carry the rest of their team''s target). Every share is exact in units (allocate_quota, largest remainder). Yearly quotas are written (teams top_down, reps by basis) and spread to the 12 months by the seasonal distribution (x ramp for new hires: method ramp), which must cover 12 months summing to 100. Locked quotas are kept and the others share the rest. Managers only. Returns every node of the tree with its weight and amount.';
REVOKE ALL ON FUNCTION allocate_quotas(integer, numeric, text, numeric, numeric[], text, numeric[], numeric, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION allocate_quotas(integer, numeric, text, numeric, numeric[], text, numeric[], numeric, name)
  TO sales_supervisor_manager;

CREATE FUNCTION lock_quotas(fiscal_year integer, login name DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'lock quotas');
  UPDATE quota q SET locked = true
  FROM fiscal_period fp
  WHERE fp.period_id = q.period_id AND fp.fiscal_year = lock_quotas.fiscal_year AND NOT q.locked;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION lock_quotas(integer, name) IS
'Locks every quota of a fiscal year (yearly and monthly, teams and reps), so later allocate_quotas calls keep them; returns the number of quotas newly locked. Managers only; every change is audited.';
REVOKE ALL ON FUNCTION lock_quotas(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lock_quotas(integer, name) TO sales_supervisor_manager;

-- quota_rollup: a team's own quota against the sum of the rep quotas in its subtree.
CREATE VIEW quota_rollup WITH (security_invoker = true) AS
WITH RECURSIVE sub(root_id, team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT sub.root_id, c.team_id, sub.depth + 1 FROM team c JOIN sub ON c.parent_id = sub.team_id
  WHERE sub.depth < 1000)
SELECT tq.team_id, tq.period_id, tq.amount AS team_quota,
       (SELECT sum(rq.amount) FROM quota rq JOIN member m ON m.member_id = rq.member_id
        WHERE rq.period_id = tq.period_id
          AND m.team_id IN (SELECT s.team_id FROM sub s WHERE s.root_id = tq.team_id)) AS rep_quota_sum
FROM quota tq
WHERE tq.team_id IS NOT NULL;
COMMENT ON VIEW quota_rollup IS
'Team targets rolled up: per team and period, the team''s own quota and the sum of the quotas of the reps in its subtree (larger by the over-assignment). Security invoker: row-level security of the caller applies.';
COMMENT ON COLUMN quota_rollup.team_id IS 'Team.';
COMMENT ON COLUMN quota_rollup.period_id IS 'Fiscal period.';
COMMENT ON COLUMN quota_rollup.team_quota IS 'The team''s own quota.';
COMMENT ON COLUMN quota_rollup.rep_quota_sum IS 'Sum of the quotas of the reps in the team''s subtree for the period.';
GRANT SELECT ON quota_rollup TO sales_supervisor_supervisor, sales_supervisor_manager;
-- Layer 3, operations: the sales year, step 2 -- KPI targets and scoring.
--
-- A KPI is a kpi_definition (metric, direction, curve, component) weighted per
-- cycle and level in kpi_weight.  score_kpis() measures every metric for every
-- member whose level has KPI weights, in one set-based statement per metric,
-- and writes kpi_result (attainment = kpi_attainment, score = kpi_score).
--
-- Metrics (kpi_definition.metric) and their actual / target:
--   sales_amount        credited sales of the member in the year (split credit
--                       by share, exact cents) / the member's yearly quota
--   team_sales_amount   credited sales of every member of the team scope (the
--                       subtree of the teams the member leads, else of the
--                       member's team) / the yearly quota of those teams
--   new_customers       customers of the scope who became customers in the year / kpi_target
--   visit_completion    return visits done in the year, at most the tier's
--   (or visits_done)    cadence per customer, over the scope's active customers
--                       / the visits the cadence requires (days active / every_days, floored)
--   feedback_hours      mean hours from opened to resolved of the feedback the
--                       scope handled, opened in the year (an unresolved item
--                       counts up to the year end) / kpi_target (lower is better)
--   csat, nps           csat() / nps() of the surveys answered in the year by
--                       customers the scope owns / kpi_target
--   training_hours      hours of training attended in the year / kpi_target
--   on_time_reports     work reports due in the year submitted by their due date
--                       / work reports due in the year
--   forecast_wape       wape() of the member's latest forecast per quarter
--                       against their credited sales of the quarter / kpi_target
--                       (lower is better)
-- "Scope" is the member and, for someone who leads teams, every member of the
-- subtree of those teams.  A metric with no data for a member (no surveys, no
-- forecasts) gives no kpi_result row, so its weight drops out of the member's
-- score (weighted_score renormalises); a target of 0 gives attainment and
-- score NULL, likewise skipped.

CREATE TABLE kpi_target (
  cycle_id  integer NOT NULL REFERENCES appraisal_cycle ON DELETE CASCADE,
  kpi_id    integer NOT NULL REFERENCES kpi_definition ON DELETE RESTRICT,
  level     member_level NOT NULL,
  target    numeric NOT NULL CHECK (target >= 0),
  PRIMARY KEY (cycle_id, kpi_id, level)
);
COMMENT ON TABLE kpi_target IS
'Targets of the KPIs whose metric has no natural target (new_customers, feedback_hours, csat, nps, training_hours, forecast_wape), per cycle and career level. Sales KPIs take the quota, visit and report KPIs the required count.';
COMMENT ON COLUMN kpi_target.cycle_id IS 'Appraisal cycle (targets go with the cycle).';
COMMENT ON COLUMN kpi_target.kpi_id IS 'KPI the target is for.';
COMMENT ON COLUMN kpi_target.level IS 'Career level the target applies to.';
COMMENT ON COLUMN kpi_target.target IS 'Target value, in the KPI''s unit; >= 0.';
GRANT SELECT ON kpi_target
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON kpi_target TO sales_supervisor_hr;
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.kpi_target'::pg_catalog.regclass, '');

-- kpi_measure: the actual and target of every KPI weighted in a cycle, for
-- every member whose level carries it (the set-based core of score_kpis).
CREATE FUNCTION kpi_measure(cycle integer)
RETURNS TABLE (member_id integer, kpi_id integer, actual numeric, target numeric)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c   appraisal_cycle;
  y   record;
  bad record;
BEGIN
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  SELECT * INTO y FROM year_bounds(c.fiscal_year);

  SELECT d.kpi_id, d.code, d.metric INTO bad
  FROM kpi_definition d
  WHERE d.kpi_id IN (SELECT w.kpi_id FROM kpi_weight w WHERE w.cycle_id = cycle)
    AND d.metric NOT IN ('sales_amount', 'team_sales_amount', 'new_customers', 'visit_completion', 'visits_done',
                         'feedback_hours', 'csat', 'nps', 'training_hours', 'on_time_reports', 'forecast_wape')
  ORDER BY d.kpi_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'KPI % ("%") has unknown metric "%"', bad.kpi_id, bad.code, bad.metric
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'score_kpis measures sales_amount, team_sales_amount, new_customers, visit_completion (visits_done), feedback_hours, csat, nps, training_hours, on_time_reports and forecast_wape.',
            HINT = 'Correct kpi_definition.metric or remove the KPI''s kpi_weight rows.';
  END IF;
  SELECT d.kpi_id, d.code, w.level INTO bad
  FROM kpi_weight w JOIN kpi_definition d ON d.kpi_id = w.kpi_id
  WHERE w.cycle_id = cycle
    AND d.metric IN ('new_customers', 'feedback_hours', 'csat', 'nps', 'training_hours', 'forecast_wape')
    AND NOT EXISTS (SELECT 1 FROM kpi_target t WHERE t.cycle_id = cycle AND t.kpi_id = w.kpi_id AND t.level = w.level)
  ORDER BY d.kpi_id, w.level LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'KPI % ("%") has no target for level % in appraisal cycle %', bad.kpi_id, bad.code, bad.level, cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its metric has no natural target (such as a quota or a required count).',
            HINT = 'INSERT INTO kpi_target (cycle_id, kpi_id, level, target) VALUES (...).';
  END IF;
  IF to_regclass('pg_temp._k_who') IS NOT NULL THEN DROP TABLE pg_temp._k_who; END IF;
  IF to_regclass('pg_temp._k_scope') IS NOT NULL THEN DROP TABLE pg_temp._k_scope; END IF;
  IF to_regclass('pg_temp._k_credit') IS NOT NULL THEN DROP TABLE pg_temp._k_credit; END IF;
  -- who is scored: active members hired by the year end whose level carries KPIs
  CREATE TEMP TABLE _k_who ON COMMIT DROP AS
  SELECT m.member_id, m.level, m.team_id FROM member m
  WHERE m.active AND m.hire_date <= y.end_on
    AND EXISTS (SELECT 1 FROM kpi_weight w WHERE w.cycle_id = cycle AND w.level = m.level);
  -- scope: the member, plus the members of the subtree of every team they lead
  CREATE TEMP TABLE _k_scope ON COMMIT DROP AS
  WITH RECURSIVE led(member_id, team_id, depth) AS (
    SELECT tl.member_id, tl.team_id, 0 FROM team_leader tl JOIN _k_who w ON w.member_id = tl.member_id
    UNION
    SELECT led.member_id, t.team_id, led.depth + 1 FROM team t JOIN led ON t.parent_id = led.team_id
    WHERE led.depth < 1000)
  SELECT w.member_id, w.member_id AS scope_id FROM _k_who w
  UNION
  SELECT led.member_id, m.member_id FROM led JOIN member m ON m.team_id = led.team_id;
  -- credited sales of the year per member and quarter (the ledger for the months
  -- the commission runs credited, one scan of the other dates' sales)
  CREATE TEMP TABLE _k_credit ON COMMIT DROP AS
  SELECT cs.member_id, extract(quarter FROM cs.month)::integer AS quarter, sum(cs.amount) AS amount
  FROM credit_by_month(y.start_on, y.end_on) cs GROUP BY 1, 2;
  ANALYZE _k_who; ANALYZE _k_scope; ANALYZE _k_credit;

  RETURN QUERY
  WITH kw AS MATERIALIZED (
    SELECT w.level, d.kpi_id, d.metric, t.target AS set_target
    FROM kpi_weight w JOIN kpi_definition d ON d.kpi_id = w.kpi_id
    LEFT JOIN kpi_target t ON t.cycle_id = w.cycle_id AND t.kpi_id = w.kpi_id AND t.level = w.level
    WHERE w.cycle_id = cycle),
  yq AS MATERIALIZED (SELECT p.period_id FROM fiscal_period p WHERE p.kind = 'year' AND p.fiscal_year = c.fiscal_year),
  sold AS MATERIALIZED (SELECT k.member_id, sum(k.amount) AS amount FROM _k_credit k GROUP BY k.member_id),
  -- team scope for team_sales_amount: the teams the member leads whose parent
  -- they do not also lead (else the member's own team), with their subtrees
  team_root AS MATERIALIZED (
    SELECT w.member_id, tl.team_id FROM _k_who w JOIN team_leader tl ON tl.member_id = w.member_id
    JOIN team t ON t.team_id = tl.team_id
    WHERE NOT EXISTS (SELECT 1 FROM team_leader p WHERE p.member_id = w.member_id AND p.team_id = t.parent_id)
    UNION
    SELECT w.member_id, w.team_id FROM _k_who w
    WHERE NOT EXISTS (SELECT 1 FROM team_leader tl WHERE tl.member_id = w.member_id)),
  team_down AS MATERIALIZED (   -- every team with each team of its subtree (itself included)
    WITH RECURSIVE s(root_id, team_id, depth) AS (
      SELECT t.team_id, t.team_id, 0 FROM team t
      UNION ALL
      SELECT s.root_id, t.team_id, s.depth + 1 FROM team t JOIN s ON t.parent_id = s.team_id
      WHERE s.depth < 1000)
    SELECT s.root_id, s.team_id FROM s),
  team_sold AS MATERIALIZED (
    SELECT tr.member_id, sum(so.amount) AS amount
    FROM team_root tr
    JOIN team_down td ON td.root_id = tr.team_id
    JOIN member mm ON mm.team_id = td.team_id
    JOIN sold so ON so.member_id = mm.member_id
    GROUP BY tr.member_id),
  team_quota AS MATERIALIZED (
    SELECT tr.member_id, sum(q.amount) AS amount
    FROM team_root tr JOIN quota q ON q.team_id = tr.team_id AND q.period_id IN (SELECT period_id FROM yq)
    GROUP BY tr.member_id),
  scope_customer AS MATERIALIZED (
    SELECT s.member_id, cu.customer_id, cu.since, cu.active, cu.tier
    FROM _k_scope s JOIN customer cu ON cu.owner_id = s.scope_id),
  visits_done AS MATERIALIZED (
    SELECT cv.customer_id, count(*) AS done FROM customer_visit cv
    WHERE cv.done_at IS NOT NULL AND cv.done_at::date BETWEEN y.start_on AND y.end_on
    GROUP BY cv.customer_id),
  visits AS MATERIALIZED (
    SELECT sc.member_id,
           sum(least(coalesce(vd.done, 0), floor((y.end_on - greatest(sc.since, y.start_on) + 1)::numeric / vc.every_days))) AS done,
           sum(floor((y.end_on - greatest(sc.since, y.start_on) + 1)::numeric / vc.every_days)) AS required
    FROM scope_customer sc
    JOIN visit_cadence vc ON vc.tier = sc.tier
    LEFT JOIN visits_done vd ON vd.customer_id = sc.customer_id
    WHERE sc.active AND sc.since <= y.end_on
    GROUP BY sc.member_id),
  new_cust AS MATERIALIZED (
    SELECT sc.member_id, count(*) FILTER (WHERE sc.since BETWEEN y.start_on AND y.end_on) AS n
    FROM scope_customer sc GROUP BY sc.member_id),
  fb AS MATERIALIZED (
    SELECT s.member_id,
           round(avg(extract(epoch FROM coalesce(f.resolved_at, (y.end_on + 1)::timestamptz) - f.opened_at)) / 3600, 4) AS hours
    FROM _k_scope s JOIN feedback f ON f.member_id = s.scope_id
    WHERE f.opened_at >= y.start_on::timestamptz AND f.opened_at < (y.end_on + 1)::timestamptz
    GROUP BY s.member_id),
  surveys AS MATERIALIZED (
    SELECT sc.member_id, round(csat(sr.csat), 4) AS csat, round(nps(sr.nps), 4) AS nps
    FROM scope_customer sc JOIN survey_response sr ON sr.customer_id = sc.customer_id
    WHERE sr.answered_at >= y.start_on::timestamptz AND sr.answered_at < (y.end_on + 1)::timestamptz
    GROUP BY sc.member_id),
  training AS MATERIALIZED (
    SELECT ta.member_id, sum(ts.hours) AS hours
    FROM training_attendance ta JOIN training_session ts ON ts.session_id = ta.session_id
    WHERE ta.attended AND ts.held_on BETWEEN y.start_on AND y.end_on
    GROUP BY ta.member_id),
  reports AS MATERIALIZED (
    SELECT wr.member_id,
           count(*) FILTER (WHERE wr.submitted_at IS NOT NULL AND wr.submitted_at::date <= wr.due_on)::numeric AS on_time,
           count(*)::numeric AS due
    FROM work_report wr WHERE wr.due_on BETWEEN y.start_on AND y.end_on
    GROUP BY wr.member_id),
  fc AS MATERIALIZED (   -- the latest forecast of each quarter against the credited sales of the quarter
    SELECT f.member_id, round(wape(coalesce(k.amount, 0)::float8, f.amount::float8)::numeric, 6) AS val
    FROM (SELECT DISTINCT ON (fo.member_id, fo.period_id) fo.member_id, fo.period_id, fo.amount, fp.quarter
          FROM forecast fo JOIN fiscal_period fp ON fp.period_id = fo.period_id
          WHERE fp.kind = 'quarter' AND fp.fiscal_year = c.fiscal_year
          ORDER BY fo.member_id, fo.period_id, fo.submitted_at DESC) f
    LEFT JOIN _k_credit k ON k.member_id = f.member_id AND k.quarter = f.quarter
    GROUP BY f.member_id),
  own_quota AS MATERIALIZED (
    SELECT q.member_id, q.amount FROM quota q WHERE q.member_id IS NOT NULL AND q.period_id IN (SELECT period_id FROM yq))
  SELECT x.member_id, x.kpi_id, x.actual, coalesce(x.target, 0)
  FROM (
    SELECT w.member_id, kw.kpi_id,
           CASE kw.metric
             WHEN 'sales_amount' THEN coalesce(so.amount, 0)
             WHEN 'team_sales_amount' THEN coalesce(tso.amount, 0)
             WHEN 'new_customers' THEN coalesce(nc.n, 0)::numeric
             WHEN 'visit_completion' THEN vi.done
             WHEN 'visits_done' THEN vi.done
             WHEN 'feedback_hours' THEN fb.hours
             WHEN 'csat' THEN sv.csat
             WHEN 'nps' THEN sv.nps
             WHEN 'training_hours' THEN coalesce(tr.hours, 0)
             WHEN 'on_time_reports' THEN rp.on_time
             WHEN 'forecast_wape' THEN fc.val END AS actual,
           CASE kw.metric
             WHEN 'sales_amount' THEN oq.amount
             WHEN 'team_sales_amount' THEN tq.amount
             WHEN 'visit_completion' THEN vi.required
             WHEN 'visits_done' THEN vi.required
             WHEN 'on_time_reports' THEN rp.due
             ELSE kw.set_target END AS target
    FROM _k_who w
    JOIN kw ON kw.level = w.level
    LEFT JOIN sold so ON so.member_id = w.member_id
    LEFT JOIN own_quota oq ON oq.member_id = w.member_id
    LEFT JOIN team_sold tso ON tso.member_id = w.member_id
    LEFT JOIN team_quota tq ON tq.member_id = w.member_id
    LEFT JOIN new_cust nc ON nc.member_id = w.member_id
    LEFT JOIN visits vi ON vi.member_id = w.member_id
    LEFT JOIN fb ON fb.member_id = w.member_id
    LEFT JOIN surveys sv ON sv.member_id = w.member_id
    LEFT JOIN training tr ON tr.member_id = w.member_id
    LEFT JOIN reports rp ON rp.member_id = w.member_id AND rp.due > 0
    LEFT JOIN fc ON fc.member_id = w.member_id) x
  WHERE x.actual IS NOT NULL;
END
$fn$;
COMMENT ON FUNCTION kpi_measure(integer) IS
'Actual and target of every KPI weighted in an appraisal cycle, for every active member whose level carries it (metrics: sales_amount, team_sales_amount, new_customers, visit_completion, feedback_hours, csat, nps, training_hours, on_time_reports, forecast_wape; see the sales-year section of the README). Internal step of score_kpis; reads across row-level security only when called by it.';
REVOKE ALL ON FUNCTION kpi_measure(integer) FROM PUBLIC;

-- kpi_store: replace the kpi_result rows of a cycle (internal; callers check roles and state).
CREATE FUNCTION kpi_store(cycle integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  n bigint;
BEGIN
  DELETE FROM kpi_result r WHERE r.cycle_id = cycle;
  INSERT INTO kpi_result (cycle_id, member_id, kpi_id, actual, target, attainment, score)
  SELECT cycle, km.member_id, km.kpi_id, km.actual, km.target, a.att,
         CASE WHEN a.att IS NOT NULL THEN kpi_score(a.att::float8, d.curve) END
  FROM kpi_measure(cycle) km
  JOIN kpi_definition d ON d.kpi_id = km.kpi_id
  CROSS JOIN LATERAL (SELECT round(kpi_attainment(km.actual, km.target, d.higher_is_better), 6) AS att) a;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION kpi_store(integer) IS
'Replaces the kpi_result rows of an appraisal cycle by kpi_measure() with attainment = round(kpi_attainment(actual, target, direction), 6) and score = kpi_score(attainment, curve); returns the rows written. Internal step of score_kpis and close_appraisal_cycle.';
REVOKE ALL ON FUNCTION kpi_store(integer) FROM PUBLIC;

CREATE FUNCTION score_kpis(cycle integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, kpi_id integer, actual numeric, target numeric,
               attainment numeric, score double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c appraisal_cycle;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr', 'sales_supervisor_manager'], 'score KPIs');
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Open one with open_appraisal_cycle().';
  END IF;
  IF c.state = 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is closed: its KPI results are frozen', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'score_kpis rewrites the kpi_result rows of the cycle.',
            HINT = 'Reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
  END IF;
  PERFORM kpi_store(cycle);
  RETURN QUERY
  SELECT r.member_id, r.kpi_id, r.actual, r.target, r.attainment, r.score
  FROM kpi_result r WHERE r.cycle_id = cycle ORDER BY r.member_id, r.kpi_id;
END
$fn$;
COMMENT ON FUNCTION score_kpis(integer, name) IS
'Scores every member for the KPIs their level carries in an appraisal cycle and stores the results (kpi_result rows of the cycle are replaced): actual and target per metric, attainment = round(kpi_attainment(actual, target, direction), 6), score = kpi_score(attainment, curve). Idempotent until the cycle is closed. HR and managers only.';
REVOKE ALL ON FUNCTION score_kpis(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION score_kpis(integer, name) TO sales_supervisor_hr, sales_supervisor_manager;
-- Layer 3, operations: the sales year, step 3 -- commission.
--
-- run_commission(period) does the period's commission in one transaction:
--  1. credit: the sales lines dated in the run's window -- from the day after
--     the last date any run credited (at the earliest the start of the
--     period's fiscal year) to the period's end -- are credited to their reps
--     (the split in exact cents, credited_sales_by_month) as one ledger line
--     per rep for the sales and one for the refunds (negative: the reversal
--     of the sales they refund);
--  2. late lines: the lines queued in commission_late_sale (inserted into a
--     window an earlier run credited, after that run) are credited the same
--     way as late_sales / late_refunds lines of this period;
--  3. payout: each rep with a commission_plan for the period is paid
--     round(tiered_commission(net credit of the period, tiers), 2) as one
--     append-only payout line (a net below 0 pays 0: the refund of an earlier
--     period's sale reduces this period's credit, it claws back no more);
--  4. lock: the period is locked with its window; a second run is refused,
--     and so is a run of a period that ends within dates already credited.
-- The ledger holds per period, rep and month of sale what was credited;
-- commission_credit_line shows the sales lines behind it, and credit_by_month
-- reads the credit of the months the runs have covered from it.  A run takes a SHARE lock on sale and
-- sale_credit (the lines it reads cannot change under it) and a SHARE ROW
-- EXCLUSIVE lock on the ledger (runs are serialised); it runs in READ
-- COMMITTED only, so that after the lock it sees every line committed before.

CREATE FUNCTION run_commission(period integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, credited numeric, payout numeric, tiers text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p         fiscal_period;
  y         record;
  v_through date;
  v_from    date;
  gap       fiscal_period;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager', 'sales_supervisor_hr'], 'run commissions');
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'cannot run the commission of period % in a % transaction', period, current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state',
            DETAIL = 'The run locks the sales lines and must then see every line committed before the lock; a repeatable read or serializable snapshot may be older.',
            HINT = 'Run it in a READ COMMITTED transaction (the default).';
  END IF;
  SELECT * INTO p FROM fiscal_period fp WHERE fp.period_id = period FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal period % does not exist', period
      USING ERRCODE = 'no_data_found', HINT = 'Pass a period_id of fiscal_period.';
  END IF;
  LOCK TABLE sale, sale_credit IN SHARE MODE;
  LOCK TABLE commission_credit, commission_payout, commission_late_sale IN SHARE ROW EXCLUSIVE MODE;
  UPDATE commission_run_gate SET last_run_at = clock_timestamp();
  IF EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = period) THEN
    RAISE EXCEPTION 'commission period % is locked', period
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its commission was already run and paid.',
            HINT = 'Late sales and refunds are credited by the run of the next open period.';
  END IF;
  v_through := (SELECT max(l.credited_through) FROM commission_period_lock l);
  IF v_through >= p.end_on THEN
    RAISE EXCEPTION 'commission period % ends on %, within the sale dates already credited (through %)',
                    period, p.end_on, v_through
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Commission periods are run in date order, of one kind (months, or quarters); a period ending later has been run.',
            HINT = 'Lines dated in credited windows and inserted since are credited by the next run as late lines.';
  END IF;
  SELECT * INTO y FROM year_bounds(p.fiscal_year);
  v_from := greatest(y.start_on, v_through + 1);
  IF v_from > p.end_on THEN
    RAISE EXCEPTION 'commission period % (% .. %) lies before the start of its fiscal year % (%)',
                    period, p.start_on, p.end_on, p.fiscal_year, y.start_on
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Without a fiscal_period of kind year the fiscal year is the calendar year: insert the year period.';
  END IF;
  IF v_through + 1 < y.start_on THEN   -- a gap before this fiscal year: periods there not run yet?
    SELECT * INTO gap FROM fiscal_period e
    WHERE e.kind = p.kind AND e.start_on > v_through AND e.end_on < y.start_on
      AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = e.period_id)
    ORDER BY e.start_on LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'commission period % would leave the sale dates % .. % uncredited', period, v_through + 1, y.start_on - 1
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Commission periods are run in date order; those dates lie in periods not run yet.',
              HINT = format('Run period %s (%s .. %s) first.', gap.period_id, gap.start_on, gap.end_on);
    END IF;
  END IF;
  IF v_from < p.start_on THEN
    RAISE EXCEPTION 'commission period % starts on %, but the sale dates from % are not credited yet', period, p.start_on, v_from
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Commission periods are run in date order, each taking the dates after the one before it; a period run early would take an earlier period''s sales.',
            HINT = coalesce((SELECT format('Run period %s (%s .. %s) first.', e.period_id, e.start_on, e.end_on)
                             FROM fiscal_period e
                             WHERE e.kind = p.kind AND e.end_on >= v_from AND e.end_on < p.start_on
                               AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = e.period_id)
                             ORDER BY e.start_on LIMIT 1),
                            'Run the periods before it first (run_commission_for_month does, oldest first).');
  END IF;

  -- 1. the lines of the window, and 2. the late lines waiting in the queue
  INSERT INTO commission_credit (period_id, member_id, kind, sold_in, lines, amount)
  SELECT period, c.member_id, c.kind, c.sold_in, sum(c.lines), sum(c.amount)
  FROM (SELECT b.member_id, CASE WHEN b.refunds THEN 'refunds' ELSE 'sales' END AS kind, b.month AS sold_in,
               b.lines, b.amount
        FROM credited_sales_by_month(v_from, p.end_on) b
        UNION ALL
        SELECT cs.member_id, CASE WHEN cs.refund_of IS NULL THEN 'late_sales' ELSE 'late_refunds' END,
               date_trunc('month', cs.sold_on::timestamp)::date, 1, cs.amount
        FROM credited_sales('-infinity', 'infinity') cs   -- (the key filter reaches both branches: index probes)
        WHERE cs.sale_id = ANY (ARRAY(SELECT q.sale_id FROM commission_late_sale q WHERE q.credited_period_id IS NULL))) c
  GROUP BY c.member_id, c.kind, c.sold_in
  ORDER BY c.member_id, c.kind, c.sold_in;
  UPDATE commission_late_sale q SET credited_period_id = period WHERE q.credited_period_id IS NULL;

  -- 3. payouts by each rep's tier table on the period's net credit
  INSERT INTO commission_payout (member_id, period_id, amount, note)
  SELECT cp.member_id, period,
         round(tiered_commission(coalesce(n.net, 0), cp.tiers), 2),
         format('tiered commission on net credit %s', coalesce(n.net, 0))
  FROM commission_plan cp
  LEFT JOIN (SELECT cc.member_id, sum(cc.amount) AS net FROM commission_credit cc
             WHERE cc.period_id = period GROUP BY cc.member_id) n ON n.member_id = cp.member_id
  WHERE cp.period_id = period
  ORDER BY cp.member_id;

  -- 4. lock, with the window credited
  INSERT INTO commission_period_lock (period_id, credited_from, credited_through) VALUES (period, v_from, p.end_on);

  -- per rep credited or planned: net credit, payout, tiers (one pass over the
  -- period's lines, grouped: the rows just written have no statistics yet, and
  -- a join planned on none would compare every rep with every payout)
  RETURN QUERY
  SELECT x.member_id, sum(x.credit), sum(x.payout), max(x.tiers)
  FROM (SELECT cc.member_id, cc.amount AS credit, NULL::numeric AS payout, NULL::text AS tiers
        FROM commission_credit cc WHERE cc.period_id = period
        UNION ALL
        SELECT cp.member_id, 0, NULL, cp.tiers::text FROM commission_plan cp WHERE cp.period_id = period
        UNION ALL
        SELECT po.member_id, 0, po.amount, NULL FROM commission_payout po
        WHERE po.period_id = period AND po.reverses_id IS NULL) x
  GROUP BY x.member_id
  ORDER BY x.member_id;
END
$fn$;
COMMENT ON FUNCTION run_commission(integer, name) IS
'Runs the commission of a fiscal period in one transaction: credits the sales lines dated from the day after the last credited date (at the earliest the fiscal year start) to the period end, and the late lines queued in commission_late_sale, to their reps by split in exact cents (allocate_quota), as ledger lines per rep, kind (sales, refunds, late_sales, late_refunds) and month of sale; pays each rep with a commission_plan for the period round(tiered_commission(net credit, tiers), 2) as an append-only payout line; and locks the period with its window. A second run, or a run of a period ending within credited dates, is refused (55000). Returns per rep the net credit, the payout (NULL without a plan) and the tier table. Managers and HR only.';
REVOKE ALL ON FUNCTION run_commission(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION run_commission(integer, name) TO sales_supervisor_manager, sales_supervisor_hr;

-- commission_credit_line: the sales lines behind the ledger, one row per line
-- and credited rep, with the period whose run credited it.  Computed from the
-- lines, their splits, the run windows and the late queue (all immutable once
-- credited), so it always adds up to commission_credit.  Security invoker: a
-- rep sees their own lines, a supervisor their subtree's.
CREATE VIEW commission_credit_line WITH (security_invoker = true) AS
SELECT coalesce(q.credited_period_id, l.period_id) AS period_id,
       cs.sale_id, cs.sold_on, cs.member_id, cs.share_pct, cs.amount,
       CASE WHEN q.sale_id IS NULL THEN '' ELSE 'late_' END
       || CASE WHEN cs.refund_of IS NULL THEN 'sales' ELSE 'refunds' END AS kind
FROM credited_sales('-infinity', 'infinity') cs
LEFT JOIN commission_late_sale q ON q.sale_id = cs.sale_id
LEFT JOIN commission_period_lock l ON q.sale_id IS NULL AND cs.sold_on BETWEEN l.credited_from AND l.credited_through
WHERE q.credited_period_id IS NOT NULL OR l.period_id IS NOT NULL;
COMMENT ON VIEW commission_credit_line IS
'The sales lines behind the commission ledger: per credited line and rep, the commission period whose run credited it, the credited amount in exact cents (the split by allocate_quota) and the ledger kind (sales, refunds, late_sales, late_refunds). Grouped by period, rep and kind it equals commission_credit. Row-level security of the caller applies.';
COMMENT ON COLUMN commission_credit_line.period_id IS 'Commission period whose run credited the line.';
COMMENT ON COLUMN commission_credit_line.sale_id IS 'Sales line.';
COMMENT ON COLUMN commission_credit_line.sold_on IS 'Date of the sales line.';
COMMENT ON COLUMN commission_credit_line.member_id IS 'Rep credited.';
COMMENT ON COLUMN commission_credit_line.share_pct IS 'Share of the line credited to the rep, percent.';
COMMENT ON COLUMN commission_credit_line.amount IS 'Credited amount (negative for a refund line).';
COMMENT ON COLUMN commission_credit_line.kind IS 'Ledger kind the line is counted in.';
GRANT SELECT ON commission_credit_line TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- credit_by_month: credited_sales_by_month(from_date, to_date), read from the
-- ledger where it can be.  A calendar month inside the dates the commission
-- runs have credited holds no line that is neither in the ledger nor waiting
-- in the late queue (the run credited every line dated in its window, later
-- lines are queued, and credited lines and their splits cannot change), so its
-- credit is the ledger's lines sold in it plus the waiting late lines; only
-- the other dates are read line by line.  The sales-year steps read the year
-- through it: once the months are run, the close and next year's allocation
-- read some thousand ledger lines instead of millions of sales lines.
CREATE FUNCTION credit_by_month(from_date date, to_date date)
RETURNS TABLE (member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_settled date[];
  r         daterange;
BEGIN
  IF from_date > to_date THEN
    RETURN;
  END IF;
  -- the whole months of [from_date, to_date] within the dates the runs credited
  -- (months searched only between the first and the last credited date, so
  -- infinite bounds are fine)
  SELECT coalesce(array_agg(m.month ORDER BY m.month), '{}') INTO v_settled
  FROM (SELECT coalesce(range_agg(daterange(l.credited_from, l.credited_through, '[]')), '{}'::datemultirange) AS dates,
               greatest(from_date, min(l.credited_from)) AS lo, least(to_date, max(l.credited_through)) AS hi
        FROM commission_period_lock l WHERE l.credited_from IS NOT NULL) c,
       LATERAL (SELECT g::date AS month FROM generate_series(date_trunc('month', c.lo::timestamp), c.hi::timestamp,
                                                             interval '1 month') g) m
  WHERE m.month >= from_date AND (m.month + interval '1 month - 1 day')::date <= to_date
    AND daterange(m.month, (m.month + interval '1 month')::date) <@ c.dates;

  -- those months: their ledger lines and the late lines still waiting
  IF cardinality(v_settled) > 0 THEN
    RETURN QUERY
    SELECT x.member_id, x.month, x.refunds, sum(x.lines)::bigint, sum(x.amount)
    FROM (
      SELECT cc.member_id, cc.sold_in AS month, cc.kind IN ('refunds', 'late_refunds') AS refunds,
             cc.lines::bigint AS lines, cc.amount
      FROM commission_credit cc WHERE cc.sold_in = ANY (v_settled)
      UNION ALL
      SELECT cs.member_id, date_trunc('month', cs.sold_on::timestamp)::date, cs.refund_of IS NOT NULL, 1, cs.amount
      FROM credited_sales('-infinity', 'infinity') cs
      WHERE cs.sale_id = ANY (ARRAY(SELECT q.sale_id FROM commission_late_sale q WHERE q.credited_period_id IS NULL))
        AND date_trunc('month', cs.sold_on::timestamp)::date = ANY (v_settled)
    ) x
    GROUP BY 1, 2, 3
    HAVING sum(x.lines) <> 0;
  END IF;

  -- the other dates, line by line (one call per range, planned for its dates)
  FOR r IN SELECT u FROM unnest(datemultirange(daterange(from_date, to_date, '[]'))
                                - (SELECT coalesce(range_agg(daterange(s, (s + interval '1 month')::date)), '{}'::datemultirange)
                                   FROM unnest(v_settled) s)) u LOOP
    RETURN QUERY SELECT b.member_id, b.month, b.refunds, b.lines, b.amount
                 FROM credited_sales_by_month(lower(r), upper(r) - 1) b;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION credit_by_month(date, date) IS
'Equal to credited_sales_by_month(from_date, to_date), read from the commission ledger for the whole calendar months that commission runs have credited (their ledger lines plus the late lines still waiting) and from the sales lines for the other dates. Internal: the sales-year steps read the year through it.';
REVOKE ALL ON FUNCTION credit_by_month(date, date) FROM PUBLIC;
-- Layer 3, operations: the sales year, step 4 -- the appraisal cycle.
--
-- open_appraisal_cycle   cycle + component weights per level (each level sums to 100) + rating scale
-- start_appraisal_reviews  open -> reviewing (the data model re-checks the weights)
-- calibrate_appraisal_cycle  computes everything below without closing (state calibrating)
-- close_appraisal_cycle  computes and closes in ONE transaction; on a closed cycle it
--                        returns the stored results unchanged (closing twice = same result)
--
-- What closing computes, per active member hired by the year end whose level
-- has component weights (all scores rounded to 6 decimals, so equal inputs tie exactly):
--  * KPIs are scored again (kpi_store), so the close sees one state of the data;
--  * individual_performance, customer_satisfaction: weighted_score of the
--    member's KPI scores of that component, by kpi_weight; a level with no
--    customer-satisfaction KPI takes csat() of the surveys of the customers
--    its scope owns (percent of 4s and 5s), else (nps() + 100) / 2;
--  * every component is capped at 100, so each is on 0..100 (curve points
--    above 100 let beating one target make up for another KPI inside the
--    component, not beyond it);
--  * team_performance: the team's KPI result -- the member's own
--    team_performance KPI score if they have one (leaders), else that of the
--    leader of the nearest team, from the member's own team upwards, who has one;
--  * team_management (only for members who lead a team or manage someone):
--    each non-self review's score is the mean of its criteria; rater
--    calibration by mean shift: a reviewer who wrote at least 2 non-self
--    reviews in the cycle has their leniency removed, calibrated = score -
--    reviewer mean + global mean (all non-self reviews of the cycle), clamped
--    to the rating scale (a reviewer with 1 review cannot be calibrated and
--    counts as written); mapped to 0..100 by (s - min) / (max - min) x 100; the
--    panel is trimmed: trimmed_mean(score, 1) drops the top and bottom mark;
--  * final_score = weighted_score over the components present with the
--    level's weights (weights renormalised over what the person has);
--  * rank (rank(), ties share), percentile = 100 x (1 - percent_rank()) and
--    grade by grade_by_distribution(grades by ordinal, distribution_pct)
--    ordered by final_score DESC, per level (default) or per team; peers in
--    the final score share the grade of their group's first row;
--  * appraisal_consequence: the grade policy's raise %, bonus multiplier and
--    reward or penalty per member.
-- Concurrency: the close locks review and review_score in SHARE ROW EXCLUSIVE
-- mode and sale and sale_credit in SHARE mode, so writers that started before
-- it are waited for (fully in) and writers that come during it wait for it to
-- commit -- then a review is refused (the cycle is closed) and a sale goes in
-- after the close (it is not in the closed result).  It requires READ COMMITTED,
-- where every statement after the locks sees every transaction that committed
-- before them.

CREATE TABLE appraisal_consequence (
  cycle_id           integer NOT NULL,
  member_id          integer NOT NULL,
  grade              text NOT NULL,
  raise_pct          numeric(6,3) NOT NULL,
  bonus_multiplier   numeric(6,3) NOT NULL,
  reward_or_penalty  numeric(14,2) NOT NULL,
  PRIMARY KEY (cycle_id, member_id),
  CONSTRAINT appraisal_consequence_result_fk FOREIGN KEY (cycle_id, member_id)
    REFERENCES appraisal_result (cycle_id, member_id) ON DELETE RESTRICT,
  CONSTRAINT appraisal_consequence_grade_fk FOREIGN KEY (cycle_id, grade)
    REFERENCES grade_policy (cycle_id, grade) ON DELETE RESTRICT
);
COMMENT ON TABLE appraisal_consequence IS
'What each member''s grade means in an appraisal cycle, copied from the grade policy when the cycle is calibrated or closed: salary raise, bonus multiplier, one-off reward or penalty. Frozen with the cycle: rows of a closed cycle cannot be inserted, changed or deleted.';
COMMENT ON COLUMN appraisal_consequence.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN appraisal_consequence.member_id IS 'Member graded.';
COMMENT ON COLUMN appraisal_consequence.grade IS 'Grade given.';
COMMENT ON COLUMN appraisal_consequence.raise_pct IS 'Salary raise in percent (negative for a cut).';
COMMENT ON COLUMN appraisal_consequence.bonus_multiplier IS 'Multiplier of the on-target year-end bonus.';
COMMENT ON COLUMN appraisal_consequence.reward_or_penalty IS 'One-off reward (positive) or penalty (negative), added to the year-end bonus.';
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.appraisal_consequence'::pg_catalog.regclass, '');

CREATE FUNCTION appraisal_consequence_check_state()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_cycle integer;
BEGIN
  IF TG_OP = 'INSERT' AND is_restoring() THEN
    RETURN NEW;
  END IF;
  FOREACH v_cycle IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.cycle_id]
                                       WHEN 'DELETE' THEN ARRAY[OLD.cycle_id]
                                       ELSE ARRAY[OLD.cycle_id, NEW.cycle_id] END LOOP
    IF EXISTS (SELECT 1 FROM appraisal_cycle c WHERE c.cycle_id = v_cycle AND c.state = 'closed') THEN
      RAISE EXCEPTION 'appraisal cycle % is closed: its appraisal_consequence rows cannot be inserted, updated or deleted', v_cycle
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'HR or a manager can reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
    END IF;
  END LOOP;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION appraisal_consequence_check_state() IS
'Trigger: appraisal_consequence rows of a closed cycle are frozen for everyone.';
CREATE TRIGGER appraisal_consequence_check_state BEFORE INSERT OR UPDATE OR DELETE ON appraisal_consequence
  FOR EACH ROW EXECUTE FUNCTION appraisal_consequence_check_state();
CREATE TRIGGER appraisal_consequence_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_consequence
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'member_id');

ALTER TABLE appraisal_consequence ENABLE ROW LEVEL SECURITY;
CREATE POLICY appraisal_consequence_own ON appraisal_consequence TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY appraisal_consequence_subtree ON appraisal_consequence
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY appraisal_consequence_hr ON appraisal_consequence TO sales_supervisor_hr USING (true);
GRANT SELECT ON appraisal_consequence
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- ---------------------------------------------------------------------------
CREATE FUNCTION open_appraisal_cycle(fiscal_year integer, name text,
                                     rating_scale_min numeric, rating_scale_max numeric,
                                     weights jsonb, login name DEFAULT current_user)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_cycle integer;
  bad record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'open an appraisal cycle');
  IF fiscal_year IS NULL OR name IS NULL OR rating_scale_min IS NULL OR rating_scale_max IS NULL OR weights IS NULL THEN
    RAISE EXCEPTION 'open_appraisal_cycle arguments must not be null'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Pass the fiscal year, a name, the rating scale and the weights.';
  END IF;
  IF rating_scale_min >= rating_scale_max THEN
    RAISE EXCEPTION 'rating scale %..% is empty', rating_scale_min, rating_scale_max
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass rating_scale_min < rating_scale_max, for example 1 and 5.';
  END IF;
  IF jsonb_typeof(weights) <> 'object' OR weights = '{}'
     OR EXISTS (SELECT 1 FROM jsonb_each(weights) e WHERE jsonb_typeof(e.value) <> 'object') THEN
    RAISE EXCEPTION 'weights must be a JSON object of levels, each an object of component weights, got %', weights
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'For example {"sales_rep": {"team_performance": 10, "individual_performance": 60, "customer_satisfaction": 30}}.';
  END IF;
  SELECT e.key INTO bad FROM jsonb_each(weights) e
  WHERE e.key NOT IN (SELECT unnest(enum_range(NULL::member_level))::text) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'unknown level "%" in weights', bad.key
      USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Levels: %s.', array_to_string(enum_range(NULL::member_level), ', '));
  END IF;
  SELECT e.key AS level, c.key AS component, c.value INTO bad
  FROM jsonb_each(weights) e CROSS JOIN LATERAL jsonb_each(e.value) c
  WHERE c.key NOT IN (SELECT unnest(enum_range(NULL::appraisal_component))::text)
     OR jsonb_typeof(c.value) <> 'number' OR (c.value)::numeric <= 0 OR (c.value)::numeric > 100
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'bad weight % for component "%" of level %', bad.value, bad.component, bad.level
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Components: %s; a weight is a number in (0, 100].', array_to_string(enum_range(NULL::appraisal_component), ', '));
  END IF;
  SELECT e.key AS level, sum((c.value)::numeric) AS total INTO bad
  FROM jsonb_each(weights) e CROSS JOIN LATERAL jsonb_each(e.value) c
  GROUP BY e.key HAVING sum((c.value)::numeric) <> 100 ORDER BY e.key LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'component weights of level % sum to %, not 100', bad.level, bad.total
      USING ERRCODE = 'check_violation',
            DETAIL = 'The weights of the components of each level must sum to 100 percent.',
            HINT = 'A component that does not apply to a level is left out; the others must still sum to 100.';
  END IF;
  INSERT INTO appraisal_cycle (fiscal_year, name, rating_scale_min, rating_scale_max)
  VALUES (fiscal_year, name, rating_scale_min, rating_scale_max)
  RETURNING cycle_id INTO v_cycle;
  INSERT INTO appraisal_component_weight (cycle_id, level, component, weight)
  SELECT v_cycle, e.key::member_level, c.key::appraisal_component, (c.value)::numeric
  FROM jsonb_each(weights) e CROSS JOIN LATERAL jsonb_each(e.value) c;
  RETURN v_cycle;
END
$fn$;
COMMENT ON FUNCTION open_appraisal_cycle(integer, text, numeric, numeric, jsonb, name) IS
'Opens an appraisal cycle for a fiscal year with its rating scale and its component weights per level, given as {"level": {"component": weight, ...}, ...}; the weights of each level must sum to 100. Returns the cycle id; the cycle is open (KPI weights, KPI targets and grade policy can be set) until start_appraisal_reviews. HR only.';
REVOKE ALL ON FUNCTION open_appraisal_cycle(integer, text, numeric, numeric, jsonb, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION open_appraisal_cycle(integer, text, numeric, numeric, jsonb, name) TO sales_supervisor_hr;

CREATE FUNCTION start_appraisal_reviews(cycle integer, login name DEFAULT current_user)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'start appraisal reviews');
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  IF c.state <> 'open' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not open', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Reviews start once, from the open state.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM grade_policy g WHERE g.cycle_id = cycle) THEN
    RAISE EXCEPTION 'appraisal cycle % has no grade policy', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct, raise_pct, bonus_multiplier, reward_or_penalty) ...';
  END IF;
  UPDATE appraisal_cycle a SET state = 'reviewing' WHERE a.cycle_id = cycle;
END
$fn$;
COMMENT ON FUNCTION start_appraisal_reviews(integer, name) IS
'Moves an open appraisal cycle to reviewing (the weights are checked to sum to 100 per level; a grade policy must exist). HR only.';
REVOKE ALL ON FUNCTION start_appraisal_reviews(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION start_appraisal_reviews(integer, name) TO sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- appraisal_compute: the whole computation of a cycle (internal).
-- ---------------------------------------------------------------------------
CREATE FUNCTION appraisal_compute(cycle integer, group_by text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
  y record;
  v_grades text[];
  v_shares numeric[];
BEGIN
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  SELECT * INTO y FROM year_bounds(c.fiscal_year);
  SELECT array_agg(g.grade ORDER BY g.ordinal), array_agg(g.distribution_pct ORDER BY g.ordinal)
    INTO v_grades, v_shares
  FROM grade_policy g WHERE g.cycle_id = cycle;
  IF v_grades IS NULL OR array_position(v_shares, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'appraisal cycle % has no forced distribution in its grade policy', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Grades are given by forced distribution: every grade needs a distribution_pct.',
            HINT = 'UPDATE grade_policy SET distribution_pct = ... (the cycle must be reopened if closed).';
  END IF;

  PERFORM kpi_store(cycle);

  DELETE FROM appraisal_consequence x WHERE x.cycle_id = cycle;
  DELETE FROM appraisal_result r WHERE r.cycle_id = cycle;

  INSERT INTO appraisal_result (cycle_id, member_id, level, team_performance, individual_performance,
                                team_management, customer_satisfaction, final_score, rank, percentile, grade)
  WITH who AS MATERIALIZED (
    SELECT m.member_id, m.level, m.team_id FROM member m
    WHERE m.active AND m.hire_date <= y.end_on
      AND EXISTS (SELECT 1 FROM appraisal_component_weight w WHERE w.cycle_id = cycle AND w.level = m.level)),
  kpi_comp AS MATERIALIZED (
    SELECT r.member_id, d.component,
           round(weighted_score(r.score, kw.weight::float8)::numeric, 6)::float8 AS score
    FROM kpi_result r
    JOIN kpi_definition d ON d.kpi_id = r.kpi_id
    JOIN member m ON m.member_id = r.member_id
    JOIN kpi_weight kw ON kw.cycle_id = r.cycle_id AND kw.kpi_id = r.kpi_id AND kw.level = m.level
    WHERE r.cycle_id = cycle AND r.score IS NOT NULL
    GROUP BY r.member_id, d.component),
  -- the team's KPI result: own team_performance score, else that of the leader
  -- of the nearest team (own team first, then upwards) who has one
  kpi_pivot AS MATERIALIZED (
    SELECT k.member_id,
           max(k.score) FILTER (WHERE k.component = 'team_performance') AS team_performance,
           max(k.score) FILTER (WHERE k.component = 'individual_performance') AS individual_performance,
           max(k.score) FILTER (WHERE k.component = 'customer_satisfaction') AS customer_satisfaction
    FROM kpi_comp k GROUP BY k.member_id),
  -- the teams above each team (itself at depth 0), once for the whole tree
  team_up AS MATERIALIZED (
    WITH RECURSIVE up(team_id, ancestor_id, depth) AS (
      SELECT t.team_id, t.team_id, 0 FROM team t
      UNION ALL
      SELECT up.team_id, t.parent_id, up.depth + 1 FROM up JOIN team t ON t.team_id = up.ancestor_id
      WHERE t.parent_id IS NOT NULL AND up.depth < 1000)
    SELECT * FROM up),
  -- a team's KPI result: that of the leader of the nearest team at or above it who has one
  team_score AS MATERIALIZED (
    SELECT DISTINCT ON (tu.team_id) tu.team_id, kp.team_performance AS score
    FROM team_up tu
    JOIN team_leader tl ON tl.team_id = tu.ancestor_id
    JOIN kpi_pivot kp ON kp.member_id = tl.member_id AND kp.team_performance IS NOT NULL
    ORDER BY tu.team_id, tu.depth, tl.member_id),
  team_perf AS (
    SELECT w.member_id, coalesce(kp.team_performance, ts.score) AS score
    FROM who w
    LEFT JOIN kpi_pivot kp ON kp.member_id = w.member_id
    LEFT JOIN team_score ts ON ts.team_id = w.team_id),
  -- reviews: one score per non-self review (mean of its criteria), calibrated by mean shift
  rv AS (
    SELECT r.review_id, r.reviewer_id, r.reviewee_id, avg(s.score) AS score
    FROM review r JOIN review_score s ON s.review_id = r.review_id
    WHERE r.cycle_id = cycle AND r.rater_role <> 'self'
    GROUP BY r.review_id, r.reviewer_id, r.reviewee_id),
  rv_cal AS (
    SELECT rv.*,
           CASE WHEN count(*) OVER (PARTITION BY rv.reviewer_id) >= 2
                THEN greatest(c.rating_scale_min, least(c.rating_scale_max,
                       rv.score - avg(rv.score) OVER (PARTITION BY rv.reviewer_id) + avg(rv.score) OVER ()))
                ELSE rv.score END AS calibrated
    FROM rv),
  managers AS (
    SELECT tl.member_id FROM team_leader tl
    UNION
    SELECT m.manager_id FROM member m WHERE m.active AND m.manager_id IS NOT NULL),
  team_mgmt AS (
    SELECT rc.reviewee_id AS member_id,
           round(trimmed_mean(((rc.calibrated - c.rating_scale_min) / (c.rating_scale_max - c.rating_scale_min) * 100)::float8, 1)::numeric, 6)::float8 AS score
    FROM rv_cal rc
    WHERE rc.reviewee_id IN (SELECT mg.member_id FROM managers mg)
    GROUP BY rc.reviewee_id),
  -- scope: the member and the members of the subtree of the teams they lead
  led AS (
    SELECT tl.member_id, tl.team_id, 0 AS depth FROM team_leader tl JOIN who w ON w.member_id = tl.member_id),
  scope AS MATERIALIZED (
    SELECT w.member_id, w.member_id AS scope_id FROM who w
    UNION
    SELECT l.member_id, m.member_id
    FROM led l
    CROSS JOIN LATERAL (WITH RECURSIVE s(team_id, depth) AS (
                          SELECT l.team_id, 0
                          UNION ALL
                          SELECT t.team_id, s.depth + 1 FROM team t JOIN s ON t.parent_id = s.team_id
                          WHERE s.depth < 1000)
                        SELECT s.team_id FROM s) s
    JOIN member m ON m.team_id = s.team_id),
  -- customer satisfaction without KPIs of that component: CSAT (percent of
  -- 4s and 5s) of the scope's customers, else NPS mapped to 0..100
  survey AS MATERIALIZED (
    SELECT sc.member_id,
           coalesce(csat(sr.csat), (nps(sr.nps) + 100) / 2) AS score
    FROM scope sc
    JOIN customer cu ON cu.owner_id = sc.scope_id
    JOIN survey_response sr ON sr.customer_id = cu.customer_id
    WHERE sr.answered_at >= y.start_on::timestamptz AND sr.answered_at < (y.end_on + 1)::timestamptz
    GROUP BY sc.member_id),
  cs_by_kpi AS MATERIALIZED (   -- levels whose customer satisfaction comes from KPIs
    SELECT DISTINCT kw.level FROM kpi_weight kw JOIN kpi_definition d ON d.kpi_id = kw.kpi_id
    WHERE kw.cycle_id = cycle AND d.component = 'customer_satisfaction'),
  comp0 AS (
    SELECT w.member_id, w.level, w.team_id,
           tp.score AS team_performance,
           kp.individual_performance,
           tm.score AS team_management,
           CASE WHEN cb.level IS NOT NULL THEN kp.customer_satisfaction
                ELSE round(sv.score, 6)::float8 END AS customer_satisfaction
    FROM who w
    LEFT JOIN team_perf tp ON tp.member_id = w.member_id
    LEFT JOIN team_mgmt tm ON tm.member_id = w.member_id
    LEFT JOIN kpi_pivot kp ON kp.member_id = w.member_id
    LEFT JOIN survey sv ON sv.member_id = w.member_id
    LEFT JOIN cs_by_kpi cb ON cb.level = w.level),
  -- each component capped at 100 (NULL stays NULL: the component is missing)
  comp AS (
    SELECT c0.member_id, c0.level, c0.team_id,
           CASE WHEN c0.team_performance > 100 THEN 100 ELSE c0.team_performance END AS team_performance,
           CASE WHEN c0.individual_performance > 100 THEN 100 ELSE c0.individual_performance END AS individual_performance,
           CASE WHEN c0.team_management > 100 THEN 100 ELSE c0.team_management END AS team_management,
           CASE WHEN c0.customer_satisfaction > 100 THEN 100 ELSE c0.customer_satisfaction END AS customer_satisfaction
    FROM comp0 c0),
  final AS (
    SELECT comp.*,
           (SELECT round(weighted_score(v.score, cw.weight::float8)::numeric, 6)::float8
            FROM (VALUES ('team_performance'::appraisal_component, comp.team_performance),
                         ('individual_performance', comp.individual_performance),
                         ('team_management', comp.team_management),
                         ('customer_satisfaction', comp.customer_satisfaction)) v(component, score)
            JOIN appraisal_component_weight cw ON cw.cycle_id = cycle AND cw.level = comp.level
                                              AND cw.component = v.component) AS final_score,
           CASE WHEN group_by = 'team' THEN comp.team_id::text ELSE comp.level::text END AS grp
    FROM comp)
  SELECT cycle, f.member_id, f.level, f.team_performance, f.individual_performance, f.team_management,
         f.customer_satisfaction, f.final_score,
         CASE WHEN f.final_score IS NOT NULL THEN
           rank() OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC) END,
         CASE WHEN f.final_score IS NOT NULL THEN
           round((100 * (1 - percent_rank() OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC)))::numeric, 2) END,
         CASE WHEN f.final_score IS NOT NULL THEN
           grade_by_distribution(v_grades, v_shares) OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC) END
  FROM final f
  ORDER BY f.member_id;

  INSERT INTO appraisal_consequence (cycle_id, member_id, grade, raise_pct, bonus_multiplier, reward_or_penalty)
  SELECT r.cycle_id, r.member_id, r.grade, g.raise_pct, g.bonus_multiplier, g.reward_or_penalty
  FROM appraisal_result r JOIN grade_policy g ON g.cycle_id = r.cycle_id AND g.grade = r.grade
  WHERE r.cycle_id = cycle
  ORDER BY r.member_id;
END
$fn$;
COMMENT ON FUNCTION appraisal_compute(integer, text) IS
'Internal step of calibrate_appraisal_cycle and close_appraisal_cycle: scores the KPIs again and replaces the cycle''s appraisal_result and appraisal_consequence rows (components, calibrated and trimmed team management, renormalised final score, rank, percentile, forced-distribution grade per level or team, grade policy consequences).';
REVOKE ALL ON FUNCTION appraisal_compute(integer, text) FROM PUBLIC;

-- appraisal_lock_and_check: the common prologue of calibrate and close.
CREATE FUNCTION appraisal_prepare(cycle integer, group_by text, action text)
RETURNS appraisal_cycle
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  IF group_by IS NULL OR group_by NOT IN ('level', 'team') THEN
    RAISE EXCEPTION 'group_by must be level or team, got %', coalesce(group_by, 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Ranks, percentiles and the forced distribution of grades are per career level or per team.';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'cannot % appraisal cycle % in a % transaction', action, cycle, current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state',
            DETAIL = 'The close locks reviews and sales and must then see every transaction committed before the lock; a repeatable read or serializable snapshot may be older.',
            HINT = 'Run it in a READ COMMITTED transaction (the default).';
  END IF;
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  IF c.state = 'closed' THEN
    RETURN c;
  END IF;
  -- writers that started before us finish first (fully in); writers after us wait
  LOCK TABLE review, review_score IN SHARE ROW EXCLUSIVE MODE;
  LOCK TABLE sale, sale_credit IN SHARE MODE;
  IF c.state = 'open' THEN
    RAISE EXCEPTION 'appraisal cycle % is still open: reviews have not started', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Call start_appraisal_reviews(cycle_id) first.';
  END IF;
  IF c.state = 'reviewing' THEN
    UPDATE appraisal_cycle a SET state = 'calibrating' WHERE a.cycle_id = cycle;
    c.state := 'calibrating';
  END IF;
  RETURN c;
END
$fn$;
COMMENT ON FUNCTION appraisal_prepare(integer, text, text) IS
'Internal prologue of calibrate_appraisal_cycle and close_appraisal_cycle: checks arguments and READ COMMITTED, locks the cycle row, locks review and review_score (SHARE ROW EXCLUSIVE) and sale and sale_credit (SHARE), and moves a reviewing cycle to calibrating; returns the cycle (a closed one untouched).';
REVOKE ALL ON FUNCTION appraisal_prepare(integer, text, text) FROM PUBLIC;

CREATE FUNCTION calibrate_appraisal_cycle(cycle integer, group_by text DEFAULT 'level',
                                          login name DEFAULT current_user)
RETURNS SETOF appraisal_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr', 'sales_supervisor_manager'], 'calibrate an appraisal cycle');
  c := appraisal_prepare(cycle, group_by, 'calibrate');
  IF c.state = 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is closed', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
  END IF;
  PERFORM appraisal_compute(cycle, group_by);
  RETURN QUERY SELECT * FROM appraisal_result r WHERE r.cycle_id = cycle ORDER BY r.member_id;
END
$fn$;
COMMENT ON FUNCTION calibrate_appraisal_cycle(integer, text, name) IS
'Computes an appraisal cycle''s results without closing it (the cycle moves to calibrating, which freezes reviews): same computation as close_appraisal_cycle, rerunnable with the same result. HR and managers only.';
REVOKE ALL ON FUNCTION calibrate_appraisal_cycle(integer, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calibrate_appraisal_cycle(integer, text, name) TO sales_supervisor_hr, sales_supervisor_manager;

CREATE FUNCTION close_appraisal_cycle(cycle integer, group_by text DEFAULT 'level',
                                      login name DEFAULT current_user)
RETURNS SETOF appraisal_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr', 'sales_supervisor_manager'], 'close an appraisal cycle');
  c := appraisal_prepare(cycle, group_by, 'close');
  IF c.state <> 'closed' THEN
    PERFORM appraisal_compute(cycle, group_by);
    UPDATE appraisal_cycle a SET state = 'closed' WHERE a.cycle_id = cycle;
  END IF;
  RETURN QUERY SELECT * FROM appraisal_result r WHERE r.cycle_id = cycle ORDER BY r.member_id;
END
$fn$;
COMMENT ON FUNCTION close_appraisal_cycle(integer, text, name) IS
'Closes an appraisal cycle in one transaction: locks reviews and sales, scores the KPIs, computes the four components on 0..100 (team management with rater calibration by mean shift and trimmed_mean(score, 1)), the final score renormalised over the components present, rank, percentile and grade by forced distribution per level or team, and the grade policy consequences, then closes the cycle (results frozen for everyone). On a closed cycle it changes nothing and returns the stored results, so closing twice gives the same result. HR and managers only; READ COMMITTED only.';
REVOKE ALL ON FUNCTION close_appraisal_cycle(integer, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION close_appraisal_cycle(integer, text, name) TO sales_supervisor_hr, sales_supervisor_manager;
-- Layer 3, operations: the sales year, steps 5 and 6 -- promotions and year-end pay.

-- ---------------------------------------------------------------------------
-- Promotions
-- ---------------------------------------------------------------------------
CREATE FUNCTION promotion_candidates(cycle integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, full_name text, from_level member_level, to_level member_level,
               rule_id integer, reason text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c appraisal_cycle;
  y record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr', 'sales_supervisor_manager'], 'list promotion candidates');
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  IF c.state <> 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not closed', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Promotion candidates come from final grades.',
            HINT = 'Close it with close_appraisal_cycle(cycle_id) first.';
  END IF;
  SELECT * INTO y FROM year_bounds(c.fiscal_year);

  IF to_regclass('pg_temp._p_cand') IS NOT NULL THEN DROP TABLE pg_temp._p_cand; END IF;
  CREATE TEMP TABLE _p_cand ON COMMIT DROP AS
  WITH last_closed AS (   -- the latest closed cycle of each fiscal year up to this one
    SELECT DISTINCT ON (a.fiscal_year) a.cycle_id, a.fiscal_year
    FROM appraisal_cycle a
    WHERE a.state = 'closed' AND a.fiscal_year <= c.fiscal_year
    ORDER BY a.fiscal_year, a.cycle_id DESC),
  tenure AS (
    SELECT m.member_id,
           (extract(year FROM age(y.end_on + 1, m.hire_date)) * 12
            + extract(month FROM age(y.end_on + 1, m.hire_date)))::integer AS months
    FROM member m)
  SELECT m.member_id, m.full_name, pr.from_level, pr.to_level, pr.rule_id,
         format('grades %s qualify ({%s} in %s consecutive years needed); tenure %s months (%s needed)',
                g.grades, array_to_string(pr.qualifying_grades, ','), pr.consecutive_years,
                t.months, pr.min_tenure_months) AS reason
  FROM member m
  JOIN promotion_rule pr ON pr.active AND pr.from_level = m.level
  JOIN tenure t ON t.member_id = m.member_id
  CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE r.grade = ANY (pr.qualifying_grades)) AS qualifying,
           string_agg(format('%s (%s)', coalesce(r.grade, '-'), lc.fiscal_year), ', ' ORDER BY lc.fiscal_year DESC) AS grades
    FROM generate_series(c.fiscal_year - pr.consecutive_years + 1, c.fiscal_year) fy
    LEFT JOIN last_closed lc ON lc.fiscal_year = fy
    LEFT JOIN appraisal_result r ON r.cycle_id = lc.cycle_id AND r.member_id = m.member_id) g
  WHERE m.active
    AND g.qualifying = pr.consecutive_years
    AND t.months >= pr.min_tenure_months;

  -- the stored list: new candidates proposed, reasons refreshed, decided ones kept
  DELETE FROM promotion_candidate pc
  WHERE pc.cycle_id = cycle AND pc.status = 'proposed'
    AND NOT EXISTS (SELECT 1 FROM _p_cand x WHERE x.member_id = pc.member_id AND x.rule_id = pc.rule_id);
  INSERT INTO promotion_candidate AS pc (cycle_id, member_id, rule_id, status, note)
  SELECT cycle, x.member_id, x.rule_id, 'proposed', x.reason FROM _p_cand x ORDER BY x.member_id, x.rule_id
  ON CONFLICT (cycle_id, member_id, rule_id) DO UPDATE SET note = excluded.note
  WHERE pc.status = 'proposed';

  RETURN QUERY SELECT x.member_id, x.full_name, x.from_level, x.to_level, x.rule_id, x.reason
  FROM _p_cand x ORDER BY x.member_id, x.rule_id;
END
$fn$;
COMMENT ON FUNCTION promotion_candidates(integer, name) IS
'Lists and stores (promotion_candidate, status proposed) the members a closed appraisal cycle makes eligible: at a rule''s from_level, active, with a grade in qualifying_grades in each of the rule''s consecutive_years fiscal years up to the cycle''s (the latest closed cycle of each year), and at least min_tenure_months from hire to the year end; the reason names the grades and the tenure. Decided candidates are kept. HR and managers only.';
REVOKE ALL ON FUNCTION promotion_candidates(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION promotion_candidates(integer, name) TO sales_supervisor_hr, sales_supervisor_manager;

CREATE FUNCTION approve_promotion(cycle integer, member integer, rule integer, effective_on date,
                                  login name DEFAULT current_user)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_me integer;
  pc promotion_candidate;
  pr promotion_rule;
  v_level member_level;
  v_id integer;
BEGIN
  v_me := require_role(login, ARRAY['sales_supervisor_hr'], 'approve a promotion');
  IF effective_on IS NULL THEN
    RAISE EXCEPTION 'effective_on must not be null' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Pass the date the new level takes effect.';
  END IF;
  SELECT * INTO pc FROM promotion_candidate x
  WHERE x.cycle_id = cycle AND x.member_id = member AND x.rule_id = rule FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member % is no promotion candidate of cycle % under rule %', member, cycle, rule
      USING ERRCODE = 'no_data_found', HINT = 'List the candidates with promotion_candidates(cycle_id) first.';
  END IF;
  IF pc.status <> 'proposed' THEN
    RAISE EXCEPTION 'the promotion candidate (cycle %, member %, rule %) is already %', cycle, member, rule, pc.status
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'A candidate is decided once.';
  END IF;
  SELECT * INTO pr FROM promotion_rule r WHERE r.rule_id = rule;
  SELECT m.level INTO v_level FROM member m WHERE m.member_id = member FOR NO KEY UPDATE;
  IF v_level <> pr.from_level THEN
    RAISE EXCEPTION 'member % is now %, not % as rule % requires', member, v_level, pr.from_level, rule
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The member''s level changed after the candidate was listed.';
  END IF;
  INSERT INTO promotion (member_id, from_level, to_level, effective_on, cycle_id, approved_by, reason)
  VALUES (member, pr.from_level, pr.to_level, effective_on, cycle, v_me, pc.note)
  RETURNING promotion_id INTO v_id;
  UPDATE member m SET level = pr.to_level WHERE m.member_id = member;
  UPDATE promotion_candidate x SET status = 'approved'
  WHERE x.cycle_id = cycle AND x.member_id = member AND x.rule_id = rule;
  -- the other rules of the same member and cycle are settled by this decision
  UPDATE promotion_candidate x SET status = 'rejected', note = x.note || format('; superseded by promotion %s', v_id)
  WHERE x.cycle_id = cycle AND x.member_id = member AND x.rule_id <> rule AND x.status = 'proposed';
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION approve_promotion(integer, integer, integer, date, name) IS
'Approves a proposed promotion candidate: records the promotion (levels, effective date, cycle, approver, the candidate''s reason; audited), sets the member''s level, marks the candidate approved and the member''s other proposals of the cycle rejected. Returns the promotion id. HR only; nobody approves their own promotion.';
REVOKE ALL ON FUNCTION approve_promotion(integer, integer, integer, date, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approve_promotion(integer, integer, integer, date, name) TO sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- Year-end pay
-- ---------------------------------------------------------------------------
CREATE TABLE bonus_target (
  fiscal_year       integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 9999),
  level             member_level NOT NULL,
  target_bonus_pct  numeric(6,3) NOT NULL CHECK (target_bonus_pct >= 0 AND target_bonus_pct <= 1000),
  PRIMARY KEY (fiscal_year, level)
);
COMMENT ON TABLE bonus_target IS
'On-target year-end bonus per fiscal year and career level, in percent of the base salary (the bonus paid is this x the grade''s bonus multiplier x the company factor, plus the grade''s reward or penalty).';
COMMENT ON COLUMN bonus_target.fiscal_year IS 'Fiscal year.';
COMMENT ON COLUMN bonus_target.level IS 'Career level (the level appraised).';
COMMENT ON COLUMN bonus_target.target_bonus_pct IS 'Target bonus in percent of base salary.';
GRANT SELECT ON bonus_target
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON bonus_target TO sales_supervisor_hr;
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.bonus_target'::pg_catalog.regclass, '');

CREATE FUNCTION year_end_pay(cycle integer, company_factor numeric, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, level member_level, grade text, base_salary numeric, commission numeric,
               target_bonus numeric, bonus_multiplier numeric, reward_or_penalty numeric,
               year_end_bonus numeric, total numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c appraisal_cycle;
  bad record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'compute year-end pay');
  IF company_factor IS NULL OR company_factor < 0 OR company_factor > 10 THEN
    RAISE EXCEPTION 'company_factor must be between 0 and 10, got %', coalesce(company_factor::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The company factor scales every target bonus by how the company did (1 = on plan).';
  END IF;
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  IF c.state <> 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not closed', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The year-end bonus depends on the final grades.',
            HINT = 'Close it with close_appraisal_cycle(cycle_id) first.';
  END IF;
  SELECT r.member_id INTO bad FROM appraisal_result r
  WHERE r.cycle_id = cycle AND r.grade IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM pay p WHERE p.member_id = r.member_id AND p.fiscal_year = c.fiscal_year)
  ORDER BY r.member_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'member % has no pay row (base salary) for %', bad.member_id, c.fiscal_year
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO pay (member_id, fiscal_year, base_salary) for every appraised member first.';
  END IF;
  SELECT r.level INTO bad FROM appraisal_result r
  WHERE r.cycle_id = cycle AND r.grade IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM bonus_target b WHERE b.fiscal_year = c.fiscal_year AND b.level = r.level)
  ORDER BY r.level LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'level % has no target bonus for %', bad.level, c.fiscal_year
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO bonus_target (fiscal_year, level, target_bonus_pct) VALUES (...).';
  END IF;

  IF to_regclass('pg_temp._y_pay') IS NOT NULL THEN DROP TABLE pg_temp._y_pay; END IF;
  CREATE TEMP TABLE _y_pay ON COMMIT DROP AS
  SELECT p.member_id, coalesce(r.level, m.level) AS level, r.grade, p.base_salary,
         coalesce((SELECT sum(po.amount) FROM commission_payout po JOIN fiscal_period fp ON fp.period_id = po.period_id
                   WHERE po.member_id = p.member_id AND fp.fiscal_year = c.fiscal_year), 0) AS commission,
         round(p.base_salary * coalesce(b.target_bonus_pct, 0) / 100, 2) AS target_bonus,
         coalesce(x.bonus_multiplier, 0) AS bonus_multiplier,
         coalesce(x.reward_or_penalty, 0) AS reward_or_penalty
  FROM pay p
  JOIN member m ON m.member_id = p.member_id
  LEFT JOIN appraisal_result r ON r.cycle_id = cycle AND r.member_id = p.member_id
  LEFT JOIN appraisal_consequence x ON x.cycle_id = cycle AND x.member_id = p.member_id
  LEFT JOIN bonus_target b ON b.fiscal_year = c.fiscal_year AND b.level = r.level
  WHERE p.fiscal_year = c.fiscal_year;
  ALTER TABLE _y_pay ADD COLUMN year_end_bonus numeric;
  UPDATE _y_pay SET year_end_bonus = CASE WHEN grade IS NULL THEN 0
    ELSE greatest(0, round(target_bonus * bonus_multiplier * company_factor, 2) + reward_or_penalty) END;

  UPDATE pay p SET commission = y.commission, year_end_bonus = y.year_end_bonus
  FROM _y_pay y WHERE p.member_id = y.member_id AND p.fiscal_year = c.fiscal_year;

  RETURN QUERY
  SELECT y.member_id, y.level, y.grade, y.base_salary, y.commission, y.target_bonus, y.bonus_multiplier,
         y.reward_or_penalty, y.year_end_bonus, y.base_salary + y.commission + y.year_end_bonus
  FROM _y_pay y ORDER BY y.member_id;
END
$fn$;
COMMENT ON FUNCTION year_end_pay(integer, numeric, name) IS
'Year-end pay of a closed appraisal cycle''s fiscal year for every pay row: commission = the commission paid for the year''s periods (payout lines, reversals included); year-end bonus = greatest(0, round(base x bonus_target pct / 100 x the grade''s bonus multiplier x company_factor, 2) + the grade''s reward or penalty), 0 without a grade; writes pay.commission and pay.year_end_bonus and returns base + commission + bonus. HR only.';
REVOKE ALL ON FUNCTION year_end_pay(integer, numeric, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION year_end_pay(integer, numeric, name) TO sales_supervisor_hr;
-- Layer 3, operations: the demo organisation generator.
--
-- generate_demo_org() fills the empty data model with a realistic sales
-- organisation: a team tree, members with login-role names, customers with a
-- Pareto-like size skew, contacts, return visits, feedback, surveys, a year of
-- sales lines with seasonal months and a few top performers, split credits and
-- refunds, pipeline, forecasts, the fiscal calendar, tasks, training, work
-- reports, and an appraisal cycle (weights, KPIs, grades, promotion rules) in
-- the reviewing state with 360-degree reviews.
--
-- Determinism: every random draw is demo_random(seed, n, salt), a hash of the
-- seed, the row number and a per-draw salt (hashint8extended), so the result
-- does not depend on plan or evaluation order (and random() is not used at all).
-- Ids are assigned explicitly in row order and the identity sequences are moved
-- past them.

CREATE FUNCTION demo_random(seed integer, n bigint, salt integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ((pg_catalog.hashint8extended(n OPERATOR(pg_catalog.*) 1009 OPERATOR(pg_catalog.+) salt, seed)
         OPERATOR(pg_catalog.&) 9007199254740991)::double precision)
       OPERATOR(pg_catalog./) 9007199254740992.0::double precision;
COMMENT ON FUNCTION demo_random(integer, bigint, integer) IS
'Deterministic uniform number in [0, 1) for the demo generator: a hash of (seed, n, salt). Same arguments, same number, on every plan and platform.';

CREATE FUNCTION generate_demo_org(seed integer DEFAULT 42, teams integer DEFAULT 12,
                                  depth integer DEFAULT 3, reps integer DEFAULT 60,
                                  customers integer DEFAULT 2000, sales_lines integer DEFAULT 100000,
                                  surveys integer DEFAULT 3000, reviews_per_member integer DEFAULT 4,
                                  year integer DEFAULT 2025, replace boolean DEFAULT false)
RETURNS TABLE (table_name text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p_seed    integer := generate_demo_org.seed;
  p_teams   integer := generate_demo_org.teams;
  p_depth   integer := generate_demo_org.depth;
  p_reps    integer := generate_demo_org.reps;
  p_cust    integer := generate_demo_org.customers;
  p_lines   integer := generate_demo_org.sales_lines;
  p_surveys integer := generate_demo_org.surveys;
  p_rpm     integer := generate_demo_org.reviews_per_member;
  p_year    integer := generate_demo_org.year;
  v_roots   integer;
  v_branch  integer := 1;
  v_members integer;
  v_cycle   integer;
  v_n       bigint;
  -- month shares in percent (sum 100): slow first quarter, strong year end
  v_season  numeric[] := ARRAY[6.5, 6.0, 7.5, 8.0, 8.0, 7.5, 7.0, 7.0, 8.5, 9.0, 10.5, 14.5];
  v_cum     double precision[];
  v_tab     text;
  v_col     text;
BEGIN
  -- ---- arguments
  IF p_seed IS NULL OR p_teams IS NULL OR p_depth IS NULL OR p_reps IS NULL OR p_cust IS NULL
     OR p_lines IS NULL OR p_surveys IS NULL OR p_rpm IS NULL OR p_year IS NULL OR replace IS NULL THEN
    RAISE EXCEPTION 'generate_demo_org arguments must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF p_teams < 1 OR p_teams > 100000 THEN
    RAISE EXCEPTION 'teams must be between 1 and 100000, got %', p_teams USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_depth < 1 OR p_depth > 20 THEN
    RAISE EXCEPTION 'depth must be between 1 and 20, got %', p_depth USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_reps < 1 THEN
    RAISE EXCEPTION 'reps must be at least 1, got %', p_reps USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_cust < 1 THEN
    RAISE EXCEPTION 'customers must be at least 1, got %', p_cust USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_lines < 0 OR p_surveys < 0 THEN
    RAISE EXCEPTION 'sales_lines and surveys must not be negative, got % and %', p_lines, p_surveys
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_rpm < 0 OR p_rpm > 20 THEN
    RAISE EXCEPTION 'reviews_per_member must be between 0 and 20, got %', p_rpm USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_year < 1901 OR p_year > 9998 THEN
    RAISE EXCEPTION 'year must be between 1901 and 9998, got %', p_year USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- ---- empty model, or replace
  IF EXISTS (SELECT 1 FROM team) OR EXISTS (SELECT 1 FROM member) OR EXISTS (SELECT 1 FROM customer)
     OR EXISTS (SELECT 1 FROM sale) OR EXISTS (SELECT 1 FROM fiscal_period)
     OR EXISTS (SELECT 1 FROM appraisal_cycle) OR EXISTS (SELECT 1 FROM visit_cadence)
     OR EXISTS (SELECT 1 FROM product_category) OR EXISTS (SELECT 1 FROM kpi_definition) THEN
    IF NOT replace THEN
      RAISE EXCEPTION 'the data model already holds data'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Call generate_demo_org(..., replace => true) to delete every row (the audit log is kept) and generate again.';
    END IF;
    TRUNCATE team, member, team_leader, visit_cadence, customer, customer_contact, customer_visit, feedback,
      survey_response, product_category, sale, sale_credit, opportunity, fiscal_period, quota,
      seasonal_distribution, forecast, task, training_session, training_attendance, work_report,
      appraisal_cycle, appraisal_component_weight, kpi_definition, kpi_weight, kpi_result, review,
      review_score, grade_policy, appraisal_result, promotion_rule, promotion_candidate, promotion,
      pay, commission_plan, commission_period_lock, commission_credit, commission_late_sale, commission_payout,
      kpi_target, appraisal_consequence, bonus_target
      RESTART IDENTITY;
  END IF;

  SELECT array_agg(s ORDER BY m)::double precision[] INTO v_cum
  FROM (SELECT m, sum(x) OVER (ORDER BY m) / 100 AS s
        FROM unnest(v_season) WITH ORDINALITY AS u(x, m)) c WHERE m < 12;

  -- scratch tables of an earlier call in the same transaction
  FOR v_tab IN SELECT unnest(ARRAY['demo_team', 'demo_member', 'demo_customer', 'demo_team_reps',
                                   'demo_split', 'demo_sold', 'demo_first_customer', 'demo_review']) LOOP
    IF to_regclass('pg_temp.' || v_tab) IS NOT NULL THEN
      EXECUTE format('DROP TABLE pg_temp.%I', v_tab);
    END IF;
  END LOOP;

  -- ---- reference data
  INSERT INTO visit_cadence (tier, every_days, description) VALUES
    ('A', 30, 'key account: visit monthly'),
    ('B', 60, 'important account: visit every two months'),
    ('C', 120, 'regular account: visit every four months');
  INSERT INTO product_category (category_id, name, description)
  SELECT i, n, d FROM (VALUES
    (1, 'Hardware', 'devices and spare parts'), (2, 'Software', 'licences'),
    (3, 'Subscriptions', 'recurring services'), (4, 'Consulting', 'projects and advice'),
    (5, 'Training', 'courses for customers'), (6, 'Support', 'support contracts'),
    (7, 'Consumables', 'supplies'), (8, 'Installation', 'on-site work')) v(i, n, d);

  INSERT INTO fiscal_period (period_id, kind, fiscal_year, quarter, month, start_on, end_on)
  SELECT 1, 'year'::period_kind, p_year, NULL::smallint, NULL::smallint, make_date(p_year, 1, 1), make_date(p_year, 12, 31)
  UNION ALL
  SELECT 1 + q, 'quarter', p_year, q::smallint, NULL, make_date(p_year, 3 * q - 2, 1),
         (make_date(p_year, 3 * q - 2, 1) + interval '3 months' - interval '1 day')::date
  FROM generate_series(1, 4) q
  UNION ALL
  SELECT 5 + m, 'month', p_year, ((m + 2) / 3)::smallint, m::smallint, make_date(p_year, m, 1),
         (make_date(p_year, m, 1) + interval '1 month' - interval '1 day')::date
  FROM generate_series(1, 12) m;

  INSERT INTO seasonal_distribution (name, fiscal_year, month, share_pct)
  SELECT 'default', p_year, m, x FROM unnest(v_season) WITH ORDINALITY AS u(x, m);

  -- ---- team tree: v_roots departments, each team with v_branch children
  -- (heap order), enough levels to hold every team within depth levels.
  v_roots := CASE WHEN p_depth = 1 THEN p_teams ELSE greatest(1, ceil(p_teams / 6.0)::integer) END;
  IF p_depth > 1 THEN
    WHILE (SELECT sum(power(v_branch, l)) * v_roots FROM generate_series(0, p_depth - 1) l) < p_teams LOOP
      v_branch := v_branch + 1;
    END LOOP;
  END IF;
  CREATE TEMP TABLE demo_team ON COMMIT DROP AS
  SELECT k + 1 AS team_id,
         CASE WHEN k < v_roots THEN NULL ELSE (k - v_roots) / v_branch + 1 END AS parent_id
  FROM generate_series(0, p_teams - 1) k;
  ALTER TABLE demo_team ADD COLUMN is_leaf boolean;
  UPDATE demo_team t SET is_leaf = NOT EXISTS (SELECT 1 FROM demo_team c WHERE c.parent_id = t.team_id);

  INSERT INTO team (team_id, name, parent_id, created_on)
  SELECT t.team_id,
         CASE WHEN t.parent_id IS NULL THEN format('Sales Department %s', t.team_id)
              ELSE format('Team %s-%s', t.parent_id, t.team_id) END,
         t.parent_id, make_date(p_year - 6, 1, 1)
  FROM demo_team t ORDER BY t.team_id;

  -- ---- members: the leader of team k is member k; reps follow, spread
  -- round-robin over the leaf teams.  talent drives sales: log-normal around 1,
  -- and 5 % top performers at 1.8x.
  CREATE TEMP TABLE demo_member ON COMMIT DROP AS
  SELECT t.team_id AS member_id, t.team_id, true AS is_leader,
         CASE WHEN t.parent_id IS NULL THEN 'sales_manager'::member_level
              ELSE 'sales_customer_supervisor'::member_level END AS level,
         (SELECT p.team_id FROM demo_team p WHERE p.team_id = t.parent_id) AS manager_id,
         1.0::double precision AS talent
  FROM demo_team t
  UNION ALL
  SELECT p_teams + r, l.team_id, false, 'sales_rep'::member_level, l.team_id,
         exp(0.3 * sqrt(-2 * ln(1 - demo_random(p_seed, r, 1))) * cos(2 * pi() * demo_random(p_seed, r, 2)))
           * CASE WHEN demo_random(p_seed, r, 3) < 0.05 THEN 1.8 ELSE 1 END
  FROM generate_series(1, p_reps) r
  JOIN (SELECT team_id, row_number() OVER (ORDER BY team_id) - 1 AS li, count(*) OVER () AS nl
        FROM demo_team WHERE is_leaf) l
    ON l.li = (r - 1) % l.nl;
  CREATE UNIQUE INDEX ON demo_member (member_id);
  v_members := p_teams + p_reps;

  INSERT INTO member (member_id, full_name, email, level, team_id, manager_id, hire_date, active, login_role)
  SELECT m.member_id,
         format('%s %s',
           (ARRAY['Wei','Fang','Li','Min','Jing','Lei','Yan','Tao','Hui','Jun','Anna','Ben','Chloe','David',
                  'Elena','Farid','Grace','Hugo','Ines','Jonas'])[1 + floor(demo_random(p_seed, m.member_id, 11) * 20)::integer],
           (ARRAY['Wang','Zhang','Liu','Chen','Yang','Huang','Zhao','Wu','Zhou','Xu','Smith','Garcia','Muller',
                  'Rossi','Novak','Silva','Kim','Nguyen','Okafor','Larsen'])[1 + floor(demo_random(p_seed, m.member_id, 12) * 20)::integer]),
         format('member%s@demo.example', m.member_id),
         m.level, m.team_id, m.manager_id,
         make_date(p_year, 1, 1) - (CASE WHEN m.is_leader THEN 1500 ELSE 30 END
                                    + floor(demo_random(p_seed, m.member_id, 13) * 3000))::integer,
         true,
         format('ss_demo_%s', m.member_id)
  FROM demo_member m ORDER BY m.member_id;
  INSERT INTO team_leader (team_id, member_id, since)
  SELECT t.team_id, t.team_id, make_date(p_year - 2, 1, 1) FROM demo_team t ORDER BY t.team_id;

  -- ---- customers: Pareto size (alpha 1.2, capped), owned round-robin by reps.
  CREATE TEMP TABLE demo_customer ON COMMIT DROP AS
  SELECT c AS customer_id,
         least(200.0, power(1 - demo_random(p_seed, c, 21), -1 / 1.2)) AS size,
         demo_random(p_seed, c, 22) AS u_tier,
         p_teams + 1 + (c - 1) % p_reps AS owner_id
  FROM generate_series(1, p_cust) c;
  ALTER TABLE demo_customer ADD COLUMN team_id integer, ADD COLUMN talent double precision,
    ADD COLUMN tier text, ADD COLUMN n_lines bigint, ADD COLUMN first_line bigint;
  UPDATE demo_customer c SET team_id = m.team_id, talent = m.talent,
         tier = CASE WHEN c.size >= 12 THEN 'A' WHEN c.size >= 3 THEN 'B' ELSE 'C' END
  FROM demo_member m WHERE m.member_id = c.owner_id;
  -- sales lines per customer in proportion to size x talent, exact total by largest remainder
  WITH w AS (SELECT customer_id, size * talent AS w, sum(size * talent) OVER () AS tw FROM demo_customer),
       s AS (SELECT customer_id, p_lines * w / tw AS share FROM w),
       f AS (SELECT customer_id, floor(share)::bigint AS base, share - floor(share) AS rem FROM s),
       r AS (SELECT customer_id, base, row_number() OVER (ORDER BY rem DESC, customer_id) AS rk,
                    p_lines - sum(base) OVER () AS left_over FROM f)
  UPDATE demo_customer c SET n_lines = r.base + CASE WHEN r.rk <= r.left_over THEN 1 ELSE 0 END
  FROM r WHERE r.customer_id = c.customer_id;
  WITH x AS (SELECT customer_id, sum(n_lines) OVER (ORDER BY customer_id) - n_lines AS before FROM demo_customer)
  UPDATE demo_customer c SET first_line = x.before + 1 FROM x WHERE x.customer_id = c.customer_id;

  INSERT INTO customer (customer_id, name, industry, region, tier, team_id, owner_id, since, profile, active)
  SELECT c.customer_id,
         format('%s %s %s',
           (ARRAY['Northern','Eastern','Golden','Blue','Pacific','United','Grand','Silver','Bright','Prime'])
             [1 + floor(demo_random(p_seed, c.customer_id, 23) * 10)::integer],
           (ARRAY['Textile','Foods','Logistics','Motors','Pharma','Retail','Energy','Machinery','Optics','Chemicals'])
             [1 + floor(demo_random(p_seed, c.customer_id, 24) * 10)::integer],
           c.customer_id),
         (ARRAY['manufacturing','retail','logistics','healthcare','energy','services'])
           [1 + floor(demo_random(p_seed, c.customer_id, 25) * 6)::integer],
         (ARRAY['North','South','East','West','Central'])[1 + floor(demo_random(p_seed, c.customer_id, 26) * 5)::integer],
         c.tier, c.team_id, c.owner_id,
         make_date(p_year, 1, 1) - floor(demo_random(p_seed, c.customer_id, 27) * 2500)::integer,
         format('size index %s', round(c.size::numeric, 2)),
         true
  FROM demo_customer c ORDER BY c.customer_id;

  INSERT INTO customer_contact (customer_id, full_name, job_title, email, phone, is_primary)
  SELECT c.customer_id, format('Contact %s-%s', c.customer_id, k),
         (ARRAY['Purchasing manager','CEO','CFO','Operations lead','IT manager'])[1 + (c.customer_id + k) % 5],
         format('contact%s.%s@customer.example', c.customer_id, k),
         format('+86 10 %s', 10000000 + c.customer_id * 7 + k),
         k = 1
  FROM demo_customer c
  CROSS JOIN LATERAL generate_series(1, 1 + floor(demo_random(p_seed, c.customer_id, 28) * 3)::integer) k
  ORDER BY c.customer_id, k;

  -- ---- return visits at the tier's cadence through the year; 90 % done, the rest still planned
  INSERT INTO customer_visit (customer_id, member_id, planned_on, done_at, outcome)
  SELECT v.customer_id, v.owner_id, v.planned_on,
         CASE WHEN v.done THEN v.planned_on + time '10:00' + make_interval(days => v.delay) END,
         CASE WHEN v.done THEN (ARRAY['order discussed','needs collected','complaint handled','relationship call'])
                                 [1 + (v.customer_id + v.k) % 4] END
  FROM (SELECT c.customer_id, c.owner_id, k,
               make_date(p_year, 1, 1) + (k - 1) * vc.every_days
                 + floor(demo_random(p_seed, c.customer_id * 64 + k, 31) * 10)::integer AS planned_on,
               demo_random(p_seed, c.customer_id * 64 + k, 32) < 0.9 AS done,
               floor(demo_random(p_seed, c.customer_id * 64 + k, 33) * 4)::integer AS delay
        FROM demo_customer c JOIN visit_cadence vc ON vc.tier = c.tier
        CROSS JOIN LATERAL generate_series(1, 365 / vc.every_days) k) v
  ORDER BY v.customer_id, v.k;

  -- ---- feedback: about one item per ten customers
  INSERT INTO feedback (customer_id, member_id, kind, status, summary, opened_at, resolved_at)
  SELECT f.customer_id, f.owner_id, f.kind, f.status,
         format('%s about order %s', f.kind, f.i), f.opened_at,
         CASE WHEN f.status IN ('resolved', 'rejected')
              THEN f.opened_at + make_interval(hours => 2 + floor(demo_random(p_seed, f.i, 44) * 300)::integer) END
  FROM (SELECT i, c.customer_id, c.owner_id,
               (ARRAY['complaint','complaint','suggestion','praise'])[1 + floor(demo_random(p_seed, i, 41) * 4)::integer]::feedback_kind AS kind,
               (ARRAY['resolved','resolved','resolved','rejected','in_progress','open'])[1 + floor(demo_random(p_seed, i, 42) * 6)::integer]::feedback_status AS status,
               make_date(p_year, 1, 1) + time '09:00' + make_interval(days => floor(demo_random(p_seed, i, 43) * 360)::integer) AS opened_at
        FROM generate_series(1, greatest(1, p_cust / 10)) i
        JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 40) * p_cust)::integer) f
  ORDER BY f.i;

  -- ---- surveys: CSAT skewed to 4-5, NPS skewed high, talent nudges both
  INSERT INTO survey_response (customer_id, member_id, answered_at, csat, nps)
  SELECT c.customer_id, c.owner_id,
         make_date(p_year, 1, 1) + time '12:00' + make_interval(days => floor(demo_random(p_seed, i, 51) * 364)::integer),
         CASE WHEN demo_random(p_seed, i, 52) < 0.9 THEN
           least(5, greatest(1, round(3.9 + 0.6 * (c.talent - 1) + 1.1 * sqrt(-2 * ln(1 - demo_random(p_seed, i, 53)))
                                              * cos(2 * pi() * demo_random(p_seed, i, 54)))))::smallint END,
         CASE WHEN demo_random(p_seed, i, 55) < 0.8 THEN
           least(10, greatest(0, round(7.8 + 1.0 * (c.talent - 1) + 2.0 * sqrt(-2 * ln(1 - demo_random(p_seed, i, 56)))
                                               * cos(2 * pi() * demo_random(p_seed, i, 57)))))::smallint
           ELSE CASE WHEN demo_random(p_seed, i, 52) >= 0.9 THEN 8::smallint END END
  FROM generate_series(1, p_surveys) i
  JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 50) * p_cust)::integer
  ORDER BY i;

  -- ---- sales lines.  For speed on millions of rows the three foreign keys and
  -- the secondary indexes of sale are dropped and re-created (and so
  -- re-validated by PostgreSQL) after one set-based INSERT.
  PERFORM set_config('maintenance_work_mem', '512MB', true);
  ALTER TABLE sale DROP CONSTRAINT sale_member_fk, DROP CONSTRAINT sale_customer_fk,
    DROP CONSTRAINT sale_category_fk;
  DROP INDEX sale_member_idx, sale_customer_idx, sale_sold_on_brin;
  PERFORM set_config('work_mem', '256MB', true);
  INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
  SELECT row_number() OVER (ORDER BY l.sold_on, l.customer_id, l.g), l.sold_on, l.owner_id, l.customer_id,
         l.category, l.amount
  FROM (
  SELECT c.customer_id, g, c.owner_id,
         make_date(p_year, x.month, 1)
           + floor(demo_random(p_seed, c.first_line + g, 62)
                   * extract(day from make_date(p_year, x.month, 1) + interval '1 month' - interval '1 day'))::integer
           AS sold_on,
         x.category,
         greatest(1.00, round((350 * c.talent * x.cat_factor
                               * exp(0.8 * sqrt(-2 * ln(1 - demo_random(p_seed, c.first_line + g, 64)))
                                         * cos(2 * pi() * demo_random(p_seed, c.first_line + g, 65))))::numeric, 2)) AS amount
  FROM demo_customer c
  CROSS JOIN LATERAL generate_series(1, c.n_lines) g
  CROSS JOIN LATERAL (
    SELECT width_bucket(demo_random(p_seed, c.first_line + g, 61), v_cum) + 1 AS month,
           k.category, k.cat_factor
    FROM (SELECT width_bucket(demo_random(p_seed, c.first_line + g, 63),
                              ARRAY[0.30, 0.45, 0.60, 0.70, 0.80, 0.88, 0.95]::double precision[]) + 1 AS category) k0
    CROSS JOIN LATERAL (SELECT k0.category,
                               (ARRAY[2.0, 1.5, 0.8, 3.0, 0.6, 0.9, 0.3, 1.2])[k0.category] AS cat_factor) k) x
  WHERE c.n_lines > 0) l
  ORDER BY l.sold_on, l.customer_id, l.g;
  PERFORM setval(pg_get_serial_sequence('sales_supervisor.sale', 'sale_id'),
                 greatest(1, (SELECT max(sale_id) FROM sale)), (SELECT count(*) > 0 FROM sale));

  -- refunds: 1 % of the lines are refunded in full two weeks later (within the year)
  INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount, refund_of)
  SELECT least(s.sold_on + 14, make_date(p_year, 12, 31)), s.member_id, s.customer_id, s.category_id,
         -s.amount, s.sale_id
  FROM sale s
  WHERE demo_random(p_seed, s.sale_id, 66) < 0.01
  ORDER BY s.sale_id;

  CREATE INDEX sale_member_idx ON sale (member_id, sold_on);
  CREATE INDEX sale_customer_idx ON sale (customer_id, sold_on);
  CREATE INDEX sale_sold_on_brin ON sale USING brin (sold_on);
  ALTER TABLE sale
    ADD CONSTRAINT sale_member_fk FOREIGN KEY (member_id) REFERENCES member ON DELETE RESTRICT,
    ADD CONSTRAINT sale_customer_fk FOREIGN KEY (customer_id) REFERENCES customer ON DELETE RESTRICT,
    ADD CONSTRAINT sale_category_fk FOREIGN KEY (category_id) REFERENCES product_category ON DELETE RESTRICT;

  -- split credit: 3 % of the sales lines are shared with a teammate (60/40 or 50/50)
  CREATE TEMP TABLE demo_team_reps ON COMMIT DROP AS
  SELECT team_id, array_agg(member_id ORDER BY member_id) AS reps
  FROM demo_member WHERE NOT is_leader GROUP BY team_id HAVING count(*) > 1;
  CREATE TEMP TABLE demo_split ON COMMIT DROP AS
  SELECT s.sale_id, s.member_id AS main_id,
         tr.reps[1 + (array_position(tr.reps, s.member_id) - 1
                      + 1 + floor(demo_random(p_seed, s.sale_id, 68) * (cardinality(tr.reps) - 1))::integer)
                     % cardinality(tr.reps)] AS other_id,
         CASE WHEN demo_random(p_seed, s.sale_id, 69) < 0.5 THEN 60.00 ELSE 50.00 END AS main_pct
  FROM sale s
  JOIN demo_member m ON m.member_id = s.member_id
  JOIN demo_team_reps tr ON tr.team_id = m.team_id
  WHERE s.refund_of IS NULL AND demo_random(p_seed, s.sale_id, 67) < 0.03;
  INSERT INTO sale_credit (sale_id, member_id, share_pct)
  SELECT sale_id, main_id, main_pct FROM demo_split
  UNION ALL
  SELECT sale_id, other_id, 100 - main_pct FROM demo_split
  ORDER BY 1, 2;
  -- a refund is split like the line it refunds
  INSERT INTO sale_credit (sale_id, member_id, share_pct)
  SELECT r.sale_id, sc.member_id, sc.share_pct
  FROM sale r JOIN sale_credit sc ON sc.sale_id = r.refund_of
  ORDER BY 1, 2;

  CREATE TEMP TABLE demo_sold ON COMMIT DROP AS
  SELECT s.member_id, extract(quarter FROM s.sold_on)::integer AS quarter, sum(s.amount) AS sold
  FROM sale s GROUP BY 1, 2;

  -- ---- pipeline: one opportunity per five customers
  INSERT INTO opportunity (customer_id, member_id, name, stage, amount, probability, created_on, expected_close, closed_on)
  SELECT o.customer_id, o.owner_id, format('Deal %s', o.i), o.stage,
         round((2000 + 30000 * o.size / 10 * demo_random(p_seed, o.i, 73))::numeric, 2),
         CASE o.stage WHEN 'won' THEN 100 WHEN 'lost' THEN 0 WHEN 'prospecting' THEN 10
                      WHEN 'qualification' THEN 25 WHEN 'proposal' THEN 50 ELSE 75 END,
         o.created_on, o.created_on + 30 + floor(demo_random(p_seed, o.i, 74) * 120)::integer,
         CASE WHEN o.stage IN ('won', 'lost') THEN o.created_on + 20 + floor(demo_random(p_seed, o.i, 75) * 60)::integer END
  FROM (SELECT i, c.customer_id, c.owner_id, c.size,
               (ARRAY['prospecting','qualification','proposal','negotiation','won','won','lost','lost'])
                 [1 + floor(demo_random(p_seed, i, 71) * 8)::integer]::opportunity_stage AS stage,
               make_date(p_year, 1, 1) + floor(demo_random(p_seed, i, 72) * 300)::integer AS created_on
        FROM generate_series(1, greatest(1, p_cust / 5)) i
        JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 70) * p_cust)::integer) o
  ORDER BY o.i;

  -- ---- forecasts: each rep forecasts each quarter within -20 %..+25 % of what they then sold
  INSERT INTO forecast (member_id, period_id, amount, submitted_at)
  SELECT m.member_id, fp.period_id,
         round(coalesce(a.sold, 0) * (0.8 + 0.45 * demo_random(p_seed, m.member_id * 8 + fp.quarter, 80))::numeric, 2),
         fp.start_on - 7 + time '17:00'
  FROM demo_member m
  CROSS JOIN fiscal_period fp
  LEFT JOIN demo_sold a ON a.member_id = m.member_id AND a.quarter = fp.quarter
  WHERE NOT m.is_leader AND fp.kind = 'quarter'
  ORDER BY m.member_id, fp.period_id;

  -- ---- tasks, training, work reports
  CREATE TEMP TABLE demo_first_customer ON COMMIT DROP AS
  SELECT owner_id, min(customer_id) AS customer_id FROM demo_customer GROUP BY owner_id;
  CREATE UNIQUE INDEX ON demo_first_customer (owner_id);
  INSERT INTO task (title, assigned_to, assigned_by, customer_id, due_on, status, created_at, done_at)
  SELECT format('Follow up %s', t.k), t.member_id, t.manager_id,
         (SELECT fc.customer_id FROM demo_first_customer fc WHERE fc.owner_id = t.member_id),
         t.due_on, t.status, t.due_on - 14 + time '09:00',
         CASE WHEN t.status = 'done' THEN t.due_on - 1 + time '16:00' END
  FROM (SELECT m.member_id, m.manager_id, k,
               make_date(p_year, 1, 1) + 20 + k * 60 + floor(demo_random(p_seed, m.member_id * 8 + k, 90) * 20)::integer AS due_on,
               (ARRAY['done','done','done','in_progress','open','cancelled'])
                 [1 + floor(demo_random(p_seed, m.member_id * 8 + k, 91) * 6)::integer]::task_status AS status
        FROM demo_member m CROSS JOIN generate_series(1, 5) k
        WHERE m.manager_id IS NOT NULL) t
  ORDER BY t.member_id, t.k;

  INSERT INTO training_session (session_id, title, topic, held_on, hours, trainer_id, team_id)
  SELECT (t.team_id - 1) * 2 + k, format('%s training for team %s', tp, t.team_id), tp,
         make_date(p_year, 1 + 5 * k, 10) + (t.team_id % 20), 4 * k, t.team_id, t.team_id
  FROM demo_team t CROSS JOIN generate_series(1, 2) k
  CROSS JOIN LATERAL (SELECT (ARRAY['negotiation','product'])[k] AS tp) x
  WHERE t.is_leaf
  ORDER BY 1;
  INSERT INTO training_attendance (session_id, member_id, attended, score)
  SELECT ts.session_id, m.member_id, a.attended,
         CASE WHEN a.attended THEN round((55 + 45 * demo_random(p_seed, ts.session_id * 100000 + m.member_id, 101))::numeric, 1) END
  FROM training_session ts
  JOIN demo_member m ON m.team_id = ts.team_id AND NOT m.is_leader
  CROSS JOIN LATERAL (SELECT demo_random(p_seed, ts.session_id * 100000 + m.member_id, 100) < 0.9 AS attended) a
  ORDER BY 1, 2;

  INSERT INTO work_report (member_id, kind, due_on, submitted_at, body)
  SELECT w.member_id, 'monthly', w.due_on, w.submitted_at,
         CASE WHEN w.submitted_at IS NOT NULL THEN format('report of %s for %s', w.member_id, to_char(w.due_on, 'YYYY-MM')) END
  FROM (SELECT m.member_id, fp.end_on AS due_on,
               CASE WHEN demo_random(p_seed, m.member_id * 16 + fp.month, 110) < 0.95
                    THEN fp.end_on + time '18:00'
                         + make_interval(days => floor(demo_random(p_seed, m.member_id * 16 + fp.month, 111) * 3)::integer
                                                 * (demo_random(p_seed, m.member_id * 16 + fp.month, 112) < 0.2)::integer - 1)
               END AS submitted_at
        FROM demo_member m JOIN fiscal_period fp ON fp.kind = 'month') w
  ORDER BY w.member_id, w.due_on;

  -- ---- appraisal configuration and reviews
  INSERT INTO appraisal_cycle (fiscal_year, name, rating_scale_min, rating_scale_max, opened_at)
  VALUES (p_year, format('Appraisal %s', p_year), 1, 5, make_date(p_year, 12, 1) + time '09:00')
  RETURNING cycle_id INTO v_cycle;

  INSERT INTO appraisal_component_weight (cycle_id, level, component, weight)
  SELECT v_cycle, l::member_level, c::appraisal_component, w
  FROM (VALUES
    ('sales_rep', 'team_performance', 10), ('sales_rep', 'individual_performance', 60),
    ('sales_rep', 'customer_satisfaction', 30),
    ('sales_customer_supervisor', 'team_performance', 40), ('sales_customer_supervisor', 'individual_performance', 20),
    ('sales_customer_supervisor', 'team_management', 25), ('sales_customer_supervisor', 'customer_satisfaction', 15),
    ('sales_manager', 'team_performance', 50), ('sales_manager', 'team_management', 30),
    ('sales_manager', 'customer_satisfaction', 20),
    ('sales_director', 'team_performance', 60), ('sales_director', 'team_management', 40),
    ('customer_director', 'team_performance', 30), ('customer_director', 'team_management', 30),
    ('customer_director', 'customer_satisfaction', 40)) v(l, c, w);

  INSERT INTO kpi_definition (kpi_id, code, name, metric, higher_is_better, curve, component, unit) VALUES
    (1, 'sales_amount', 'Sales against quota', 'sales_amount', true,
        'linear[(0.5,0),(1,100),(1.5,150)]', 'individual_performance', 'CNY'),
    (2, 'visits_done', 'Return visits done against plan', 'visits_done', true,
        'linear[(0,0),(1,100)]', 'individual_performance', 'visits'),
    (3, 'forecast_error', 'Forecast error (WAPE) against tolerance', 'forecast_wape', false,
        'linear[(0,0),(1,100),(1.2,110)]', 'individual_performance', 'ratio'),
    (4, 'csat', 'Share of satisfied customers against target', 'csat', true,
        'linear[(0.8,0),(1,100),(1.1,120)]', 'customer_satisfaction', 'percent'),
    (5, 'team_sales', 'Team sales against team quota', 'team_sales_amount', true,
        'linear[(0.5,0),(1,100),(1.5,150)]', 'team_performance', 'CNY');
  INSERT INTO kpi_weight (cycle_id, level, kpi_id, weight)
  SELECT v_cycle, l::member_level, k, w
  FROM (VALUES ('sales_rep', 1, 60), ('sales_rep', 2, 20), ('sales_rep', 3, 20),
               ('sales_customer_supervisor', 5, 70), ('sales_customer_supervisor', 4, 30),
               ('sales_manager', 5, 80), ('sales_manager', 4, 20)) v(l, k, w);

  INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct, raise_pct, bonus_multiplier, reward_or_penalty)
  VALUES (v_cycle, 'A', 1, 20, 8, 1.5, 5000), (v_cycle, 'B', 2, 30, 5, 1.2, 2000),
         (v_cycle, 'C', 3, 40, 3, 1.0, 0), (v_cycle, 'D', 4, 10, 0, 0.5, -1000);
  INSERT INTO promotion_rule (from_level, to_level, qualifying_grades, consecutive_years, min_tenure_months) VALUES
    ('sales_rep', 'sales_customer_supervisor', '{A}', 2, 24),
    ('sales_customer_supervisor', 'sales_manager', '{A}', 2, 36),
    ('sales_manager', 'sales_director', '{A}', 3, 60),
    ('sales_manager', 'customer_director', '{A}', 3, 60);

  UPDATE appraisal_cycle SET state = 'reviewing' WHERE cycle_id = v_cycle;

  -- reviews: a self review, then up to reviews_per_member reviews by others:
  -- the supervisor (line manager) first, then peers from the same team (reps)
  -- or subordinates (leaders).
  CREATE TEMP TABLE demo_review ON COMMIT DROP AS
  WITH plan AS (
    SELECT m.member_id AS reviewee_id, m.member_id AS reviewer_id, 'self'::rater_role AS rater_role, 1 AS ord
    FROM demo_member m
    UNION ALL
    SELECT m.member_id, m.manager_id, 'supervisor', 2 FROM demo_member m WHERE m.manager_id IS NOT NULL
    UNION ALL
    SELECT m.member_id, tr.reps[1 + (array_position(tr.reps, m.member_id) - 1 + k) % cardinality(tr.reps)],
           'peer', 2 + k
    FROM demo_member m JOIN demo_team_reps tr ON tr.team_id = m.team_id
    CROSS JOIN generate_series(1, least(cardinality(tr.reps) - 1, greatest(p_rpm - 1, 0))) k
    WHERE NOT m.is_leader
    UNION ALL
    SELECT l.member_id, s.member_id, 'subordinate', 2 + s.rk
    FROM demo_member l
    JOIN (SELECT member_id, manager_id, row_number() OVER (PARTITION BY manager_id ORDER BY member_id) AS rk
          FROM demo_member) s ON s.manager_id = l.member_id AND s.rk <= greatest(p_rpm - 1, 0)
    WHERE l.is_leader)
  SELECT row_number() OVER (ORDER BY reviewee_id, ord, reviewer_id) AS review_id, p.*
  FROM plan p
  WHERE ord <= p_rpm + 1;
  INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role, comment, submitted_at)
  SELECT r.review_id, v_cycle, r.reviewer_id, r.reviewee_id, r.rater_role,
         format('%s review of member %s', r.rater_role, r.reviewee_id),
         make_date(p_year, 12, 5) + time '10:00' + make_interval(hours => (r.review_id % 200)::integer)
  FROM demo_review r ORDER BY r.review_id;
  INSERT INTO review_score (review_id, criterion, score)
  SELECT r.review_id, cr,
         least(5, greatest(1, round((3.2 + 1.2 * (m.talent - 1)
                                    + CASE WHEN r.rater_role = 'self' THEN 0.4 ELSE 0 END
                                    + 0.8 * (demo_random(p_seed, r.review_id * 8 + ci, 120) - 0.5) * 2)::numeric, 1)))
  FROM demo_review r
  JOIN demo_member m ON m.member_id = r.reviewee_id
  CROSS JOIN unnest(ARRAY['results','customer_focus','teamwork','growth']) WITH ORDINALITY AS c(cr, ci)
  ORDER BY r.review_id, ci;

  -- ---- pay: base by level, commission about 3 % of net sales
  INSERT INTO pay (member_id, fiscal_year, base_salary, commission, year_end_bonus)
  SELECT m.member_id, p_year,
         CASE m.level WHEN 'sales_rep' THEN 96000 WHEN 'sales_customer_supervisor' THEN 156000 ELSE 240000 END
           + 1000 * floor(demo_random(p_seed, m.member_id, 130) * 24),
         round(0.03 * coalesce((SELECT sum(d.sold) FROM demo_sold d WHERE d.member_id = m.member_id), 0), 2),
         0
  FROM demo_member m ORDER BY m.member_id;

  -- ---- identity sequences continue after the explicit ids
  FOR v_tab, v_col IN SELECT * FROM (VALUES ('team', 'team_id'), ('member', 'member_id'),
      ('product_category', 'category_id'), ('fiscal_period', 'period_id'), ('customer', 'customer_id'),
      ('sale', 'sale_id'), ('training_session', 'session_id'), ('kpi_definition', 'kpi_id'),
      ('review', 'review_id')) v LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), greatest(1, (SELECT max(%I) FROM sales_supervisor.%I)))',
                   'sales_supervisor.' || v_tab, v_col, v_col, v_tab);
  END LOOP;

  -- ---- what was made
  FOR v_tab IN SELECT unnest(ARRAY['team', 'member', 'customer', 'customer_contact', 'customer_visit',
                                   'feedback', 'survey_response', 'sale', 'sale_credit', 'opportunity',
                                   'forecast', 'task', 'training_session', 'training_attendance',
                                   'work_report', 'review', 'review_score', 'pay']) LOOP
    EXECUTE format('SELECT count(*) FROM sales_supervisor.%I', v_tab) INTO v_n;
    table_name := v_tab;
    row_count := v_n;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION generate_demo_org(integer, integer, integer, integer, integer, integer, integer, integer, integer, boolean) IS
'Fills the empty data model with a deterministic demo organisation (same seed, same rows): teams in a tree of the given depth, leaders and reps with login-role names ss_demo_<member_id> (roles are not created), Pareto-sized customers, visits, feedback, surveys, a year of seasonal sales lines with top performers, split credits and refunds, pipeline, forecasts, fiscal periods, tasks, training, work reports, and an appraisal cycle in state reviewing with 360-degree reviews. Errors if data exists unless replace => true (which truncates every table but the audit log). Run as the extension owner: it drops and re-creates the sales indexes and foreign keys around the bulk insert. Returns the row count of each table filled.';
REVOKE ALL ON FUNCTION generate_demo_org(integer, integer, integer, integer, integer, integer, integer, integer, integer, boolean) FROM PUBLIC;
-- Layer 3, operations: the calendar of scheduled jobs, their log, and the
-- daily jobs that need only the data model.
--
--   job_setting        one row per job: cron schedule, command, enabled
--   ops_setting        numeric knobs of the jobs (log retention, feedback deadlines)
--   job_log            one row per run: start, end, rows affected, status, error
--   execute_job(name)  runs a job's command in a sub-transaction and writes its
--                      log row whatever happens (never raises for the command)
--   run_job(name)      what pg_cron calls: execute_job, and on failure commit
--                      the log row and re-raise, so pg_cron records the failure too
--   schedule_jobs() / unschedule_jobs()   register the calendar in pg_cron
--   job_progress(msg, rows)  progress line: NOTICE, job_log.detail, application_name
--   flag_overdue_visits(), flag_overdue_feedback(), prune_job_log(), refresh_reports()
--
-- No autonomous transactions: the command runs in a PL/pgSQL sub-block with an
-- EXCEPTION clause (a subtransaction), and the log row is written after it, in
-- the outer transaction, so a failed command leaves its log row.  A job
-- command therefore runs inside one transaction: a procedure it calls must
-- not COMMIT itself.

-- ---------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------

CREATE TABLE job_setting (
  job_name     text PRIMARY KEY CHECK (job_name ~ '^[a-z][a-z0-9_]{0,40}$'),
  schedule     text NOT NULL
               CHECK (schedule ~ '^(@(yearly|annually|monthly|weekly|daily|hourly)|[0-9]{1,2} seconds|\S+ +\S+ +\S+ +\S+ +\S+)$'),
  command      text NOT NULL CHECK (btrim(command) <> ''),
  enabled      boolean NOT NULL DEFAULT true,
  description  text
);
COMMENT ON TABLE job_setting IS
'The scheduled calendar: one row per job with its cron schedule, the SQL command it runs and whether it is scheduled. schedule_jobs() registers the enabled jobs in pg_cron as ''sales_supervisor:<job_name>'' running CALL sales_supervisor.run_job(''<job_name>''); run schedule_jobs() again after changing a row. Only the extension owner may change it (the command runs as the user who scheduled the jobs).';
COMMENT ON COLUMN job_setting.job_name IS 'Job name (lower-case identifier); the pg_cron job is named sales_supervisor:<job_name>.';
COMMENT ON COLUMN job_setting.schedule IS 'pg_cron schedule in cron syntax (minute hour day-of-month month day-of-week, in the server''s time zone for pg_cron 1.4: GMT unless cron.timezone says otherwise), or @daily and friends.';
COMMENT ON COLUMN job_setting.command IS 'SQL the job runs (usually CALL sales_supervisor.<procedure>()); it runs inside one transaction, so it must not COMMIT.';
COMMENT ON COLUMN job_setting.enabled IS 'False: schedule_jobs() unschedules the job, and run_job() logs a run as skipped.';
COMMENT ON COLUMN job_setting.description IS 'What the job does.';

CREATE TABLE ops_setting (
  name         text PRIMARY KEY
               CHECK (name IN ('job_log_keep_days', 'complaint_response_days', 'feedback_response_days')),
  value        integer NOT NULL CHECK (value BETWEEN 1 AND 36500),
  description  text NOT NULL
);
COMMENT ON TABLE ops_setting IS 'Numeric settings of the scheduled jobs (a fixed set of names).';
COMMENT ON COLUMN ops_setting.name IS 'job_log_keep_days, complaint_response_days or feedback_response_days.';
COMMENT ON COLUMN ops_setting.value IS 'The setting''s value, in days (1..36500).';
COMMENT ON COLUMN ops_setting.description IS 'What the setting controls.';

INSERT INTO job_setting (job_name, schedule, command, description) VALUES
  ('overdue_visits', '15 1 * * *', 'CALL sales_supervisor.flag_overdue_visits()',
   'Daily: refresh visit_overdue_flag, the customers whose return visit is overdue.'),
  ('overdue_feedback', '20 1 * * *', 'CALL sales_supervisor.flag_overdue_feedback()',
   'Daily: refresh feedback_overdue_flag, the unresolved feedback items past their response deadline.'),
  ('prune_job_log', '45 1 * * *', 'CALL sales_supervisor.prune_job_log()',
   'Daily: delete job_log rows (and pg_cron''s run details of these jobs) older than ops_setting job_log_keep_days.'),
  ('refresh_reports', '0 2 1 * *', 'CALL sales_supervisor.refresh_reports()',
   'Monthly: REFRESH MATERIALIZED VIEW CONCURRENTLY of the reporting views that aggregate the sales lines.'),
  ('kpi_snapshot', '0 3 1 * *', 'CALL sales_supervisor.score_kpis_for_month()',
   'Monthly: score the KPIs of the month just ended (procedure of the sales-year layer).'),
  ('commission_run', '0 4 1 * *', 'CALL sales_supervisor.run_commission_for_month()',
   'Monthly: commission run for the month just ended (procedure of the sales-year layer).'),
  ('appraisal_close', '0 6 5 1 *', 'CALL sales_supervisor.close_due_appraisal_cycles()',
   'Yearly, 5 January: close the appraisal cycles that are due (procedure of the sales-year layer).');

INSERT INTO ops_setting (name, value, description) VALUES
  ('job_log_keep_days', 90, 'prune_job_log deletes job_log rows older than this many days.'),
  ('complaint_response_days', 3, 'An unresolved complaint is overdue this many days after it was opened.'),
  ('feedback_response_days', 14, 'An unresolved suggestion or praise item is overdue this many days after it was opened.');

-- pg_dump carries every row of the two settings tables (so a changed
-- schedule survives a dump); on restore the rows meet the defaults that
-- CREATE EXTENSION has just inserted, so an INSERT of an existing key made by
-- pg_restore updates the row instead of failing on the primary key.
CREATE FUNCTION settings_restore_merge()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF NOT is_restoring() THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'job_setting' THEN
    UPDATE job_setting s SET schedule = NEW.schedule, command = NEW.command, enabled = NEW.enabled,
                             description = NEW.description
    WHERE s.job_name = NEW.job_name;
  ELSE
    UPDATE ops_setting s SET value = NEW.value, description = NEW.description WHERE s.name = NEW.name;
  END IF;
  RETURN CASE WHEN FOUND THEN NULL ELSE NEW END;
END
$$;
COMMENT ON FUNCTION settings_restore_merge() IS
'Trigger on job_setting and ops_setting: while pg_restore runs, a dumped row whose key already exists (a default of CREATE EXTENSION) updates that row instead of failing.';
CREATE TRIGGER job_setting_restore_merge BEFORE INSERT ON job_setting
  FOR EACH ROW EXECUTE FUNCTION settings_restore_merge();
CREATE TRIGGER ops_setting_restore_merge BEFORE INSERT ON ops_setting
  FOR EACH ROW EXECUTE FUNCTION settings_restore_merge();

CREATE FUNCTION ops_setting_value(setting text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v integer;
BEGIN
  SELECT s.value INTO v FROM ops_setting s WHERE s.name = setting;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ops setting "%" is missing', setting
      USING ERRCODE = 'undefined_object',
            HINT = 'Insert it into sales_supervisor.ops_setting (the defaults are in the extension script).';
  END IF;
  RETURN v;
END
$$;
COMMENT ON FUNCTION ops_setting_value(text) IS 'Value of an ops_setting; error 42704 naming it when the row is missing.';

-- ---------------------------------------------------------------------------
-- Job log
-- ---------------------------------------------------------------------------

CREATE TABLE job_log (
  log_id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  job_name       text NOT NULL,
  command        text,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL,
  rows_affected  bigint,
  status         text NOT NULL CHECK (status IN ('success', 'failure', 'skipped')),
  sqlstate       text CHECK (sqlstate ~ '^[0-9A-Z]{5}$'),
  error          text,
  detail         text,
  run_by         name NOT NULL DEFAULT session_user,
  CONSTRAINT job_log_finished_after_start CHECK (finished_at >= started_at),
  CONSTRAINT job_log_error_iff_failure CHECK ((status = 'failure') = (error IS NOT NULL))
);
CREATE INDEX job_log_job_started_idx ON job_log (job_name, started_at);
CREATE INDEX job_log_started_idx ON job_log (started_at);
COMMENT ON TABLE job_log IS
'One row per run of a scheduled job (run_job / execute_job): start, end, rows affected, status, error text and progress lines. A failed run is logged too. Pruned by the prune_job_log job after ops_setting job_log_keep_days.';
COMMENT ON COLUMN job_log.log_id IS 'Log entry identifier (increasing in write order).';
COMMENT ON COLUMN job_log.job_name IS 'Job run (a job_setting.job_name, or the unknown name asked for).';
COMMENT ON COLUMN job_log.command IS 'SQL command that ran (NULL when the job was unknown or skipped).';
COMMENT ON COLUMN job_log.started_at IS 'When the run started (clock time).';
COMMENT ON COLUMN job_log.finished_at IS 'When the run ended (clock time).';
COMMENT ON COLUMN job_log.rows_affected IS 'Rows the job changed: the total its procedures reported with job_progress(), else the row count of a plain SQL command; NULL on failure.';
COMMENT ON COLUMN job_log.status IS 'success, failure or skipped (job disabled).';
COMMENT ON COLUMN job_log.sqlstate IS 'SQLSTATE of the error of a failed run.';
COMMENT ON COLUMN job_log.error IS 'Error message of a failed run; NULL otherwise.';
COMMENT ON COLUMN job_log.detail IS 'Progress lines of a successful run (time and message, one per line), or the error''s DETAIL, HINT and CONTEXT of a failed one.';
COMMENT ON COLUMN job_log.run_by IS 'Session user that ran the job (the user pg_cron runs it as).';

-- ---------------------------------------------------------------------------
-- Progress
-- ---------------------------------------------------------------------------

CREATE FUNCTION job_progress(message text, rows_affected bigint DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_rows text := current_setting('sales_supervisor_job.rows', true);
BEGIN
  IF message IS NULL THEN
    RAISE EXCEPTION 'progress message must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  RAISE NOTICE '%', message;
  PERFORM set_config('sales_supervisor_job.detail',
                     coalesce(current_setting('sales_supervisor_job.detail', true), '')
                       || to_char(clock_timestamp(), 'HH24:MI:SS.MS') || ' ' || message || E'\n', true);
  IF rows_affected IS NOT NULL THEN
    PERFORM set_config('sales_supervisor_job.rows',
                       (coalesce(nullif(v_rows, '')::bigint, 0) + rows_affected)::text, true);
  END IF;
  -- visible to other sessions at once, in pg_stat_activity.application_name
  PERFORM set_config('application_name', left('sales_supervisor: ' || message, 63), true);
END
$$;
COMMENT ON FUNCTION job_progress(text, bigint) IS
'Reports progress of a long job: a NOTICE line for a psql user, a line in the job_log.detail of the run (when called under execute_job or run_job), pg_stat_activity.application_name for a watcher in another session (until the transaction ends), and adds rows_affected to the run''s row count.';
REVOKE ALL ON FUNCTION job_progress(text, bigint) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Running a job
-- ---------------------------------------------------------------------------

CREATE FUNCTION execute_job(job_name text)
RETURNS job_log
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  s job_setting;
  r job_log;
  v_rows bigint;
  v_appname text := current_setting('application_name');
  v_state text;
  v_msg text;
  v_detail text;
  v_hint text;
  v_context text;
BEGIN
  IF execute_job.job_name IS NULL THEN
    RAISE EXCEPTION 'job name must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  r.job_name := execute_job.job_name;
  r.started_at := clock_timestamp();
  SELECT * INTO s FROM job_setting j WHERE j.job_name = execute_job.job_name;
  IF NOT FOUND THEN
    r.status := 'failure';
    r.sqlstate := '22023';
    r.error := format('job "%s" is not defined', execute_job.job_name);
    r.detail := 'HINT: The jobs are the rows of sales_supervisor.job_setting.';
  ELSIF NOT s.enabled THEN
    r.status := 'skipped';
    r.detail := 'the job is disabled in job_setting';
  ELSE
    r.command := s.command;
    PERFORM set_config('sales_supervisor_job.detail', '', true);
    PERFORM set_config('sales_supervisor_job.rows', '', true);
    BEGIN
      EXECUTE s.command;
      GET DIAGNOSTICS v_rows = ROW_COUNT;
      r.rows_affected := coalesce(nullif(current_setting('sales_supervisor_job.rows', true), '')::bigint, v_rows);
      r.detail := nullif(current_setting('sales_supervisor_job.detail', true), '');
      r.status := 'success';
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                              v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT,
                              v_context = PG_EXCEPTION_CONTEXT;
      r.status := 'failure';
      r.sqlstate := v_state;
      r.error := v_msg;
      r.detail := nullif(concat_ws(E'\n', 'DETAIL: ' || nullif(v_detail, ''), 'HINT: ' || nullif(v_hint, ''),
                                   'CONTEXT: ' || nullif(v_context, '')), '');
    END;
    PERFORM set_config('application_name', v_appname, true);
  END IF;
  r.finished_at := clock_timestamp();
  INSERT INTO job_log (job_name, command, started_at, finished_at, rows_affected, status, sqlstate, error, detail)
  VALUES (r.job_name, r.command, r.started_at, r.finished_at, r.rows_affected, r.status, r.sqlstate, r.error, r.detail)
  RETURNING * INTO r;
  RETURN r;
END
$$;
COMMENT ON FUNCTION execute_job(text) IS
'Runs the command of a job of job_setting in a subtransaction and writes its job_log row whatever happens: success with rows affected and progress lines, failure with SQLSTATE, message, detail, hint and context (the command''s changes are rolled back), skipped for a disabled job, failure for an unknown job name. Returns the log row; never raises for the command''s error. Usable inside a transaction (tests, manual runs); pg_cron calls run_job.';
REVOKE ALL ON FUNCTION execute_job(text) FROM PUBLIC;

-- run_job has no SET search_path clause on purpose: PostgreSQL refuses
-- COMMIT in a procedure that has one.  Every name in it is therefore
-- schema-qualified, and it casts nothing.
CREATE PROCEDURE run_job(job_name text)
LANGUAGE plpgsql
AS $$
DECLARE
  r sales_supervisor.job_log;
  v_top_level boolean := false;
BEGIN
  r := sales_supervisor.execute_job(job_name);
  IF r.status OPERATOR(pg_catalog.<>) 'failure' THEN
    RETURN;
  END IF;
  -- Can this call commit?  Only a CALL at top level (pg_cron, psql in
  -- autocommit) can.  A COMMIT inside a sub-block always fails, with a message
  -- that tells which case we are in: "invalid transaction termination" when
  -- the call is atomic (inside a transaction block or a function), "cannot
  -- commit while a subtransaction is active" when only the sub-block is in
  -- the way.
  BEGIN
    COMMIT;
  EXCEPTION WHEN invalid_transaction_termination THEN
    v_top_level := SQLERRM OPERATOR(pg_catalog.=) 'cannot commit while a subtransaction is active';
  END;
  IF v_top_level THEN
    COMMIT;                              -- the log row is kept ...
    RAISE EXCEPTION 'job "%" failed: %', r.job_name, r.error   -- ... and pg_cron sees the failure
      USING ERRCODE = r.sqlstate,
            DETAIL = pg_catalog.concat('Logged as sales_supervisor.job_log log_id ', r.log_id, '.');
  END IF;
  RAISE WARNING 'job "%" failed: % (SQLSTATE %)', r.job_name, r.error, r.sqlstate
    USING DETAIL = pg_catalog.concat('Logged as sales_supervisor.job_log log_id ', r.log_id,
                                     '; not re-raised because the call is inside a transaction, whose rollback would lose the log row.');
END
$$;
COMMENT ON PROCEDURE run_job(text) IS
'Entry point of the pg_cron jobs: runs the job through execute_job (which logs it). On failure, when called at top level (as pg_cron and psql in autocommit do), it commits the log row and re-raises the error with its SQLSTATE, so pg_cron''s job_run_details shows the failure too; inside a transaction block it only warns, keeping the log row in the caller''s transaction.';
REVOKE ALL ON PROCEDURE run_job(text) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- pg_cron registration
-- ---------------------------------------------------------------------------

CREATE FUNCTION require_pg_cron()
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The scheduled calendar of sales_supervisor runs on the pg_cron extension.',
            HINT = format('Set shared_preload_libraries = ''pg_cron'' and cron.database_name = ''%s'' in postgresql.conf, restart the server, then run CREATE EXTENSION pg_cron; in this database.',
                          current_database());
  END IF;
END
$$;
COMMENT ON FUNCTION require_pg_cron() IS 'Raises 55000 with a hint on how to install pg_cron when the pg_cron extension is not installed in the current database.';
REVOKE ALL ON FUNCTION require_pg_cron() FROM PUBLIC;

CREATE FUNCTION schedule_jobs()
RETURNS TABLE (job_name text, schedule text, cron_jobid bigint, action text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  s record;
BEGIN
  PERFORM require_pg_cron();
  FOR s IN SELECT j.job_name, j.schedule, j.enabled FROM job_setting j ORDER BY j.job_name LOOP
    job_name := s.job_name;
    schedule := s.schedule;
    IF s.enabled THEN
      -- cron.schedule(name, ...) updates the job of that name and user if it exists
      cron_jobid := cron.schedule('sales_supervisor:' || s.job_name, s.schedule,
                                  format('CALL sales_supervisor.run_job(%L)', s.job_name));
      action := 'scheduled';
      RETURN NEXT;
    ELSE
      FOR cron_jobid IN SELECT c.jobid FROM cron.job c
                        WHERE c.jobname = 'sales_supervisor:' || s.job_name AND c.database = current_database()
                        ORDER BY c.jobid LOOP
        PERFORM cron.unschedule(cron_jobid);
        action := 'unscheduled (disabled)';
        RETURN NEXT;
      END LOOP;
    END IF;
  END LOOP;
  -- jobs of ours that no longer have a setting
  FOR job_name, cron_jobid, schedule IN
      SELECT substr(c.jobname, length('sales_supervisor:') + 1), c.jobid, c.schedule FROM cron.job c
      WHERE starts_with(c.jobname, 'sales_supervisor:') AND c.database = current_database()
        AND NOT EXISTS (SELECT 1 FROM job_setting j WHERE 'sales_supervisor:' || j.job_name = c.jobname)
      ORDER BY c.jobid LOOP
    PERFORM cron.unschedule(cron_jobid);
    action := 'unscheduled (no setting)';
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION schedule_jobs() IS
'Registers the calendar of job_setting in pg_cron: each enabled job as ''sales_supervisor:<job_name>'' with its schedule, running CALL sales_supervisor.run_job(''<job_name>'') as the current user in this database; unschedules disabled jobs and jobs whose setting was deleted. Idempotent: call it again after changing job_setting. Error 55000 with a hint when pg_cron is not installed. Returns what it did.';
REVOKE ALL ON FUNCTION schedule_jobs() FROM PUBLIC;

CREATE FUNCTION unschedule_jobs()
RETURNS TABLE (job_name text, cron_jobid bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  PERFORM require_pg_cron();
  FOR job_name, cron_jobid IN
      SELECT substr(c.jobname, length('sales_supervisor:') + 1), c.jobid FROM cron.job c
      WHERE starts_with(c.jobname, 'sales_supervisor:') AND c.database = current_database()
      ORDER BY c.jobid LOOP
    PERFORM cron.unschedule(cron_jobid);
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION unschedule_jobs() IS
'Removes every pg_cron job named sales_supervisor:* of this database (idempotent: a second call removes nothing). Error 55000 with a hint when pg_cron is not installed. Returns the jobs removed.';
REVOKE ALL ON FUNCTION unschedule_jobs() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Daily job: overdue return visits
-- ---------------------------------------------------------------------------

-- The two flag tables are derived data that their job rebuilds: no foreign
-- keys, so they never stand in the way of deleting or truncating the model
-- (generate_demo_org(replace => true) truncates it); a flag of a row that is
-- gone is cleared at the next run.
CREATE TABLE visit_overdue_flag (
  customer_id   integer PRIMARY KEY,
  owner_id      integer NOT NULL,
  team_id       integer NOT NULL,
  tier          text NOT NULL,
  last_done_on  date,
  due_on        date NOT NULL,
  flagged_on    date NOT NULL DEFAULT CURRENT_DATE
);
CREATE INDEX visit_overdue_flag_owner_idx ON visit_overdue_flag (owner_id);
COMMENT ON TABLE visit_overdue_flag IS
'Customers whose return visit is overdue, as of the last run of the overdue_visits job (flag_overdue_visits): the flag appears when the visit falls due and disappears when a visit is done (or the customer becomes inactive). The live list is the view overdue_visit; this table keeps when each customer was first flagged.';
COMMENT ON COLUMN visit_overdue_flag.customer_id IS 'Customer overdue for a return visit.';
COMMENT ON COLUMN visit_overdue_flag.owner_id IS 'Owning rep when last checked.';
COMMENT ON COLUMN visit_overdue_flag.team_id IS 'Owning team when last checked.';
COMMENT ON COLUMN visit_overdue_flag.tier IS 'Customer tier when last checked (decides the cadence).';
COMMENT ON COLUMN visit_overdue_flag.last_done_on IS 'Date of the last done visit (NULL if never visited).';
COMMENT ON COLUMN visit_overdue_flag.due_on IS 'Date the return visit was due.';
COMMENT ON COLUMN visit_overdue_flag.flagged_on IS 'Date the job first flagged the customer in this overdue spell.';

CREATE PROCEDURE flag_overdue_visits()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_overdue bigint;
  v_new bigint;
  v_changed bigint;
  v_cleared bigint;
BEGIN
  PERFORM job_progress('overdue visits: step 1/2, computing the customers whose return visit is overdue');
  WITH cur AS MATERIALIZED (
         SELECT o.customer_id, o.owner_id, o.team_id, o.tier, o.last_done_on, o.due_on FROM overdue_visit o),
       ins AS (
         INSERT INTO visit_overdue_flag (customer_id, owner_id, team_id, tier, last_done_on, due_on)
         SELECT * FROM cur ON CONFLICT (customer_id) DO NOTHING RETURNING 1),
       upd AS (
         UPDATE visit_overdue_flag f
         SET owner_id = cur.owner_id, team_id = cur.team_id, tier = cur.tier,
             last_done_on = cur.last_done_on, due_on = cur.due_on
         FROM cur
         WHERE f.customer_id = cur.customer_id
           AND (f.owner_id, f.team_id, f.tier, f.last_done_on, f.due_on)
               IS DISTINCT FROM (cur.owner_id, cur.team_id, cur.tier, cur.last_done_on, cur.due_on)
         RETURNING 1),
       del AS (
         DELETE FROM visit_overdue_flag f
         WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.customer_id = f.customer_id) RETURNING 1)
  SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),
         (SELECT count(*) FROM del)
  INTO v_overdue, v_new, v_changed, v_cleared;
  PERFORM job_progress(format('overdue visits: step 2/2, %s customers overdue: %s newly flagged, %s flags changed, %s cleared',
                              v_overdue, v_new, v_changed, v_cleared),
                       v_new + v_changed + v_cleared);
END
$$;
COMMENT ON PROCEDURE flag_overdue_visits() IS
'Daily job overdue_visits: makes visit_overdue_flag equal to the overdue_visit list (new flags inserted, changed ones updated, flags of customers no longer overdue deleted); rows affected = inserted + updated + deleted. Run it as the extension owner (row-level security of the caller would narrow the list).';
REVOKE ALL ON PROCEDURE flag_overdue_visits() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Daily job: overdue feedback
-- ---------------------------------------------------------------------------

CREATE TABLE feedback_overdue_flag (
  feedback_id  bigint PRIMARY KEY,
  customer_id  integer NOT NULL,
  member_id    integer,
  kind         feedback_kind NOT NULL,
  status       feedback_status NOT NULL,
  opened_at    timestamptz NOT NULL,
  due_at       timestamptz NOT NULL,
  flagged_on   date NOT NULL DEFAULT CURRENT_DATE
);
CREATE INDEX feedback_overdue_flag_customer_idx ON feedback_overdue_flag (customer_id);
COMMENT ON TABLE feedback_overdue_flag IS
'Unresolved feedback items (open or in progress) past their response deadline (opened_at plus ops_setting complaint_response_days for complaints, feedback_response_days for the other kinds), as of the last run of the overdue_feedback job (flag_overdue_feedback).';
COMMENT ON COLUMN feedback_overdue_flag.feedback_id IS 'Feedback item overdue.';
COMMENT ON COLUMN feedback_overdue_flag.customer_id IS 'Customer who gave it.';
COMMENT ON COLUMN feedback_overdue_flag.member_id IS 'Member handling it, if assigned.';
COMMENT ON COLUMN feedback_overdue_flag.kind IS 'complaint, suggestion or praise.';
COMMENT ON COLUMN feedback_overdue_flag.status IS 'open or in_progress when last checked.';
COMMENT ON COLUMN feedback_overdue_flag.opened_at IS 'When the item was received.';
COMMENT ON COLUMN feedback_overdue_flag.due_at IS 'Response deadline that has passed.';
COMMENT ON COLUMN feedback_overdue_flag.flagged_on IS 'Date the job first flagged the item.';

CREATE PROCEDURE flag_overdue_feedback()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_complaint_days integer := ops_setting_value('complaint_response_days');
  v_other_days integer := ops_setting_value('feedback_response_days');
  v_overdue bigint;
  v_new bigint;
  v_changed bigint;
  v_cleared bigint;
BEGIN
  PERFORM job_progress(format('overdue feedback: step 1/2, unresolved items older than %s days (complaints) or %s days (others)',
                              v_complaint_days, v_other_days));
  WITH cur AS MATERIALIZED (
         SELECT f.feedback_id, f.customer_id, f.member_id, f.kind, f.status, f.opened_at,
                f.opened_at + make_interval(days => CASE WHEN f.kind = 'complaint' THEN v_complaint_days
                                                         ELSE v_other_days END) AS due_at
         FROM feedback f
         WHERE f.resolved_at IS NULL
           AND f.opened_at + make_interval(days => CASE WHEN f.kind = 'complaint' THEN v_complaint_days
                                                        ELSE v_other_days END) < now()),
       ins AS (
         INSERT INTO feedback_overdue_flag (feedback_id, customer_id, member_id, kind, status, opened_at, due_at)
         SELECT * FROM cur ON CONFLICT (feedback_id) DO NOTHING RETURNING 1),
       upd AS (
         UPDATE feedback_overdue_flag o
         SET customer_id = cur.customer_id, member_id = cur.member_id, kind = cur.kind, status = cur.status,
             opened_at = cur.opened_at, due_at = cur.due_at
         FROM cur
         WHERE o.feedback_id = cur.feedback_id
           AND (o.customer_id, o.member_id, o.kind, o.status, o.opened_at, o.due_at)
               IS DISTINCT FROM (cur.customer_id, cur.member_id, cur.kind, cur.status, cur.opened_at, cur.due_at)
         RETURNING 1),
       del AS (
         DELETE FROM feedback_overdue_flag o
         WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.feedback_id = o.feedback_id) RETURNING 1)
  SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),
         (SELECT count(*) FROM del)
  INTO v_overdue, v_new, v_changed, v_cleared;
  PERFORM job_progress(format('overdue feedback: step 2/2, %s items overdue: %s newly flagged, %s flags changed, %s cleared',
                              v_overdue, v_new, v_changed, v_cleared),
                       v_new + v_changed + v_cleared);
END
$$;
COMMENT ON PROCEDURE flag_overdue_feedback() IS
'Daily job overdue_feedback: makes feedback_overdue_flag equal to the unresolved feedback items past their response deadline (ops_setting complaint_response_days / feedback_response_days); rows affected = inserted + updated + deleted flags.';
REVOKE ALL ON PROCEDURE flag_overdue_feedback() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Daily job: prune the logs
-- ---------------------------------------------------------------------------

CREATE PROCEDURE prune_job_log()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_days integer := ops_setting_value('job_log_keep_days');
  v_ours bigint;
  v_cron bigint := 0;
BEGIN
  DELETE FROM job_log l WHERE l.started_at < now() - make_interval(days => v_days);
  GET DIAGNOSTICS v_ours = ROW_COUNT;
  PERFORM job_progress(format('prune: %s job_log rows older than %s days deleted', v_ours, v_days), v_ours);
  -- pg_cron's own run log grows without bound: prune the runs of our jobs too
  IF EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'pg_cron')
     AND to_regclass('cron.job_run_details') IS NOT NULL THEN
    EXECUTE $q$DELETE FROM cron.job_run_details d
               WHERE d.end_time < now() - make_interval(days => $1)
                 AND d.jobid IN (SELECT c.jobid FROM cron.job c
                                 WHERE starts_with(c.jobname, 'sales_supervisor:'))$q$
      USING v_days;
    GET DIAGNOSTICS v_cron = ROW_COUNT;
    PERFORM job_progress(format('prune: %s cron.job_run_details rows of our jobs deleted', v_cron), v_cron);
  END IF;
END
$$;
COMMENT ON PROCEDURE prune_job_log() IS
'Daily job prune_job_log: deletes job_log rows that started more than ops_setting job_log_keep_days days ago and, when pg_cron is installed, the cron.job_run_details rows of the sales_supervisor:* jobs that ended before then.';
REVOKE ALL ON PROCEDURE prune_job_log() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Grants and row-level security, as in 30_security.sql
-- ---------------------------------------------------------------------------

-- The calendar, its settings and its log are the administrator's (the
-- extension owner, who schedules the jobs): no group role is granted them,
-- and row-level security without policies keeps them closed should a grant
-- ever be added by mistake (the owner and superusers bypass it).
ALTER TABLE job_setting ENABLE ROW LEVEL SECURITY;
ALTER TABLE ops_setting ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_log ENABLE ROW LEVEL SECURITY;
-- The flags are customer data: visible exactly when the customer is.
GRANT SELECT ON visit_overdue_flag, feedback_overdue_flag
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
ALTER TABLE visit_overdue_flag ENABLE ROW LEVEL SECURITY;
CREATE POLICY visit_overdue_flag_via_customer ON visit_overdue_flag
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
ALTER TABLE feedback_overdue_flag ENABLE ROW LEVEL SECURITY;
CREATE POLICY feedback_overdue_flag_via_customer ON feedback_overdue_flag
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));

-- pg_dump carries the settings, the log and the flags.
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.job_setting'::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.ops_setting'::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.job_log'::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump(
  pg_catalog.pg_get_serial_sequence('sales_supervisor.job_log', 'log_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.visit_overdue_flag'::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.feedback_overdue_flag'::pg_catalog.regclass, '');
-- Layer 3, operations: the sales-year steps as calendar jobs.
--
-- The default job_setting rows (50_operations.sql) call these three
-- procedures.  Each decides from the calendar which cycles or periods are due,
-- calls the sales-year step (41_kpis.sql, 42_commission.sql, 43_appraisal.sql)
-- for each, and reports progress with job_progress().  They never COMMIT:
-- run_job executes them in a subtransaction, so a failure rolls the whole run
-- back and is logged.  They run as the job's owner (pg_cron runs a job as the
-- user who scheduled it), whose rights the steps' role checks apply to.

CREATE PROCEDURE score_kpis_for_month()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  c record;
  n bigint;
  done integer := 0;
BEGIN
  -- the KPI snapshot: rescore every appraisal cycle that is not closed yet
  FOR c IN SELECT cycle_id, fiscal_year FROM appraisal_cycle
           WHERE state <> 'closed' ORDER BY fiscal_year, cycle_id LOOP
    SELECT count(*) INTO n FROM score_kpis(c.cycle_id);
    done := done + 1;
    PERFORM job_progress(format('kpi snapshot: cycle %s (%s): %s KPI results', c.cycle_id,
                                c.fiscal_year, n), n);
  END LOOP;
  IF done = 0 THEN
    PERFORM job_progress('kpi snapshot: no appraisal cycle is open', 0);
  END IF;
END
$$;
COMMENT ON PROCEDURE score_kpis_for_month() IS
'Job kpi_snapshot (monthly): score_kpis() for every appraisal cycle that is not closed, so kpi_result holds the year to date; rows affected = KPI results written.';

CREATE PROCEDURE run_commission_for_month()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  p record;
  n bigint;
  done integer := 0;
BEGIN
  -- every month that has ended and is not locked yet, oldest first, so a
  -- missed month is caught up in order before the next one is paid
  FOR p IN SELECT fp.period_id, fp.start_on FROM fiscal_period fp
           WHERE fp.kind = 'month' AND fp.end_on < current_date
             AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = fp.period_id)
             -- (a month ending within dates a run already credited is not run:
             -- its lines went into that run)
             AND fp.end_on > coalesce((SELECT max(l.credited_through) FROM commission_period_lock l), '-infinity')
           ORDER BY fp.start_on LOOP
    SELECT count(*) INTO n FROM run_commission(p.period_id);
    done := done + 1;
    PERFORM job_progress(format('commission run: %s (period %s): %s reps paid',
                                to_char(p.start_on, 'YYYY-MM'), p.period_id, n), n);
  END LOOP;
  IF done = 0 THEN
    PERFORM job_progress('commission run: no ended month is waiting', 0);
  END IF;
END
$$;
COMMENT ON PROCEDURE run_commission_for_month() IS
'Job commission_run (monthly): run_commission() for every ended month period that is not locked and ends after the last credited date, oldest first (catches up missed months); each run credits, pays and locks its period; rows affected = payout lines.';

CREATE PROCEDURE close_due_appraisal_cycles()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  c record;
  n bigint;
  done integer := 0;
BEGIN
  -- a cycle is due once its fiscal year is over and its reviews have started;
  -- a cycle still 'open' (no reviews yet) is reported, not forced
  FOR c IN SELECT cycle_id, fiscal_year, state FROM appraisal_cycle
           WHERE state <> 'closed' AND fiscal_year < extract(year FROM current_date)
           ORDER BY fiscal_year, cycle_id LOOP
    IF c.state = 'open' THEN
      PERFORM job_progress(format('appraisal close: cycle %s (%s) skipped: reviews have not started',
                                  c.cycle_id, c.fiscal_year), 0);
      CONTINUE;
    END IF;
    SELECT count(*) INTO n FROM close_appraisal_cycle(c.cycle_id);
    done := done + 1;
    PERFORM job_progress(format('appraisal close: cycle %s (%s) closed, %s results',
                                c.cycle_id, c.fiscal_year, n), n);
  END LOOP;
  IF done = 0 THEN
    PERFORM job_progress('appraisal close: no cycle is due', 0);
  END IF;
END
$$;
COMMENT ON PROCEDURE close_due_appraisal_cycles() IS
'Job appraisal_close (yearly, 5 January): close_appraisal_cycle() for every cycle of an ended fiscal year whose reviews have started; cycles still open are reported and skipped; rows affected = results.';

REVOKE ALL ON PROCEDURE score_kpis_for_month() FROM PUBLIC;
REVOKE ALL ON PROCEDURE run_commission_for_month() FROM PUBLIC;
REVOKE ALL ON PROCEDURE close_due_appraisal_cycles() FROM PUBLIC;
-- Layer 3, reports: views with stable names and commented columns for BI tools
-- (Metabase, Superset, Tableau, Power BI, Grafana), and the job that refreshes
-- the materialized ones.
--
-- Security: these views are owned by the extension owner and are NOT
-- security_invoker, so they read the tables as their owner and row-level
-- security does not narrow them.  That is intended for the BI role
-- (sales_supervisor_bi), which holds SELECT on these views and on nothing
-- else: it sees the whole organisation's figures but no raw table.  They are
-- deliberately not granted to the rep, supervisor or manager roles (they would
-- see past their row scope); pay is shown only in groups of three or more.
--
-- Sales are credited by split exactly as the KPIs and the commission credit
-- them (credited_sales): a sales line with sale_credit rows is divided between
-- the credited reps in exact cents (allocate_quota, largest remainder), a line
-- without them counts fully for sale.member_id; refund lines (negative) count
-- the same way.  So a report and an appraisal never differ by a fraction of a
-- cent.  Team figures roll up the team tree: a team's
-- figure covers every member whose current team lies in its subtree.
--
-- The one view that reads the sales lines, v_credited_sales_daily, is
-- materialized (one row per rep and day instead of one per line, so tens of
-- millions of lines become some hundred thousand rows) with a UNIQUE index for
-- REFRESH ... CONCURRENTLY, which the refresh_reports job runs.  Every view
-- built on it is as fresh as its last refresh.

-- ---------------------------------------------------------------------------
-- Sales credited per rep and day (materialized)
-- ---------------------------------------------------------------------------

CREATE MATERIALIZED VIEW v_credited_sales_daily AS
SELECT cs.member_id,
       cs.sold_on,
       sum(cs.amount) AS credited_amount,
       count(*) AS sales_lines,
       count(*) FILTER (WHERE cs.refund_of IS NOT NULL) AS refund_lines,
       count(*) FILTER (WHERE cs.share_pct < 100) AS split_lines
FROM credited_sales('-infinity', 'infinity') cs
GROUP BY 1, 2;
CREATE UNIQUE INDEX v_credited_sales_daily_key ON v_credited_sales_daily (member_id, sold_on);
CREATE INDEX v_credited_sales_daily_sold_on_idx ON v_credited_sales_daily (sold_on);
COMMENT ON MATERIALIZED VIEW v_credited_sales_daily IS
'Materialized: sales credited to each rep per day as credited_sales credits them (a split line divided between its reps in exact cents), refunds negative. As fresh as the last run of the refresh_reports job (REFRESH MATERIALIZED VIEW CONCURRENTLY).';
COMMENT ON COLUMN v_credited_sales_daily.member_id IS 'Rep credited.';
COMMENT ON COLUMN v_credited_sales_daily.sold_on IS 'Day of the sales lines.';
COMMENT ON COLUMN v_credited_sales_daily.credited_amount IS 'Sum of the credited amounts (exact numeric, refunds negative).';
COMMENT ON COLUMN v_credited_sales_daily.sales_lines IS 'Sales lines credited to the rep that day (a split line counts once for each credited rep).';
COMMENT ON COLUMN v_credited_sales_daily.refund_lines IS 'Of those, refund or cancellation lines.';
COMMENT ON COLUMN v_credited_sales_daily.split_lines IS 'Of those, lines whose credit is split between reps.';

CREATE VIEW v_rep_sales_month AS
SELECT d.member_id, m.full_name, m.team_id, date_trunc('month', d.sold_on)::date AS month,
       sum(d.credited_amount) AS credited_amount, sum(d.sales_lines) AS sales_lines,
       sum(d.refund_lines) AS refund_lines, sum(d.split_lines) AS split_lines
FROM v_credited_sales_daily d
JOIN member m ON m.member_id = d.member_id
GROUP BY d.member_id, m.full_name, m.team_id, date_trunc('month', d.sold_on);
COMMENT ON VIEW v_rep_sales_month IS
'Sales credited to each rep per calendar month (from the materialized v_credited_sales_daily: as fresh as its last refresh).';
COMMENT ON COLUMN v_rep_sales_month.member_id IS 'Rep credited.';
COMMENT ON COLUMN v_rep_sales_month.full_name IS 'Rep''s name.';
COMMENT ON COLUMN v_rep_sales_month.team_id IS 'Rep''s current team.';
COMMENT ON COLUMN v_rep_sales_month.month IS 'First day of the calendar month.';
COMMENT ON COLUMN v_rep_sales_month.credited_amount IS 'Credited sales in the month (split credit, refunds negative).';
COMMENT ON COLUMN v_rep_sales_month.sales_lines IS 'Sales lines credited in the month.';
COMMENT ON COLUMN v_rep_sales_month.refund_lines IS 'Of those, refund lines.';
COMMENT ON COLUMN v_rep_sales_month.split_lines IS 'Of those, split lines.';

-- ---------------------------------------------------------------------------
-- Attainment against quota, per rep and per team, by fiscal period
-- ---------------------------------------------------------------------------

CREATE VIEW v_rep_attainment AS
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month, fp.start_on, fp.end_on,
       m.member_id, m.full_name, m.team_id, m.level,
       q.amount AS quota, s.credited_sales, s.sales_lines,
       kpi_attainment(s.credited_sales, q.amount) AS attainment
FROM fiscal_period fp
CROSS JOIN member m
LEFT JOIN quota q ON q.member_id = m.member_id AND q.period_id = fp.period_id
CROSS JOIN LATERAL (
  SELECT coalesce(sum(d.credited_amount), 0) AS credited_sales, coalesce(sum(d.sales_lines), 0) AS sales_lines
  FROM v_credited_sales_daily d
  WHERE d.member_id = m.member_id AND d.sold_on BETWEEN fp.start_on AND fp.end_on) s
WHERE q.quota_id IS NOT NULL OR s.sales_lines > 0;
COMMENT ON VIEW v_rep_attainment IS
'Attainment of each rep per fiscal period (year, quarter, month): credited sales (split credit, refunds netted) against the rep''s quota, kpi_attainment(sales, quota). One row per member and period where the member has a quota or sales. Sales come from the materialized v_credited_sales_daily.';
COMMENT ON COLUMN v_rep_attainment.period_id IS 'Fiscal period.';
COMMENT ON COLUMN v_rep_attainment.period_kind IS 'year, quarter or month.';
COMMENT ON COLUMN v_rep_attainment.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_rep_attainment.quarter IS 'Quarter 1..4 (NULL for a year).';
COMMENT ON COLUMN v_rep_attainment.month IS 'Month 1..12 (months only).';
COMMENT ON COLUMN v_rep_attainment.start_on IS 'First day of the period.';
COMMENT ON COLUMN v_rep_attainment.end_on IS 'Last day of the period (inclusive).';
COMMENT ON COLUMN v_rep_attainment.member_id IS 'Member (rep).';
COMMENT ON COLUMN v_rep_attainment.full_name IS 'Member''s name.';
COMMENT ON COLUMN v_rep_attainment.team_id IS 'Member''s current team.';
COMMENT ON COLUMN v_rep_attainment.level IS 'Member''s current career level.';
COMMENT ON COLUMN v_rep_attainment.quota IS 'Quota of the member for the period; NULL when none is set.';
COMMENT ON COLUMN v_rep_attainment.credited_sales IS 'Sales credited to the member within the period (0 when none).';
COMMENT ON COLUMN v_rep_attainment.sales_lines IS 'Sales lines credited within the period.';
COMMENT ON COLUMN v_rep_attainment.attainment IS 'kpi_attainment(credited_sales, quota): 1.0 = quota met; NULL without a quota or with a zero quota.';

CREATE VIEW v_team_attainment AS
WITH RECURSIVE subtree(team_id, sub_team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT st.team_id, c.team_id, st.depth + 1
  FROM subtree st JOIN team c ON c.parent_id = st.sub_team_id
  WHERE st.depth < 1000),
rep_period AS (
  SELECT fp.period_id, d.member_id, sum(d.credited_amount) AS credited, sum(d.sales_lines) AS lines
  FROM fiscal_period fp
  JOIN v_credited_sales_daily d ON d.sold_on BETWEEN fp.start_on AND fp.end_on
  GROUP BY fp.period_id, d.member_id),
team_period AS (
  SELECT st.team_id, rp.period_id, sum(rp.credited) AS credited, sum(rp.lines) AS lines
  FROM rep_period rp
  JOIN member m ON m.member_id = rp.member_id
  JOIN subtree st ON st.sub_team_id = m.team_id
  GROUP BY st.team_id, rp.period_id),
team_rep_quota AS (
  SELECT st.team_id, q.period_id, sum(q.amount) AS rep_quotas
  FROM quota q
  JOIN member m ON m.member_id = q.member_id
  JOIN subtree st ON st.sub_team_id = m.team_id
  GROUP BY st.team_id, q.period_id)
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month, fp.start_on, fp.end_on,
       t.team_id, t.name AS team_name, t.parent_id,
       tq.amount AS team_quota, trq.rep_quotas,
       coalesce(tp.credited, 0) AS credited_sales, coalesce(tp.lines, 0) AS sales_lines,
       kpi_attainment(coalesce(tp.credited, 0), tq.amount) AS attainment,
       kpi_attainment(coalesce(tp.credited, 0), trq.rep_quotas) AS attainment_vs_rep_quotas
FROM fiscal_period fp
CROSS JOIN team t
LEFT JOIN quota tq ON tq.team_id = t.team_id AND tq.period_id = fp.period_id
LEFT JOIN team_rep_quota trq ON trq.team_id = t.team_id AND trq.period_id = fp.period_id
LEFT JOIN team_period tp ON tp.team_id = t.team_id AND tp.period_id = fp.period_id;
COMMENT ON VIEW v_team_attainment IS
'Attainment of each team per fiscal period, rolled up the team tree: sales credited to every member whose current team lies in the team''s subtree, against the team''s own quota and against the sum of its members'' quotas. One row per team and period.';
COMMENT ON COLUMN v_team_attainment.period_id IS 'Fiscal period.';
COMMENT ON COLUMN v_team_attainment.period_kind IS 'year, quarter or month.';
COMMENT ON COLUMN v_team_attainment.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_team_attainment.quarter IS 'Quarter 1..4 (NULL for a year).';
COMMENT ON COLUMN v_team_attainment.month IS 'Month 1..12 (months only).';
COMMENT ON COLUMN v_team_attainment.start_on IS 'First day of the period.';
COMMENT ON COLUMN v_team_attainment.end_on IS 'Last day of the period (inclusive).';
COMMENT ON COLUMN v_team_attainment.team_id IS 'Team (its whole subtree is counted).';
COMMENT ON COLUMN v_team_attainment.team_name IS 'Team name.';
COMMENT ON COLUMN v_team_attainment.parent_id IS 'Parent team (NULL for a department).';
COMMENT ON COLUMN v_team_attainment.team_quota IS 'Quota set for the team itself for the period; NULL when none.';
COMMENT ON COLUMN v_team_attainment.rep_quotas IS 'Sum of the quotas of the members in the subtree for the period; NULL when none.';
COMMENT ON COLUMN v_team_attainment.credited_sales IS 'Sales credited to the members in the subtree within the period.';
COMMENT ON COLUMN v_team_attainment.sales_lines IS 'Sales lines credited to them within the period.';
COMMENT ON COLUMN v_team_attainment.attainment IS 'kpi_attainment(credited_sales, team_quota); NULL without a team quota.';
COMMENT ON COLUMN v_team_attainment.attainment_vs_rep_quotas IS 'kpi_attainment(credited_sales, rep_quotas): against the members'' quotas added up.';

-- ---------------------------------------------------------------------------
-- Pipeline and forecast accuracy
-- ---------------------------------------------------------------------------

CREATE VIEW v_pipeline AS
SELECT o.member_id, m.full_name, m.team_id, o.stage,
       date_trunc('month', o.expected_close)::date AS expected_close_month,
       count(*) AS opportunities, sum(o.amount) AS amount,
       sum(o.amount * o.probability / 100) AS weighted_amount
FROM opportunity o
JOIN member m ON m.member_id = o.member_id
GROUP BY o.member_id, m.full_name, m.team_id, o.stage, date_trunc('month', o.expected_close);
COMMENT ON VIEW v_pipeline IS
'Sales pipeline per rep, stage and month of expected close: number of opportunities, their amount and the amount weighted by probability. won and lost are the closed stages.';
COMMENT ON COLUMN v_pipeline.member_id IS 'Rep who owns the opportunities.';
COMMENT ON COLUMN v_pipeline.full_name IS 'Rep''s name.';
COMMENT ON COLUMN v_pipeline.team_id IS 'Rep''s current team.';
COMMENT ON COLUMN v_pipeline.stage IS 'Pipeline stage.';
COMMENT ON COLUMN v_pipeline.expected_close_month IS 'First day of the month the opportunities are expected to close.';
COMMENT ON COLUMN v_pipeline.opportunities IS 'Number of opportunities.';
COMMENT ON COLUMN v_pipeline.amount IS 'Sum of their amounts.';
COMMENT ON COLUMN v_pipeline.weighted_amount IS 'Sum of amount x probability / 100 (the expected value of the pipeline).';

CREATE VIEW v_forecast_accuracy AS
WITH latest AS (
  SELECT DISTINCT ON (f.member_id, f.period_id) f.member_id, f.period_id, f.amount
  FROM forecast f
  ORDER BY f.member_id, f.period_id, f.submitted_at DESC),
fa AS (
  SELECT l.period_id, m.team_id, l.member_id, l.amount AS forecast,
         (SELECT coalesce(sum(d.credited_amount), 0) FROM v_credited_sales_daily d
          WHERE d.member_id = l.member_id AND d.sold_on BETWEEN fp.start_on AND fp.end_on) AS actual
  FROM latest l
  JOIN fiscal_period fp ON fp.period_id = l.period_id
  JOIN member m ON m.member_id = l.member_id)
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month,
       fa.team_id, t.name AS team_name,
       count(*) AS forecasts, sum(fa.forecast) AS forecast_total, sum(fa.actual) AS actual_total,
       wape(fa.actual::float8, fa.forecast::float8) AS wape,
       forecast_bias(fa.actual::float8, fa.forecast::float8) AS forecast_bias,
       mape(fa.actual::float8, fa.forecast::float8) AS mape
FROM fa
JOIN fiscal_period fp ON fp.period_id = fa.period_id
JOIN team t ON t.team_id = fa.team_id
GROUP BY fp.period_id, fp.kind, fp.fiscal_year, fp.quarter, fp.month, fa.team_id, t.name;
COMMENT ON VIEW v_forecast_accuracy IS
'Forecast accuracy per fiscal period and team (the forecasting reps'' current team): each rep''s latest forecast for the period against the sales then credited to them, with the wape, forecast_bias and mape aggregates. Actuals come from the materialized v_credited_sales_daily.';
COMMENT ON COLUMN v_forecast_accuracy.period_id IS 'Fiscal period forecast.';
COMMENT ON COLUMN v_forecast_accuracy.period_kind IS 'year, quarter or month.';
COMMENT ON COLUMN v_forecast_accuracy.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_forecast_accuracy.quarter IS 'Quarter 1..4 (NULL for a year).';
COMMENT ON COLUMN v_forecast_accuracy.month IS 'Month 1..12 (months only).';
COMMENT ON COLUMN v_forecast_accuracy.team_id IS 'Team of the forecasting reps.';
COMMENT ON COLUMN v_forecast_accuracy.team_name IS 'Team name.';
COMMENT ON COLUMN v_forecast_accuracy.forecasts IS 'Number of reps with a forecast for the period.';
COMMENT ON COLUMN v_forecast_accuracy.forecast_total IS 'Sum of their latest forecasts.';
COMMENT ON COLUMN v_forecast_accuracy.actual_total IS 'Sum of the sales credited to them within the period.';
COMMENT ON COLUMN v_forecast_accuracy.wape IS 'wape(actual, forecast) = sum |forecast - actual| / sum |actual|; NULL when no sales.';
COMMENT ON COLUMN v_forecast_accuracy.forecast_bias IS 'forecast_bias(actual, forecast) = sum (forecast - actual) / sum |actual|: positive when the team over-forecasts.';
COMMENT ON COLUMN v_forecast_accuracy.mape IS 'mape(actual, forecast): mean of |forecast - actual| / |actual| over reps with sales.';

-- ---------------------------------------------------------------------------
-- Customers
-- ---------------------------------------------------------------------------

CREATE VIEW v_customer_health AS
SELECT c.customer_id, c.name AS customer_name, c.tier, c.industry, c.region, c.team_id, c.owner_id,
       m.full_name AS owner_name, c.active,
       lv.last_visit_on,
       coalesce(lv.last_visit_on, c.since) + vc.every_days AS next_visit_due_on,
       c.active AND coalesce(lv.last_visit_on, c.since) + vc.every_days < CURRENT_DATE AS visit_overdue,
       CASE WHEN c.active AND coalesce(lv.last_visit_on, c.since) + vc.every_days < CURRENT_DATE
            THEN CURRENT_DATE - (coalesce(lv.last_visit_on, c.since) + vc.every_days) END AS days_overdue,
       vf.flagged_on AS overdue_flagged_on,
       sv.responses AS survey_responses, sv.csat_pct, sv.nps, sv.last_response_at,
       coalesce(fb.open_feedback, 0) AS open_feedback, coalesce(fb.open_complaints, 0) AS open_complaints,
       coalesce(fo.overdue_feedback, 0) AS overdue_feedback
FROM customer c
JOIN visit_cadence vc ON vc.tier = c.tier
JOIN member m ON m.member_id = c.owner_id
LEFT JOIN LATERAL (SELECT max(cv.done_at)::date AS last_visit_on FROM customer_visit cv
                   WHERE cv.customer_id = c.customer_id AND cv.done_at IS NOT NULL) lv ON true
LEFT JOIN visit_overdue_flag vf ON vf.customer_id = c.customer_id
LEFT JOIN LATERAL (SELECT count(*) AS responses, csat(r.csat) AS csat_pct, nps(r.nps) AS nps,
                          max(r.answered_at) AS last_response_at
                   FROM survey_response r WHERE r.customer_id = c.customer_id) sv ON true
LEFT JOIN LATERAL (SELECT count(*) AS open_feedback, count(*) FILTER (WHERE f.kind = 'complaint') AS open_complaints
                   FROM feedback f WHERE f.customer_id = c.customer_id AND f.resolved_at IS NULL) fb ON true
LEFT JOIN LATERAL (SELECT count(*) AS overdue_feedback FROM feedback_overdue_flag o
                   WHERE o.customer_id = c.customer_id) fo ON true;
COMMENT ON VIEW v_customer_health IS
'Health of each customer: tier, owner, last done visit and the next one due (overdue by the tier''s cadence, the rule of overdue_visit, evaluated today), when the overdue_visits job flagged it, survey results with the csat and nps aggregates over all responses, unresolved feedback and the items the overdue_feedback job flagged.';
COMMENT ON COLUMN v_customer_health.customer_id IS 'Customer.';
COMMENT ON COLUMN v_customer_health.customer_name IS 'Customer name.';
COMMENT ON COLUMN v_customer_health.tier IS 'Tier (decides the visit cadence).';
COMMENT ON COLUMN v_customer_health.industry IS 'Industry.';
COMMENT ON COLUMN v_customer_health.region IS 'Sales region.';
COMMENT ON COLUMN v_customer_health.team_id IS 'Owning team.';
COMMENT ON COLUMN v_customer_health.owner_id IS 'Owning rep.';
COMMENT ON COLUMN v_customer_health.owner_name IS 'Owning rep''s name.';
COMMENT ON COLUMN v_customer_health.active IS 'False for former customers.';
COMMENT ON COLUMN v_customer_health.last_visit_on IS 'Date of the last done visit (NULL if never visited).';
COMMENT ON COLUMN v_customer_health.next_visit_due_on IS 'Last done visit (or customer-since date) plus the tier''s cadence.';
COMMENT ON COLUMN v_customer_health.visit_overdue IS 'True when an active customer''s next visit was due before today.';
COMMENT ON COLUMN v_customer_health.days_overdue IS 'Days since the visit was due, when overdue; NULL otherwise.';
COMMENT ON COLUMN v_customer_health.overdue_flagged_on IS 'Date the overdue_visits job first flagged the customer (NULL when not flagged at its last run).';
COMMENT ON COLUMN v_customer_health.survey_responses IS 'Number of survey responses.';
COMMENT ON COLUMN v_customer_health.csat_pct IS 'csat(): percentage of satisfied answers (4 or 5 of 5); NULL without CSAT answers.';
COMMENT ON COLUMN v_customer_health.nps IS 'nps(): net promoter score -100..100; NULL without NPS answers.';
COMMENT ON COLUMN v_customer_health.last_response_at IS 'When the latest survey response came in.';
COMMENT ON COLUMN v_customer_health.open_feedback IS 'Unresolved feedback items (open or in progress).';
COMMENT ON COLUMN v_customer_health.open_complaints IS 'Of those, complaints.';
COMMENT ON COLUMN v_customer_health.overdue_feedback IS 'Feedback items past their response deadline at the last run of the overdue_feedback job.';

-- ---------------------------------------------------------------------------
-- Team scorecard
-- ---------------------------------------------------------------------------

CREATE VIEW v_team_scorecard AS
WITH RECURSIVE subtree(team_id, sub_team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT st.team_id, c.team_id, st.depth + 1
  FROM subtree st JOIN team c ON c.parent_id = st.sub_team_id
  WHERE st.depth < 1000),
yr AS (SELECT fp.period_id, fp.fiscal_year, fp.start_on, fp.end_on FROM fiscal_period fp WHERE fp.kind = 'year')
SELECT t.team_id, t.name AS team_name, t.parent_id, yr.fiscal_year,
       (SELECT count(*) FROM member m JOIN subtree st ON st.sub_team_id = m.team_id
        WHERE st.team_id = t.team_id AND m.active) AS active_members,
       (SELECT count(*) FROM customer c JOIN subtree st ON st.sub_team_id = c.team_id
        WHERE st.team_id = t.team_id AND c.active) AS active_customers,
       ta.credited_sales, ta.team_quota, ta.attainment,
       (SELECT wape(x.actual::float8, x.forecast::float8)
        FROM (SELECT l.amount AS forecast,
                     (SELECT coalesce(sum(d.credited_amount), 0) FROM v_credited_sales_daily d
                      WHERE d.member_id = l.member_id AND d.sold_on BETWEEN q.start_on AND q.end_on) AS actual
              FROM fiscal_period q
              JOIN LATERAL (SELECT DISTINCT ON (f.member_id) f.member_id, f.amount FROM forecast f
                            WHERE f.period_id = q.period_id
                            ORDER BY f.member_id, f.submitted_at DESC) l ON true
              JOIN member m ON m.member_id = l.member_id
              JOIN subtree st ON st.sub_team_id = m.team_id AND st.team_id = t.team_id
              WHERE q.kind = 'quarter' AND q.fiscal_year = yr.fiscal_year) x) AS forecast_wape,
       sv.responses AS survey_responses, sv.csat_pct, sv.nps,
       (SELECT count(*) FROM feedback f JOIN customer c ON c.customer_id = f.customer_id
        JOIN subtree st ON st.sub_team_id = c.team_id
        WHERE st.team_id = t.team_id AND f.kind = 'complaint'
          AND f.opened_at >= yr.start_on AND f.opened_at < yr.end_on + 1) AS complaints,
       (SELECT count(*) FROM visit_overdue_flag vf JOIN subtree st ON st.sub_team_id = vf.team_id
        WHERE st.team_id = t.team_id) AS overdue_customers_now,
       (SELECT round(100.0 * count(*) FILTER (WHERE w.submitted_at IS NOT NULL AND w.submitted_at::date <= w.due_on)
                     / nullif(count(*), 0), 2)
        FROM work_report w JOIN member m ON m.member_id = w.member_id
        JOIN subtree st ON st.sub_team_id = m.team_id
        WHERE st.team_id = t.team_id AND w.due_on BETWEEN yr.start_on AND yr.end_on) AS reports_on_time_pct
FROM team t
CROSS JOIN yr
LEFT JOIN v_team_attainment ta ON ta.team_id = t.team_id AND ta.period_id = yr.period_id
LEFT JOIN LATERAL (SELECT count(*) AS responses, csat(r.csat) AS csat_pct, nps(r.nps) AS nps
                   FROM survey_response r JOIN customer c ON c.customer_id = r.customer_id
                   JOIN subtree st ON st.sub_team_id = c.team_id
                   WHERE st.team_id = t.team_id
                     AND r.answered_at >= yr.start_on AND r.answered_at < yr.end_on + 1) sv ON true;
COMMENT ON VIEW v_team_scorecard IS
'One row per team and fiscal year, rolled up the team tree (the team and every team below it): head counts, credited sales against the team''s yearly quota, forecast error (wape of the reps'' latest quarterly forecasts), customer satisfaction (csat, nps of the year''s survey responses), complaints received in the year, customers flagged overdue for a visit at the last overdue_visits run, and the share of work reports submitted on time.';
COMMENT ON COLUMN v_team_scorecard.team_id IS 'Team (its whole subtree is counted).';
COMMENT ON COLUMN v_team_scorecard.team_name IS 'Team name.';
COMMENT ON COLUMN v_team_scorecard.parent_id IS 'Parent team (NULL for a department).';
COMMENT ON COLUMN v_team_scorecard.fiscal_year IS 'Fiscal year (a fiscal_period of kind year).';
COMMENT ON COLUMN v_team_scorecard.active_members IS 'Active members in the subtree today.';
COMMENT ON COLUMN v_team_scorecard.active_customers IS 'Active customers owned by teams of the subtree today.';
COMMENT ON COLUMN v_team_scorecard.credited_sales IS 'Sales credited in the year to the members of the subtree.';
COMMENT ON COLUMN v_team_scorecard.team_quota IS 'The team''s quota for the year; NULL when none.';
COMMENT ON COLUMN v_team_scorecard.attainment IS 'kpi_attainment(credited_sales, team_quota).';
COMMENT ON COLUMN v_team_scorecard.forecast_wape IS 'wape of the subtree reps'' latest forecasts for the year''s quarters against their credited sales; NULL without forecasts or sales.';
COMMENT ON COLUMN v_team_scorecard.survey_responses IS 'Survey responses received in the year from the subtree''s customers.';
COMMENT ON COLUMN v_team_scorecard.csat_pct IS 'csat() of those responses.';
COMMENT ON COLUMN v_team_scorecard.nps IS 'nps() of those responses.';
COMMENT ON COLUMN v_team_scorecard.complaints IS 'Complaints opened in the year by the subtree''s customers.';
COMMENT ON COLUMN v_team_scorecard.overdue_customers_now IS 'Customers of the subtree flagged overdue for a visit at the last overdue_visits run (a current figure, not the year''s).';
COMMENT ON COLUMN v_team_scorecard.reports_on_time_pct IS 'Percentage of the work reports due in the year that were submitted by their due date; NULL when none were due.';

-- ---------------------------------------------------------------------------
-- Appraisal, promotion, pay
-- ---------------------------------------------------------------------------

CREATE VIEW v_grade_distribution AS
SELECT gp.cycle_id, c.fiscal_year, c.state AS cycle_state, gp.grade, gp.ordinal,
       gp.distribution_pct AS target_pct, n.graded,
       CASE WHEN sh.forced THEN (allocate_quota(n.graded::numeric, sh.shares))[sh.pos]::bigint END AS target_count,
       coalesce(a.actual, 0) AS actual_count,
       round(100.0 * coalesce(a.actual, 0) / nullif(n.graded, 0), 2) AS actual_pct,
       CASE WHEN sh.forced THEN coalesce(a.actual, 0) - (allocate_quota(n.graded::numeric, sh.shares))[sh.pos]::bigint END
         AS deviation
FROM grade_policy gp
JOIN appraisal_cycle c ON c.cycle_id = gp.cycle_id
CROSS JOIN LATERAL (SELECT count(*) AS graded FROM appraisal_result r
                    WHERE r.cycle_id = gp.cycle_id AND r.grade IS NOT NULL) n
CROSS JOIN LATERAL (SELECT array_agg(g.distribution_pct ORDER BY g.ordinal) AS shares,
                           bool_and(g.distribution_pct IS NOT NULL) AND sum(g.distribution_pct) > 0 AS forced,
                           count(*) FILTER (WHERE g.ordinal < gp.ordinal) + 1 AS pos
                    FROM grade_policy g WHERE g.cycle_id = gp.cycle_id) sh
LEFT JOIN LATERAL (SELECT count(*) AS actual FROM appraisal_result r
                   WHERE r.cycle_id = gp.cycle_id AND r.grade = gp.grade) a ON true;
COMMENT ON VIEW v_grade_distribution IS
'Appraisal grades given per cycle against the forced distribution of the cycle''s grade_policy: the target count of each grade is allocate_quota(people graded, distribution shares) - the same largest-remainder rule grade_by_distribution applies - and the deviation is actual minus target.';
COMMENT ON COLUMN v_grade_distribution.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN v_grade_distribution.fiscal_year IS 'Fiscal year appraised.';
COMMENT ON COLUMN v_grade_distribution.cycle_state IS 'State of the cycle (open, reviewing, calibrating, closed).';
COMMENT ON COLUMN v_grade_distribution.grade IS 'Grade.';
COMMENT ON COLUMN v_grade_distribution.ordinal IS 'Position of the grade, 1 = best.';
COMMENT ON COLUMN v_grade_distribution.target_pct IS 'Target share of the grade in percent (grade_policy.distribution_pct); NULL when grades are not forced.';
COMMENT ON COLUMN v_grade_distribution.graded IS 'People with a grade in the cycle.';
COMMENT ON COLUMN v_grade_distribution.target_count IS 'Target number of people with the grade: allocate_quota(graded, shares)[grade]; NULL unless every grade of the cycle has a share and the shares are not all zero.';
COMMENT ON COLUMN v_grade_distribution.actual_count IS 'People given the grade.';
COMMENT ON COLUMN v_grade_distribution.actual_pct IS 'actual_count as a percentage of graded (2 decimals).';
COMMENT ON COLUMN v_grade_distribution.deviation IS 'actual_count - target_count (positive: more than the distribution allows).';

CREATE VIEW v_promotion_pipeline AS
SELECT c.cycle_id, c.fiscal_year, c.state AS cycle_state, pr.rule_id, pr.from_level, pr.to_level, pr.active AS rule_active,
       (SELECT count(*) FROM member m WHERE m.active AND m.level = pr.from_level) AS members_at_level,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id) AS candidates,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'proposed') AS proposed,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'approved') AS approved,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'rejected') AS rejected,
       (SELECT count(*) FROM promotion p WHERE p.cycle_id = c.cycle_id AND p.from_level = pr.from_level
          AND p.to_level = pr.to_level) AS promoted
FROM appraisal_cycle c
CROSS JOIN promotion_rule pr;
COMMENT ON VIEW v_promotion_pipeline IS
'Promotion pipeline per appraisal cycle and promotion rule (ladder step): members at the starting level today, candidates listed by the cycle and their decisions, and promotions recorded for the cycle on that step. Counts only, no names.';
COMMENT ON COLUMN v_promotion_pipeline.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN v_promotion_pipeline.fiscal_year IS 'Fiscal year appraised.';
COMMENT ON COLUMN v_promotion_pipeline.cycle_state IS 'State of the cycle.';
COMMENT ON COLUMN v_promotion_pipeline.rule_id IS 'Promotion rule.';
COMMENT ON COLUMN v_promotion_pipeline.from_level IS 'Level promoted from.';
COMMENT ON COLUMN v_promotion_pipeline.to_level IS 'Level promoted to.';
COMMENT ON COLUMN v_promotion_pipeline.rule_active IS 'Whether the rule is applied.';
COMMENT ON COLUMN v_promotion_pipeline.members_at_level IS 'Active members at from_level today.';
COMMENT ON COLUMN v_promotion_pipeline.candidates IS 'Candidates the cycle listed under the rule.';
COMMENT ON COLUMN v_promotion_pipeline.proposed IS 'Of those, not decided yet.';
COMMENT ON COLUMN v_promotion_pipeline.approved IS 'Of those, approved.';
COMMENT ON COLUMN v_promotion_pipeline.rejected IS 'Of those, rejected.';
COMMENT ON COLUMN v_promotion_pipeline.promoted IS 'Promotions recorded with this cycle from from_level to to_level.';

CREATE VIEW v_pay_summary AS
SELECT p.fiscal_year, m.team_id, t.name AS team_name, m.level, p.currency,
       count(*) AS headcount,
       CASE WHEN count(*) >= 3 THEN sum(p.base_salary) END AS base_salary_total,
       CASE WHEN count(*) >= 3 THEN round(avg(p.base_salary), 2) END AS base_salary_avg,
       CASE WHEN count(*) >= 3 THEN sum(p.commission) END AS commission_total,
       CASE WHEN count(*) >= 3 THEN sum(p.year_end_bonus) END AS year_end_bonus_total,
       CASE WHEN count(*) >= 3 THEN sum(p.base_salary + p.commission + p.year_end_bonus) END AS total_pay,
       CASE WHEN count(*) >= 3 THEN round(avg(p.base_salary + p.commission + p.year_end_bonus), 2) END AS total_pay_avg
FROM pay p
JOIN member m ON m.member_id = p.member_id
JOIN team t ON t.team_id = m.team_id
GROUP BY p.fiscal_year, m.team_id, t.name, m.level, p.currency;
COMMENT ON VIEW v_pay_summary IS
'Pay per fiscal year, team (the member''s current team, not its subtree), current career level and currency: head count and the totals and averages of base salary, commission and year-end bonus. Pay is personal: the amounts are NULL for groups of fewer than 3 people, so no one''s pay can be read off.';
COMMENT ON COLUMN v_pay_summary.fiscal_year IS 'Fiscal year paid.';
COMMENT ON COLUMN v_pay_summary.team_id IS 'Members'' current team.';
COMMENT ON COLUMN v_pay_summary.team_name IS 'Team name.';
COMMENT ON COLUMN v_pay_summary.level IS 'Members'' current career level.';
COMMENT ON COLUMN v_pay_summary.currency IS 'Currency of the amounts.';
COMMENT ON COLUMN v_pay_summary.headcount IS 'People in the group.';
COMMENT ON COLUMN v_pay_summary.base_salary_total IS 'Sum of base salaries (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.base_salary_avg IS 'Average base salary (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.commission_total IS 'Sum of commissions (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.year_end_bonus_total IS 'Sum of year-end bonuses (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.total_pay IS 'Sum of base + commission + bonus (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.total_pay_avg IS 'Average of base + commission + bonus (NULL below 3 people).';

-- ---------------------------------------------------------------------------
-- The calendar itself, for a monitoring dashboard
-- ---------------------------------------------------------------------------

CREATE VIEW v_job_status AS
SELECT j.job_name, j.schedule, j.enabled,
       l.started_at AS last_started_at, l.finished_at AS last_finished_at, l.status AS last_status,
       l.rows_affected AS last_rows_affected,
       (SELECT count(*) FROM job_log x WHERE x.job_name = j.job_name AND x.started_at > now() - interval '30 days')
         AS runs_30d,
       (SELECT count(*) FROM job_log x WHERE x.job_name = j.job_name AND x.started_at > now() - interval '30 days'
          AND x.status = 'failure') AS failures_30d
FROM job_setting j
LEFT JOIN LATERAL (SELECT * FROM job_log x WHERE x.job_name = j.job_name
                   ORDER BY x.started_at DESC, x.log_id DESC LIMIT 1) l ON true;
COMMENT ON VIEW v_job_status IS
'The scheduled jobs and how their last run went (from job_log), with run and failure counts of the last 30 days. Error texts are left out (they may quote data); they are in job_log for the administrator.';
COMMENT ON COLUMN v_job_status.job_name IS 'Job.';
COMMENT ON COLUMN v_job_status.schedule IS 'pg_cron schedule.';
COMMENT ON COLUMN v_job_status.enabled IS 'Whether schedule_jobs() schedules it.';
COMMENT ON COLUMN v_job_status.last_started_at IS 'Start of the last run; NULL if it never ran (or its log was pruned).';
COMMENT ON COLUMN v_job_status.last_finished_at IS 'End of the last run.';
COMMENT ON COLUMN v_job_status.last_status IS 'success, failure or skipped.';
COMMENT ON COLUMN v_job_status.last_rows_affected IS 'Rows affected by the last run.';
COMMENT ON COLUMN v_job_status.runs_30d IS 'Runs started in the last 30 days.';
COMMENT ON COLUMN v_job_status.failures_30d IS 'Of those, failures.';

GRANT SELECT ON v_credited_sales_daily, v_rep_sales_month, v_rep_attainment, v_team_attainment, v_pipeline,
  v_forecast_accuracy, v_customer_health, v_team_scorecard, v_grade_distribution, v_promotion_pipeline,
  v_pay_summary, v_job_status
  TO sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Job: refresh the materialized views
-- ---------------------------------------------------------------------------

CREATE PROCEDURE refresh_reports()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_views text[] := ARRAY['v_credited_sales_daily'];
  v_view text;
  v_i integer := 0;
  v_rows bigint;
  v_t0 timestamptz;
  v_populated boolean;
BEGIN
  FOREACH v_view IN ARRAY v_views LOOP
    v_i := v_i + 1;
    v_t0 := clock_timestamp();
    SELECT c.relispopulated INTO v_populated FROM pg_class c
    WHERE c.oid = format('sales_supervisor.%I', v_view)::regclass;
    PERFORM job_progress(format('refresh: %s/%s %s %s', v_i, cardinality(v_views), v_view,
                                CASE WHEN v_populated THEN 'concurrently' ELSE '(first population)' END));
    IF v_populated THEN
      EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY sales_supervisor.%I', v_view);
    ELSE
      EXECUTE format('REFRESH MATERIALIZED VIEW sales_supervisor.%I', v_view);
    END IF;
    EXECUTE format('SELECT count(*) FROM sales_supervisor.%I', v_view) INTO v_rows;
    PERFORM job_progress(format('refresh: %s/%s %s done, %s rows in %s s', v_i, cardinality(v_views), v_view, v_rows,
                                round(extract(epoch FROM clock_timestamp() - v_t0)::numeric, 3)),
                         v_rows);
  END LOOP;
END
$$;
COMMENT ON PROCEDURE refresh_reports() IS
'Job refresh_reports: REFRESH MATERIALIZED VIEW CONCURRENTLY of every materialized reporting view (a plain refresh the first time, when the view is not populated), with a progress line before and after each; rows affected = rows in the refreshed views. Run it as the extension owner (the owner of the views).';
REVOKE ALL ON PROCEDURE refresh_reports() FROM PUBLIC;

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

-- cents_sum: sum() of money amounts kept as whole hundredths (src/cents_sum_agg.c):
-- the ledgers' grouped sums (per invoice, per statement) without a
-- NumericAggState per group.
CREATE FUNCTION cents_sum_agg_trans(internal, numeric) RETURNS internal
AS 'MODULE_PATHNAME', 'cents_sum_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION cents_sum_agg_trans(internal, numeric) IS
'Transition function of cents_sum(): adds a non-NULL amount (whole hundredths while every amount has at most two decimals, sum()''s numeric arithmetic from the first one that does not or from a sum beyond +-2^62 hundredths).';

CREATE FUNCTION cents_sum_agg_final(internal) RETURNS numeric
AS 'MODULE_PATHNAME', 'cents_sum_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION cents_sum_agg_final(internal) IS
'Final function of cents_sum(): the sum with the largest display scale of the amounts added, as sum(numeric) gives it; NULL without a non-NULL amount.';

CREATE AGGREGATE cents_sum(amount numeric) (
    SFUNC = cents_sum_agg_trans,
    STYPE = internal,
    SSPACE = 32,
    FINALFUNC = cents_sum_agg_final,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cents_sum(numeric) IS
'sum(amount) of money amounts, kept as a whole number of hundredths per group: the same value and display scale as sum(numeric) (NULL amounts skipped, NULL without one), several times cheaper per group and per row for amounts with at most two decimals; an amount with more decimals, NaN, an infinity or a sum beyond +-2^62 hundredths continues in sum()''s numeric arithmetic. For the ledgers'' grouped sums (per invoice, per statement). Parallel safe; no combine function (a parallel plan aggregates in one process).';

-- entry_kind_sums: a commission account's entries summed per kind in one
-- pass (src/entry_kind_sums.c) -- the accounts' check compares each figure
-- of a statement with them, without ten filtered sums per statement.
CREATE FUNCTION entry_kind_sums_trans(internal, text, numeric) RETURNS internal
AS 'MODULE_PATHNAME', 'entry_kind_sums_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION entry_kind_sums_trans(internal, text, numeric) IS
'Transition function of entry_kind_sums(): adds a non-NULL amount to the sum of its kind (cents_sum''s arithmetic); a row with a NULL kind or amount is skipped; a kind that is not one of commission_entry''s is error 22023.';

CREATE FUNCTION entry_kind_sums_final(internal) RETURNS numeric[]
AS 'MODULE_PATHNAME', 'entry_kind_sums_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION entry_kind_sums_final(internal) IS
'Final function of entry_kind_sums(): the ten sums in commission_entry''s kind order, numeric 0 for a kind without an amount; NULL without a row.';

CREATE AGGREGATE entry_kind_sums(kind text, amount numeric) (
    SFUNC = entry_kind_sums_trans,
    STYPE = internal,
    SSPACE = 320,
    FINALFUNC = entry_kind_sums_final,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE entry_kind_sums(text, numeric) IS
'The sums of commission account entries per kind, in one pass: numeric[10] in the order earned, held, released, clawed_back, spiff, adjustment, draw_paid, guarantee_paid, draw_recovered, paid; each element the cents_sum(amount) of that kind (sum()''s value and display scale), numeric 0 for a kind without an amount, as coalesce(cents_sum(amount) FILTER (WHERE kind = ...), 0); rows with a NULL kind or amount skipped; NULL without a row; another kind is error 22023. For the accounts'' check (one state per statement instead of ten filtered sums). Parallel safe; no combine function.';

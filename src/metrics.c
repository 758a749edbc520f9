/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Aggregates for customer and forecast metrics and KPI scoring:
 *	  nps(int), csat(int), wape(float8, float8), forecast_bias(float8, float8),
 *	  mape(float8, float8) and weighted_score(float8, float8).
 *
 * The shape follows tdigest and hll: STYPE internal, the state allocated in
 * the aggregate memory context on the first non-NULL row, NULL rows skipped
 * by a non-strict transition function, and combine / serialize /
 * deserialize functions so the aggregates run in parallel query.  The
 * arithmetic and the byte layouts live in src/core/metrics.c (no postgres.h).
 *
 * nps and csat share one state, exact counts of the scores in three bands
 * (low, middle, high), so each row costs one range check and one increment,
 * the answer is exact, and a state is 24 bytes.
 * The float aggregates share one state: a row count and two compensated
 * (Neumaier) sums, so serial and parallel plans, and different row orders,
 * agree to within about 1e-12 relative on realistic data.  They are not
 * bit-for-bit order independent: under heavy cancellation the last digits
 * of a result can depend on the order the rows arrive in.
 *
 * Non-finite inputs (NaN, ±Infinity) are errors (22023): a forecast error
 * or a weighted mean over them is not a number anyone can defend.  Finite
 * inputs whose difference, ratio or product overflows float8 are 22003.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/numeric.h"

#include "core_report.h"
#include "metrics.h"
#include "metrics_glue.h"

PG_FUNCTION_INFO_V1(nps_trans);
PG_FUNCTION_INFO_V1(csat_trans);
PG_FUNCTION_INFO_V1(score_hist_combine);
PG_FUNCTION_INFO_V1(score_hist_serialize);
PG_FUNCTION_INFO_V1(score_hist_deserialize);
PG_FUNCTION_INFO_V1(nps_final);
PG_FUNCTION_INFO_V1(csat_final);
PG_FUNCTION_INFO_V1(wape_trans);
PG_FUNCTION_INFO_V1(forecast_bias_trans);
PG_FUNCTION_INFO_V1(mape_trans);
PG_FUNCTION_INFO_V1(weighted_score_trans);
PG_FUNCTION_INFO_V1(fsums_combine);
PG_FUNCTION_INFO_V1(fsums_serialize);
PG_FUNCTION_INFO_V1(fsums_deserialize);
PG_FUNCTION_INFO_V1(wape_final);
PG_FUNCTION_INFO_V1(forecast_bias_final);
PG_FUNCTION_INFO_V1(mape_final);
PG_FUNCTION_INFO_V1(weighted_score_final);

/* ---------------------------------------------------------------------
 * Combine, serialize and deserialize, for both fixed-size states
 * ---------------------------------------------------------------------
 */

/*
 * Combine two states of one fixed-size type (parallel query).  When the
 * first state is NULL the second is copied into the aggregate context: it
 * may live in a shorter-lived context (a deserialized state does).  A
 * merge that would pass bigint is an error (22003).
 */
static Datum
state_combine(FunctionCallInfo fcinfo, const metrics_fixed_state *type,
			  const char *fname)
{
	void	   *state;
	CoreError	err;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	if (PG_ARGISNULL(0))
	{
		state = MemoryContextAllocZero(aggregate_context(fcinfo, fname),
									   type->size);
		memcpy(state, PG_GETARG_POINTER(1), type->size);
		PG_RETURN_POINTER(state);
	}
	state = PG_GETARG_POINTER(0);
	if (type->merge(state, PG_GETARG_POINTER(1), &err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);
	PG_RETURN_POINTER(state);
}

/* A fixed-size state as the bytea a parallel worker passes on. */
static Datum
state_serialize(FunctionCallInfo fcinfo, const metrics_fixed_state *type)
{
	bytea	   *out = (bytea *) palloc(VARHDRSZ + type->bytes);

	SET_VARSIZE(out, VARHDRSZ + type->bytes);
	type->serialize(PG_GETARG_POINTER(0), (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* A fixed-size state back from its bytea, validated (22P03 if malformed). */
static Datum
state_deserialize(FunctionCallInfo fcinfo, const metrics_fixed_state *type)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	void	   *state = palloc(type->size);
	CoreError	err;

	if (type->deserialize((const unsigned char *) VARDATA_ANY(in),
						  VARSIZE_ANY_EXHDR(in), state, &err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);
	PG_RETURN_POINTER(state);
}

/*
 * The SQL-visible support functions of a fixed-size state, name_combine,
 * name_serialize and name_deserialize: one call each of the functions
 * above, with the state's type.
 */
#define FIXED_STATE_FUNCTIONS(name, type) \
	Datum name##_combine(PG_FUNCTION_ARGS) \
	{ return state_combine(fcinfo, &type, #name "_combine"); } \
	Datum name##_serialize(PG_FUNCTION_ARGS) \
	{ return state_serialize(fcinfo, &type); } \
	Datum name##_deserialize(PG_FUNCTION_ARGS) \
	{ return state_deserialize(fcinfo, &type); } \
	extern int	no_such_variable

/* ---------------------------------------------------------------------
 * nps and csat: counts of scores in three bands
 * ---------------------------------------------------------------------
 */

/*
 * A new zeroed state in the aggregate context.  Kept out of line: it runs
 * once per group, and inlining it would put a stack-protector frame on the
 * per-row path of the transition functions.
 */
static pg_noinline metrics_hist *
hist_new(FunctionCallInfo fcinfo, const char *fname)
{
	return (metrics_hist *) MemoryContextAllocZero(aggregate_context(fcinfo, fname),
												   sizeof(metrics_hist));
}

/*
 * Common body of the band transitions: a NULL score skips the row; a score
 * outside lo..hi is an error (22003) rather than a skipped row, because a
 * survey on another scale fed in by mistake must not produce a
 * plausible-looking number; otherwise the score's band is counted.
 */
static inline Datum
hist_trans(FunctionCallInfo fcinfo, const char *agg, int32 lo, int32 hi,
		   const char *detail, int (*band) (int))
{
	metrics_hist *state = PG_ARGISNULL(0) ? NULL : (metrics_hist *) PG_GETARG_POINTER(0);
	int32		score;

	if (PG_ARGISNULL(1))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	score = PG_GETARG_INT32(1);
	if (score < lo || score > hi)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s score must be between %d and %d, got %d",
						agg, lo, hi, score),
				 errdetail("%s", detail)));
	if (state == NULL)
		state = hist_new(fcinfo, agg);
	state->count[band(score)]++;
	PG_RETURN_POINTER(state);
}

/* nps transition: count one score 0..10 */
Datum
nps_trans(PG_FUNCTION_ARGS)
{
	return hist_trans(fcinfo, "nps", 0, 10,
					  "Net Promoter Score surveys use the 0 to 10 scale.",
					  metrics_nps_band);
}

/* csat transition: count one rating 1..5 */
Datum
csat_trans(PG_FUNCTION_ARGS)
{
	return hist_trans(fcinfo, "csat", 1, 5,
					  "Customer satisfaction ratings use the 1 to 5 scale.",
					  metrics_csat_band);
}

/* score_hist_combine, _serialize and _deserialize: nps's and csat's state */
FIXED_STATE_FUNCTIONS(score_hist, metrics_hist_state);

/*
 * 100 * num / den as numeric, with PostgreSQL's numeric division, so the
 * result is exactly what the same formula written in SQL returns
 * (100.0 * (count(*) FILTER ... - count(*) FILTER ...) / count(*)).
 */
static Datum
percent_numeric(int64 num, int64 den)
{
	Datum		hundred = NumericGetDatum(int64_to_numeric(100));
	Datum		scaled;

	scaled = DirectFunctionCall2(numeric_mul, hundred,
								 NumericGetDatum(int64_to_numeric(num)));
	return DirectFunctionCall2(numeric_div, scaled,
							   NumericGetDatum(int64_to_numeric(den)));
}

/* nps final: 100 * (promoters - detractors) / n; NULL when no scores */
Datum
nps_final(PG_FUNCTION_ARGS)
{
	int64_t		num,
				den;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	metrics_nps_parts((metrics_hist *) PG_GETARG_POINTER(0), &num, &den);
	if (den == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(percent_numeric(num, den));
}

/* csat final: 100 * (ratings 4 and 5) / n; NULL when no ratings */
Datum
csat_final(PG_FUNCTION_ARGS)
{
	int64_t		num,
				den;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	metrics_csat_parts((metrics_hist *) PG_GETARG_POINTER(0), &num, &den);
	if (den == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(percent_numeric(num, den));
}

/* ---------------------------------------------------------------------
 * wape, forecast_bias, mape, weighted_score: count + two compensated sums
 * ---------------------------------------------------------------------
 */

/* as hist_new: once per group, out of line */
static pg_noinline metrics_sums *
sums_new(FunctionCallInfo fcinfo, const char *fname)
{
	return (metrics_sums *) MemoryContextAllocZero(aggregate_context(fcinfo, fname),
												   sizeof(metrics_sums));
}

/* reject NaN and ±Infinity in an input (22023), naming aggregate and argument */
static inline void
check_finite_input(double d, const char *agg, const char *arg)
{
	if (unlikely(!isfinite(d)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %s must be a finite number, got %s", agg, arg, float8_text(d))));
}

/* an intermediate (difference, ratio, product) that overflowed float8 */
static void
report_overflow(const char *agg, const char *what, double x, double y)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s %s is out of range for double precision", agg, what),
			 errdetail("The row has values %s and %s.", float8_text(x), float8_text(y))));
}

/*
 * Common start of the two-argument float transitions: NULL in either
 * argument skips the row (returning the state unchanged, possibly NULL);
 * otherwise both must be finite.  Returns false when the row is skipped.
 */
static inline bool
fsums_row(FunctionCallInfo fcinfo, const char *agg, const char *arg1,
		  const char *arg2, double *x, double *y)
{
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return false;
	*x = PG_GETARG_FLOAT8(1);
	*y = PG_GETARG_FLOAT8(2);
	check_finite_input(*x, agg, arg1);
	check_finite_input(*y, agg, arg2);
	return true;
}

#define FSUMS_STATE() \
	(PG_ARGISNULL(0) ? NULL : (metrics_sums *) PG_GETARG_POINTER(0))

#define FSUMS_SKIP(state) \
	do { \
		if ((state) == NULL) \
			PG_RETURN_NULL(); \
		PG_RETURN_POINTER(state); \
	} while (0)

/* wape transition: Σ|forecast - actual| and Σ|actual| */
Datum
wape_trans(PG_FUNCTION_ARGS)
{
	metrics_sums *state = FSUMS_STATE();
	double		actual,
				forecast,
				err;

	if (!fsums_row(fcinfo, "wape", "actual", "forecast", &actual, &forecast))
		FSUMS_SKIP(state);
	err = forecast - actual;
	if (unlikely(!isfinite(err)))
		report_overflow("wape", "forecast - actual", actual, forecast);
	if (state == NULL)
		state = sums_new(fcinfo, "wape_trans");
	state->n++;
	metrics_ksum_add(&state->a, fabs(err));
	metrics_ksum_add(&state->b, fabs(actual));
	PG_RETURN_POINTER(state);
}

/* forecast_bias transition: Σ(forecast - actual) and Σ|actual| */
Datum
forecast_bias_trans(PG_FUNCTION_ARGS)
{
	metrics_sums *state = FSUMS_STATE();
	double		actual,
				forecast,
				err;

	if (!fsums_row(fcinfo, "forecast_bias", "actual", "forecast", &actual, &forecast))
		FSUMS_SKIP(state);
	err = forecast - actual;
	if (unlikely(!isfinite(err)))
		report_overflow("forecast_bias", "forecast - actual", actual, forecast);
	if (state == NULL)
		state = sums_new(fcinfo, "forecast_bias_trans");
	state->n++;
	metrics_ksum_add(&state->a, err);
	metrics_ksum_add(&state->b, fabs(actual));
	PG_RETURN_POINTER(state);
}

/*
 * mape transition: Σ|forecast - actual| / |actual| and the number of rows
 * with actual <> 0 (the rows where a percentage error exists).  Rows with
 * actual = 0 are still validated, but contribute nothing.
 */
Datum
mape_trans(PG_FUNCTION_ARGS)
{
	metrics_sums *state = FSUMS_STATE();
	double		actual,
				forecast,
				err,
				ape;

	if (!fsums_row(fcinfo, "mape", "actual", "forecast", &actual, &forecast))
		FSUMS_SKIP(state);
	err = forecast - actual;
	if (unlikely(!isfinite(err)))
		report_overflow("mape", "forecast - actual", actual, forecast);
	if (state == NULL)
		state = sums_new(fcinfo, "mape_trans");
	if (actual == 0.0)
		PG_RETURN_POINTER(state);
	ape = fabs(err) / fabs(actual);
	if (unlikely(!isfinite(ape)))
		report_overflow("mape", "|forecast - actual| / |actual|", actual, forecast);
	state->n++;
	metrics_ksum_add(&state->a, ape);
	PG_RETURN_POINTER(state);
}

/*
 * weighted_score transition: Σ score·weight and Σ weight.  A negative weight
 * is an error (22023): it would turn a weighted mean into something that
 * can leave the range of the scores.  A subnormal weight, or a product of
 * two non-zero values that underflows to a subnormal or zero, is 22003:
 * it would lose most or all of its digits, and the mean would be silently
 * wrong (two rows (0.3, 5e-324) would give 0).
 */
Datum
weighted_score_trans(PG_FUNCTION_ARGS)
{
	metrics_sums *state = FSUMS_STATE();
	double		score,
				weight,
				product;

	if (!fsums_row(fcinfo, "weighted_score", "score", "weight", &score, &weight))
		FSUMS_SKIP(state);
	if (weight < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weighted_score weight must not be negative, got %s",
						float8_text(weight))));
	if (unlikely(weight != 0.0 && weight < DBL_MIN))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weighted_score weight %s is too small (subnormal) for double precision",
						float8_text(weight)),
				 errdetail("Weights below %s lose precision in the sums.",
						   float8_text(DBL_MIN))));
	product = score * weight;
	if (unlikely(!isfinite(product)))
		report_overflow("weighted_score", "score * weight", score, weight);
	if (unlikely(fabs(product) < DBL_MIN && score != 0.0 && weight != 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weighted_score score * weight underflows double precision"),
				 errdetail("The row has values %s and %s.", float8_text(score),
						   float8_text(weight))));
	if (state == NULL)
		state = sums_new(fcinfo, "weighted_score_trans");
	state->n++;
	metrics_ksum_add(&state->a, product);
	metrics_ksum_add(&state->b, weight);
	PG_RETURN_POINTER(state);
}

/*
 * fsums_combine, _serialize and _deserialize: the float aggregates' state
 * (combining merges the compensation terms as well as the sums)
 */
FIXED_STATE_FUNCTIONS(fsums, metrics_sums_state);

/*
 * The value of a compensated sum, which must be finite: a sum of finite
 * terms that overflowed float8 is 22003, not a quiet Infinity.
 */
static double
finite_sum(const metrics_ksum *k, const char *agg, const char *what)
{
	double		v = metrics_ksum_value(k);

	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s %s is out of range for double precision", agg, what)));
	return v;
}

/* num / den, which must be finite (a huge numerator over a tiny denominator) */
static double
finite_ratio(double num, double den, const char *agg)
{
	double		r = num / den;

	if (!isfinite(r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s result is out of range for double precision", agg),
				 errdetail("The numerator is %s and the denominator %s.",
						   float8_text(num), float8_text(den))));
	return r;
}

/*
 * The final step of the ratio aggregates: Σa / Σb (num_what and den_what
 * name the sums in errors), NULL when there are no rows or Σb = 0.  The
 * denominator is checked first.
 */
static Datum
sums_ratio_final(FunctionCallInfo fcinfo, const char *agg,
				 const char *num_what, const char *den_what)
{
	metrics_sums *state;
	double		den;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (metrics_sums *) PG_GETARG_POINTER(0);
	if (state->n == 0)
		PG_RETURN_NULL();
	den = finite_sum(&state->b, agg, den_what);
	if (den == 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(finite_ratio(finite_sum(&state->a, agg, num_what), den, agg));
}

/* wape final: Σ|f - a| / Σ|a|; NULL when no rows or Σ|a| = 0 */
Datum
wape_final(PG_FUNCTION_ARGS)
{
	return sums_ratio_final(fcinfo, "wape", "sum of |forecast - actual|",
							"sum of |actual|");
}

/* forecast_bias final: Σ(f - a) / Σ|a|; NULL when no rows or Σ|a| = 0 */
Datum
forecast_bias_final(PG_FUNCTION_ARGS)
{
	return sums_ratio_final(fcinfo, "forecast_bias", "sum of forecast - actual",
							"sum of |actual|");
}

/* mape final: mean of |f - a| / |a| over rows with a <> 0; NULL if none */
Datum
mape_final(PG_FUNCTION_ARGS)
{
	metrics_sums *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (metrics_sums *) PG_GETARG_POINTER(0);
	if (state->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(finite_ratio(finite_sum(&state->a, "mape",
											 "sum of absolute percentage errors"),
								  (double) state->n, "mape"));
}

/* weighted_score final: Σ s·w / Σ w; NULL when no rows or Σ w = 0 */
Datum
weighted_score_final(PG_FUNCTION_ARGS)
{
	return sums_ratio_final(fcinfo, "weighted_score", "sum of score * weight",
							"sum of weights");
}

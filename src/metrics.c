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
 * (Neumaier) sums, so serial and parallel plans agree far within 1e-12
 * relative whatever the row order.
 *
 * Non-finite inputs (NaN, ±Infinity) are errors (22023): a forecast error
 * or a weighted mean over them is not a number anyone can defend.  Finite
 * inputs whose difference, ratio or product overflows float8 are 22003.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/numeric.h"

#include "metrics.h"

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

/*
 * The aggregate memory context, where a state must live to survive from
 * row to row.  These functions take and return "internal", so SQL cannot
 * call them directly, but a C caller could: refuse anything but an
 * aggregate call.
 */
static MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggcontext;
}

/* float8 text as PostgreSQL prints it, for error messages */
static char *
float8_text(double d)
{
	return DatumGetCString(DirectFunctionCall1(float8out, Float8GetDatum(d)));
}

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
 * nps transition: count one score 0..10.  A score outside the scale is an
 * error (22003) rather than a skipped row, because a 0-100 or 1-5 survey fed
 * to nps by mistake must not produce a plausible-looking number.
 */
Datum
nps_trans(PG_FUNCTION_ARGS)
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
	if (score < 0 || score > 10)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("nps score must be between 0 and 10, got %d", score),
				 errdetail("Net Promoter Score surveys use the 0 to 10 scale.")));
	if (state == NULL)
		state = hist_new(fcinfo, "nps_trans");
	state->count[metrics_nps_band(score)]++;
	PG_RETURN_POINTER(state);
}

/* csat transition: count one rating 1..5; outside the scale is 22003 */
Datum
csat_trans(PG_FUNCTION_ARGS)
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
	if (score < 1 || score > 5)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("csat score must be between 1 and 5, got %d", score),
				 errdetail("Customer satisfaction ratings use the 1 to 5 scale.")));
	if (state == NULL)
		state = hist_new(fcinfo, "csat_trans");
	state->count[metrics_csat_band(score)]++;
	PG_RETURN_POINTER(state);
}

/*
 * Combine two band states (parallel query).  When the first state is NULL
 * the second is copied into the aggregate context: it may live in a
 * shorter-lived context (a deserialized state does).
 */
Datum
score_hist_combine(PG_FUNCTION_ARGS)
{
	metrics_hist *state;
	metrics_hist *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	other = (metrics_hist *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		state = hist_new(fcinfo, "score_hist_combine");
		memcpy(state, other, sizeof(metrics_hist));
		PG_RETURN_POINTER(state);
	}
	state = (metrics_hist *) PG_GETARG_POINTER(0);
	if (metrics_hist_merge(state, other) != METRICS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("score count is out of range for bigint")));
	PG_RETURN_POINTER(state);
}

Datum
score_hist_serialize(PG_FUNCTION_ARGS)
{
	metrics_hist *state = (metrics_hist *) PG_GETARG_POINTER(0);
	bytea	   *out = (bytea *) palloc(VARHDRSZ + METRICS_HIST_BYTES);

	SET_VARSIZE(out, VARHDRSZ + METRICS_HIST_BYTES);
	metrics_hist_serialize(state, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

Datum
score_hist_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	metrics_hist *state = (metrics_hist *) palloc(sizeof(metrics_hist));
	char		errbuf[METRICS_ERRBUF];

	if (metrics_hist_deserialize((const unsigned char *) VARDATA_ANY(in),
								 VARSIZE_ANY_EXHDR(in), state, errbuf) != METRICS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid score band state"),
				 errdetail("%s.", errbuf)));
	PG_RETURN_POINTER(state);
}

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
 * can leave the range of the scores.
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
	product = score * weight;
	if (unlikely(!isfinite(product)))
		report_overflow("weighted_score", "score * weight", score, weight);
	if (state == NULL)
		state = sums_new(fcinfo, "weighted_score_trans");
	state->n++;
	metrics_ksum_add(&state->a, product);
	metrics_ksum_add(&state->b, weight);
	PG_RETURN_POINTER(state);
}

/*
 * Combine two sums states (parallel query), merging the compensation terms
 * as well as the sums.  A NULL first state takes a copy of the second in the
 * aggregate context.
 */
Datum
fsums_combine(PG_FUNCTION_ARGS)
{
	metrics_sums *state;
	metrics_sums *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	other = (metrics_sums *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		state = sums_new(fcinfo, "fsums_combine");
		memcpy(state, other, sizeof(metrics_sums));
		PG_RETURN_POINTER(state);
	}
	state = (metrics_sums *) PG_GETARG_POINTER(0);
	if (metrics_sums_merge(state, other) != METRICS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("row count is out of range for bigint")));
	PG_RETURN_POINTER(state);
}

Datum
fsums_serialize(PG_FUNCTION_ARGS)
{
	metrics_sums *state = (metrics_sums *) PG_GETARG_POINTER(0);
	bytea	   *out = (bytea *) palloc(VARHDRSZ + METRICS_SUMS_BYTES);

	SET_VARSIZE(out, VARHDRSZ + METRICS_SUMS_BYTES);
	metrics_sums_serialize(state, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

Datum
fsums_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	metrics_sums *state = (metrics_sums *) palloc(sizeof(metrics_sums));
	char		errbuf[METRICS_ERRBUF];

	if (metrics_sums_deserialize((const unsigned char *) VARDATA_ANY(in),
								 VARSIZE_ANY_EXHDR(in), state, errbuf) != METRICS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid float sums state"),
				 errdetail("%s.", errbuf)));
	PG_RETURN_POINTER(state);
}

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

/* wape final: Σ|f - a| / Σ|a|; NULL when no rows or Σ|a| = 0 */
Datum
wape_final(PG_FUNCTION_ARGS)
{
	metrics_sums *state;
	double		den;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (metrics_sums *) PG_GETARG_POINTER(0);
	if (state->n == 0)
		PG_RETURN_NULL();
	den = finite_sum(&state->b, "wape", "sum of |actual|");
	if (den == 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(finite_ratio(finite_sum(&state->a, "wape", "sum of |forecast - actual|"),
								  den, "wape"));
}

/* forecast_bias final: Σ(f - a) / Σ|a|; NULL when no rows or Σ|a| = 0 */
Datum
forecast_bias_final(PG_FUNCTION_ARGS)
{
	metrics_sums *state;
	double		den;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (metrics_sums *) PG_GETARG_POINTER(0);
	if (state->n == 0)
		PG_RETURN_NULL();
	den = finite_sum(&state->b, "forecast_bias", "sum of |actual|");
	if (den == 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(finite_ratio(finite_sum(&state->a, "forecast_bias",
											 "sum of forecast - actual"),
								  den, "forecast_bias"));
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
	metrics_sums *state;
	double		den;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (metrics_sums *) PG_GETARG_POINTER(0);
	if (state->n == 0)
		PG_RETURN_NULL();
	den = finite_sum(&state->b, "weighted_score", "sum of weights");
	if (den == 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(finite_ratio(finite_sum(&state->a, "weighted_score",
											 "sum of score * weight"),
								  den, "weighted_score"));
}

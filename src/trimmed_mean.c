/*-------------------------------------------------------------------------
 *
 * trimmed_mean.c
 *	  Aggregate trimmed_mean(score float8, drop_each_end integer) -> float8
 *
 * The panel practice of dropping the top and the bottom mark: the k highest
 * and k lowest scores are dropped and the rest averaged.  With too few
 * scores k is reduced to floor((n - 1) / 2), so one score is its own mean,
 * three scores with k = 1 give the median, and at least one score is always
 * kept.
 *
 * The state keeps every score of the group in a growable array in the
 * aggregate memory context; combine concatenates (parallel query), and the
 * final function sorts and averages the middle with a compensated sum over
 * the sorted values, so the answer depends only on the set of scores, never
 * on the order the rows (or the parallel workers) delivered them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "metrics.h"

PG_FUNCTION_INFO_V1(trimmed_mean_trans);
PG_FUNCTION_INFO_V1(trimmed_mean_combine);
PG_FUNCTION_INFO_V1(trimmed_mean_serialize);
PG_FUNCTION_INFO_V1(trimmed_mean_deserialize);
PG_FUNCTION_INFO_V1(trimmed_mean_final);

typedef struct TrimmedMeanState
{
	int32		k;				/* drop_each_end, equal on every row */
	int64		n;				/* scores collected */
	int64		cap;			/* allocated length of values */
	double	   *values;			/* in the same memory context as the state */
} TrimmedMeanState;

#define TRIMMED_MEAN_INITIAL_CAP	16

/*
 * A new state with room for cap values, in context ctx.  The array may grow
 * beyond 1 GB (MemoryContextAllocHuge): a group of 200 million scores is
 * unusual but not invalid.
 */
static TrimmedMeanState *
state_new(MemoryContext ctx, int32 k, int64 cap)
{
	TrimmedMeanState *state;

	state = (TrimmedMeanState *) MemoryContextAlloc(ctx, sizeof(TrimmedMeanState));
	state->k = k;
	state->n = 0;
	state->cap = Max(cap, TRIMMED_MEAN_INITIAL_CAP);
	state->values = (double *) MemoryContextAllocHuge(ctx, state->cap * sizeof(double));
	return state;
}

/*
 * Make room for extra more values, doubling so appends are amortised O(1).
 * repalloc keeps the array in the context it was allocated in.
 */
static void
state_reserve(TrimmedMeanState *state, int64 extra)
{
	int64		need = state->n + extra;
	int64		cap = state->cap;

	if (need <= cap)
		return;
	while (cap < need)
		cap *= 2;
	if ((Size) cap > MaxAllocHugeSize / sizeof(double))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("trimmed_mean cannot hold more than %zu scores in one group",
						(Size) (MaxAllocHugeSize / sizeof(double)))));
	state->values = (double *) repalloc_huge(state->values, cap * sizeof(double));
	state->cap = cap;
}

static void
report_k_mismatch(int32 had, int32 got)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("trimmed_mean drop_each_end must be equal on every row, got %d and %d",
					had, got)));
}

/*
 * Transition: append one score.  A NULL score skips the row (as every
 * aggregate skips NULL input); a scored row must carry a non-NULL,
 * non-negative k equal to the k of the rows before it, and a finite score.
 */
Datum
trimmed_mean_trans(PG_FUNCTION_ARGS)
{
	TrimmedMeanState *state = PG_ARGISNULL(0) ? NULL : (TrimmedMeanState *) PG_GETARG_POINTER(0);
	double		score;
	int32		k;

	if (PG_ARGISNULL(1))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	score = PG_GETARG_FLOAT8(1);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("trimmed_mean drop_each_end must not be null")));
	k = PG_GETARG_INT32(2);
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trimmed_mean drop_each_end must not be negative, got %d", k)));
	if (!isfinite(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trimmed_mean score must be a finite number, got %s",
						DatumGetCString(DirectFunctionCall1(float8out,
															Float8GetDatum(score))))));
	if (state == NULL)
	{
		MemoryContext aggcontext;

		if (!AggCheckCallContext(fcinfo, &aggcontext))
			elog(ERROR, "trimmed_mean_trans called in non-aggregate context");
		state = state_new(aggcontext, k, TRIMMED_MEAN_INITIAL_CAP);
	}
	else if (state->k != k)
		report_k_mismatch(state->k, k);
	if (state->n == state->cap)
		state_reserve(state, 1);
	state->values[state->n++] = score;
	PG_RETURN_POINTER(state);
}

/*
 * Combine (parallel query): concatenate the second state's scores onto the
 * first's.  A NULL first state takes a copy of the second in the aggregate
 * context (the second may be a deserialized state in a short-lived one).
 */
Datum
trimmed_mean_combine(PG_FUNCTION_ARGS)
{
	TrimmedMeanState *state;
	TrimmedMeanState *other;
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "trimmed_mean_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	other = (TrimmedMeanState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		state = state_new(aggcontext, other->k, other->n);
		memcpy(state->values, other->values, other->n * sizeof(double));
		state->n = other->n;
		PG_RETURN_POINTER(state);
	}
	state = (TrimmedMeanState *) PG_GETARG_POINTER(0);
	if (state->k != other->k)
		report_k_mismatch(state->k, other->k);
	state_reserve(state, other->n);
	memcpy(state->values + state->n, other->values, other->n * sizeof(double));
	state->n += other->n;
	PG_RETURN_POINTER(state);
}

/* Serialize: k, n and the scores, little-endian (src/core/metrics.c) */
Datum
trimmed_mean_serialize(PG_FUNCTION_ARGS)
{
	TrimmedMeanState *state = (TrimmedMeanState *) PG_GETARG_POINTER(0);
	size_t		size = metrics_values_serial_size(state->n, MaxAllocSize - VARHDRSZ);
	bytea	   *out;

	if (size == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("trimmed_mean state of %lld scores is too large to pass between parallel workers",
						(long long) state->n),
				 errhint("Set max_parallel_workers_per_gather = 0 for this query.")));
	out = (bytea *) palloc(VARHDRSZ + size);
	SET_VARSIZE(out, VARHDRSZ + size);
	metrics_values_serialize(state->k, state->values, state->n,
							 (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* Deserialize, validating the length, k and every score */
Datum
trimmed_mean_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	const unsigned char *bytes = (const unsigned char *) VARDATA_ANY(in);
	char		errbuf[METRICS_ERRBUF];
	int32_t		k;
	int64_t		n;
	TrimmedMeanState *state;

	if (metrics_values_header(bytes, VARSIZE_ANY_EXHDR(in), &k, &n, errbuf) != METRICS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid trimmed_mean state"),
				 errdetail("%s.", errbuf)));
	state = state_new(CurrentMemoryContext, k, n);
	if (metrics_values_read(bytes, n, state->values, errbuf) != METRICS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid trimmed_mean state"),
				 errdetail("%s.", errbuf)));
	state->n = n;
	PG_RETURN_POINTER(state);
}

/*
 * Final: sort and average the middle (metrics_trimmed_mean).  The sort
 * reorders the state's array in place, which leaves its meaning -- the
 * multiset of scores -- unchanged, so the state can still be shared by two
 * identical calls or extended by a window frame (FINALFUNC_MODIFY =
 * READ_ONLY holds for the value the state represents).
 */
Datum
trimmed_mean_final(PG_FUNCTION_ARGS)
{
	TrimmedMeanState *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (TrimmedMeanState *) PG_GETARG_POINTER(0);
	if (state->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(metrics_trimmed_mean(state->values, state->n, state->k));
}

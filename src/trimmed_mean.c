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
 * aggregate memory context, and the final function sorts and averages the
 * middle with a compensated sum over the sorted values, so the answer
 * depends only on the set of scores, never on the order the rows (or the
 * parallel workers) delivered them.
 *
 * The state remembers whether its array is in ascending order.  In a
 * parallel plan each worker sorts its partial array when serializing it, the
 * leader merges sorted runs in O(n), and the final function finds the array
 * already sorted: the O(n log n) work is done by the workers in parallel.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "core_report.h"
#include "metrics.h"
#include "metrics_glue.h"
#include "growable_array.h"

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
	bool		sorted;			/* values[0..n) is in ascending order */
	double	   *values;			/* in the same memory context as the state */
} TrimmedMeanState;

#define TRIMMED_MEAN_INITIAL_CAP	16

/*
 * Refuse a group of more scores than one huge allocation can hold.
 */
static void
check_capacity(int64 cap)
{
	growable_check(cap, sizeof(double), "trimmed_mean", "scores");
}

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
	state->sorted = true;
	state->cap = Max(cap, TRIMMED_MEAN_INITIAL_CAP);
	check_capacity(state->cap);
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
	state->values = (double *) growable_reserve(state->values, &state->cap, state->n + extra, sizeof(double),
											   "trimmed_mean", "scores");
}

/* drop_each_end differs between rows (or partial states): 22023 */
static void
report_k_mismatch(int32 had, int32 got)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("trimmed_mean drop_each_end must be equal on every row, got %d and %d",
					had, got)));
}

/*
 * Transition: append one score.  k is checked before the score: on every
 * row where it is given it must be non-negative and equal to the k of the
 * rows before it, NULL score or not (a NULL score with a non-NULL k still
 * creates the state, so the check does not depend on the row order).  A
 * NULL score then skips the row, as every aggregate skips NULL input; only
 * a NULL score may come with a NULL k.  A scored row needs a finite score.
 */
Datum
trimmed_mean_trans(PG_FUNCTION_ARGS)
{
	TrimmedMeanState *state = PG_ARGISNULL(0) ? NULL : (TrimmedMeanState *) PG_GETARG_POINTER(0);
	double		score;
	int32		k;

	if (PG_ARGISNULL(2))
	{
		if (!PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("trimmed_mean drop_each_end must not be null")));
		/* NULL score and NULL k: skipped */
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	k = PG_GETARG_INT32(2);
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trimmed_mean drop_each_end must not be negative, got %d", k)));
	if (state == NULL)
		state = state_new(aggregate_context(fcinfo, "trimmed_mean_trans"), k,
						  TRIMMED_MEAN_INITIAL_CAP);
	else if (state->k != k)
		report_k_mismatch(state->k, k);
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	score = PG_GETARG_FLOAT8(1);
	if (!isfinite(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trimmed_mean score must be a finite number, got %s",
						float8_text(score))));
	if (state->n == state->cap)
		state_reserve(state, 1);
	if (state->n > 0 && score < state->values[state->n - 1])
		state->sorted = false;
	state->values[state->n++] = score;
	PG_RETURN_POINTER(state);
}

/*
 * Combine (parallel query): add the second state's scores to the first's.
 * Two sorted states (as serialized partial states always are) are merged
 * into a new sorted array; otherwise the scores are appended and the final
 * function sorts.  A NULL first state takes a copy of the second in the
 * aggregate context (the second may be a deserialized state in a
 * short-lived one).
 */
Datum
trimmed_mean_combine(PG_FUNCTION_ARGS)
{
	TrimmedMeanState *state;
	TrimmedMeanState *other;
	MemoryContext aggcontext;

	aggcontext = aggregate_context(fcinfo, "trimmed_mean_combine");
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
		state->sorted = other->sorted;
		PG_RETURN_POINTER(state);
	}
	state = (TrimmedMeanState *) PG_GETARG_POINTER(0);
	if (state->k != other->k)
		report_k_mismatch(state->k, other->k);
	if (other->n == 0)
		PG_RETURN_POINTER(state);
	if (state->sorted && other->sorted)
	{
		int64		n = state->n + other->n;
		int64		cap = Max(n, TRIMMED_MEAN_INITIAL_CAP);
		double	   *merged;

		check_capacity(cap);
		merged = (double *) MemoryContextAllocHuge(GetMemoryChunkContext(state->values),
												   cap * sizeof(double));
		metrics_merge_sorted(state->values, state->n, other->values, other->n, merged);
		pfree(state->values);
		state->values = merged;
		state->cap = cap;
		state->n = n;
		PG_RETURN_POINTER(state);
	}
	state_reserve(state, other->n);
	memcpy(state->values + state->n, other->values, other->n * sizeof(double));
	state->n += other->n;
	state->sorted = false;
	PG_RETURN_POINTER(state);
}

/*
 * Serialize: k, n and the scores, little-endian (src/core/metrics.c).  The
 * scores are sorted first (in place: the multiset the state stands for does
 * not change), so that a parallel worker, not the leader, does the sorting.
 */
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
	if (!state->sorted)
	{
		metrics_sort_doubles(state->values, state->n);
		state->sorted = true;
	}
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
	CoreError	err;
	int32_t		k;
	int64_t		n;
	TrimmedMeanState *state;

	if (metrics_values_header(bytes, VARSIZE_ANY_EXHDR(in), &k, &n, &err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);
	state = state_new(CurrentMemoryContext, k, n);
	if (metrics_values_read(bytes, n, state->values, &err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);
	state->n = n;
	state->sorted = metrics_is_sorted(state->values, n);
	PG_RETURN_POINTER(state);
}

/*
 * Final: sort (unless already sorted) and average the middle.  The sort
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
	if (!state->sorted)
	{
		metrics_sort_doubles(state->values, state->n);
		state->sorted = true;
	}
	PG_RETURN_FLOAT8(metrics_trimmed_mean_sorted(state->values, state->n, state->k));
}

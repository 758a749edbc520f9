/*-------------------------------------------------------------------------
 *
 * purchase_rhythm.c
 *	  Aggregate purchase_rhythm(day date) -> purchase_rhythm_result
 *	  (purchase_days, first_on, last_on, gaps, median_gap), issue 19.1.
 *
 * A customer's rhythm is the usual gap between two consecutive days they
 * bought on.  In SQL that is a sort of every sales line by customer and day,
 * a DISTINCT, a lag() window and an ordered-set percentile: several times the
 * cost of reading the lines once (bench/customer_risk.sh prints the ratio).
 * Here the lines are read once into a hash aggregate: each customer's state
 * is a growable array of its days (a day equal to the last one appended is
 * skipped, so a customer's many lines on one day cost one slot), and the
 * final function sorts the few hundred days of one customer, drops repeats
 * and takes the lower median of the gaps (src/core/purchase_rhythm.c).
 *
 * Parallel safe, with combine / serialize / deserialize: a worker sorts and
 * de-duplicates its partial array before sending it (so the workers, not the
 * leader, do the sorting), the leader appends the partial arrays and the
 * final function sorts again.  The result depends only on the set of days,
 * never on the order the rows or the workers delivered them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/memutils.h"

#include "core_report.h"
#include "metrics_glue.h"
#include "purchase_rhythm.h"
#include "growable_array.h"

PG_FUNCTION_INFO_V1(purchase_rhythm_trans);
PG_FUNCTION_INFO_V1(purchase_rhythm_combine);
PG_FUNCTION_INFO_V1(purchase_rhythm_serialize);
PG_FUNCTION_INFO_V1(purchase_rhythm_deserialize);
PG_FUNCTION_INFO_V1(purchase_rhythm_final);

typedef struct RhythmState
{
	int64		n;				/* days held (repeats possible unless sorted) */
	int64		cap;			/* allocated length of days */
	bool		sorted;			/* days[0..n) ascending and distinct */
	int32	   *days;			/* in the same memory context as the state */
} RhythmState;

#define RHYTHM_INITIAL_CAP	16

/* Refuse a group of more days than one huge allocation can hold. */
static void
check_capacity(int64 cap)
{
	growable_check(cap, sizeof(int32), "purchase_rhythm", "days");
}

/* A new empty state with room for cap days, in context ctx. */
static RhythmState *
state_new(MemoryContext ctx, int64 cap)
{
	RhythmState *state = (RhythmState *) MemoryContextAlloc(ctx, sizeof(RhythmState));

	state->n = 0;
	state->sorted = true;
	state->cap = Max(cap, RHYTHM_INITIAL_CAP);
	check_capacity(state->cap);
	state->days = (int32 *) MemoryContextAllocHuge(ctx, state->cap * sizeof(int32));
	return state;
}

/* Room for extra more days, doubling so appends are amortised O(1). */
static void
state_reserve(RhythmState *state, int64 extra)
{
	state->days = (int32 *) growable_reserve(state->days, &state->cap, state->n + extra, sizeof(int32),
											   "purchase_rhythm", "days");
}

/* Sort and drop repeated days in place: the set of days is unchanged. */
static void
state_normalise(RhythmState *state)
{
	if (!state->sorted)
	{
		state->n = rhythm_sort_unique(state->days, state->n);
		state->sorted = true;
	}
}

/*
 * Transition: remember one day.  NULL days are skipped (as every aggregate
 * skips NULL input); an infinite date has no gap to any other day: 22023.
 * A day equal to the last one appended is skipped here already.
 */
Datum
purchase_rhythm_trans(PG_FUNCTION_ARGS)
{
	RhythmState *state = PG_ARGISNULL(0) ? NULL : (RhythmState *) PG_GETARG_POINTER(0);
	DateADT		day;

	if (PG_ARGISNULL(1))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	day = PG_GETARG_DATEADT(1);
	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchase_rhythm day must be a finite date, got %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day))))));
	if (state == NULL)
		state = state_new(aggregate_context(fcinfo, "purchase_rhythm_trans"), RHYTHM_INITIAL_CAP);
	if (state->n > 0)
	{
		int32		last = state->days[state->n - 1];

		if (day == last)
			PG_RETURN_POINTER(state);
		if (day < last)
			state->sorted = false;
	}
	if (state->n == state->cap)
		state_reserve(state, 1);
	state->days[state->n++] = day;
	PG_RETURN_POINTER(state);
}

/*
 * Combine (parallel query): append the second state's days to the first's.
 * A NULL first state takes a copy of the second in the aggregate context
 * (the second may be a deserialized state in a short-lived context).
 */
Datum
purchase_rhythm_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = aggregate_context(fcinfo, "purchase_rhythm_combine");
	RhythmState *state;
	RhythmState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	other = (RhythmState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		state = state_new(aggcontext, other->n);
		memcpy(state->days, other->days, other->n * sizeof(int32));
		state->n = other->n;
		state->sorted = other->sorted;
		PG_RETURN_POINTER(state);
	}
	state = (RhythmState *) PG_GETARG_POINTER(0);
	if (other->n == 0)
		PG_RETURN_POINTER(state);
	state_reserve(state, other->n);
	memcpy(state->days + state->n, other->days, other->n * sizeof(int32));
	state->n += other->n;
	state->sorted = false;
	PG_RETURN_POINTER(state);
}

/* Serialize: sorted distinct days, little-endian (src/core). */
Datum
purchase_rhythm_serialize(PG_FUNCTION_ARGS)
{
	RhythmState *state = (RhythmState *) PG_GETARG_POINTER(0);
	size_t		size;
	bytea	   *out;

	state_normalise(state);
	size = rhythm_serial_size(state->n, MaxAllocSize - VARHDRSZ);
	if (size == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("purchase_rhythm state of %lld days is too large to pass between parallel workers",
						(long long) state->n),
				 errhint("Set max_parallel_workers_per_gather = 0 for this query.")));
	out = (bytea *) palloc(VARHDRSZ + size);
	SET_VARSIZE(out, VARHDRSZ + size);
	rhythm_serialize(state->days, state->n, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* Deserialize, validating the length against the announced count. */
Datum
purchase_rhythm_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	const unsigned char *bytes = (const unsigned char *) VARDATA_ANY(in);
	CoreError	err;
	int64_t		n;
	RhythmState *state;

	if (rhythm_header(bytes, VARSIZE_ANY_EXHDR(in), &n, &err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);
	state = state_new(CurrentMemoryContext, n);
	rhythm_read(bytes, n, state->days);
	state->n = n;
	state->sorted = false;		/* not trusted: the final function sorts */
	PG_RETURN_POINTER(state);
}

/*
 * Final: sort and de-duplicate (in place, FINALFUNC_MODIFY = READ_ONLY holds
 * for the set of days the state stands for), summarise, and return the row;
 * NULL when the group had no day.  median_gap is NULL without a gap.
 */
Datum
purchase_rhythm_final(PG_FUNCTION_ARGS)
{
	RhythmState *state;
	PurchaseRhythm r;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	int32	   *scratch;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (RhythmState *) PG_GETARG_POINTER(0);
	if (state->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "purchase_rhythm_final must return a composite type");
	state_normalise(state);
	scratch = (int32 *) palloc(Max(state->n - 1, 1) * sizeof(int32));
	rhythm_summarise(state->days, state->n, scratch, &r);
	pfree(scratch);
	if (r.purchase_days > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("purchase_rhythm counted %lld purchase days, more than an integer holds",
						(long long) r.purchase_days)));
	values[0] = Int32GetDatum((int32) r.purchase_days);
	values[1] = DateADTGetDatum(r.first_day);
	values[2] = DateADTGetDatum(r.last_day);
	values[3] = Int32GetDatum((int32) r.gaps);
	values[4] = Int32GetDatum(r.median_gap);
	nulls[4] = (r.gaps == 0);
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

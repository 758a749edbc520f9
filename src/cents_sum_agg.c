/*-------------------------------------------------------------------------
 *
 * cents_sum_agg.c
 *	  Aggregate cents_sum(numeric) -> numeric: sum() of money amounts,
 *	  kept as whole hundredths.
 *
 * The ledgers' amounts are numeric(14,2) / numeric(16,2).  sum(numeric)
 * keeps a NumericAggState per group (a few hundred bytes and three
 * allocations) and adds each value digit by digit; grouped by invoice or by
 * statement -- tens of thousands of groups -- that state is most of a
 * hashed aggregate's time (bench/settlement.sh).  cents_sum keeps an int64
 * of hundredths per group (cents_sum.h): the same value and display scale
 * as sum(), NULL without a non-NULL value, and -- for a value with more than
 * two decimals, NaN, an infinity, or a sum beyond +-2^62 hundredths -- sum's
 * own numeric arithmetic from then on, so the result is always sum()'s.
 *
 * Parallel safe; no combine function (a parallel plan aggregates in one
 * process).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/numeric.h"

#include "cents_sum.h"

PG_FUNCTION_INFO_V1(cents_sum_agg_trans);
PG_FUNCTION_INFO_V1(cents_sum_agg_final);

/*
 * Transition: adds a non-NULL amount to the group's sum, allocated in the
 * aggregate's memory on the first one (a NULL amount leaves the state as it
 * is, so a group of NULLs ends NULL, as sum()).
 */
Datum
cents_sum_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	CentsSum   *w = PG_ARGISNULL(0) ? NULL : (CentsSum *) PG_GETARG_POINTER(0);

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cents_sum_agg_trans called outside an aggregate"),
				 errhint("Call the aggregate cents_sum(numeric).")));
	if (PG_ARGISNULL(1))
	{
		if (w == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(w);
	}
	if (w == NULL)
	{
		w = (CentsSum *) MemoryContextAlloc(aggcontext, sizeof(CentsSum));
		cents_sum_init(w);
	}
	cents_sum_add(fcinfo, w, PG_GETARG_DATUM(1));
	PG_RETURN_POINTER(w);
}

/*
 * Final: the sum as numeric with the largest display scale added
 * (cents_sum_value: built from the hundredths directly; sum's own final
 * function once the sum went numeric), NULL without an amount.  Reads the
 * state only (a window aggregate may finalise it again).
 */
Datum
cents_sum_agg_final(PG_FUNCTION_ARGS)
{
	CentsSum   *w;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	w = (CentsSum *) PG_GETARG_POINTER(0);
	if (w->dscale < 0)
		PG_RETURN_NULL();
	return cents_sum_value(w);
}

/*
 * cents_sum.h -- sum(numeric) of sales amounts as whole hundredths, for the
 * one-pass aggregates of issue 19 (customer_sales.c, pace_lines.c): adding a
 * numeric(14,2) amount to an int64 costs a few instructions where numeric
 * addition (numeric_avg_accum) costs a call and a state of its own.  An
 * amount with more than two decimals, a special value, or a sum beyond
 * +-2^62 hundredths switches that sum to numeric_avg_accum (the hundredths
 * so far moved in as one value), so the result and its scale are always
 * those of sum().  The stored form is read by src/core/numeric_cents.c.
 */
#ifndef SS_CENTS_SUM_H
#define SS_CENTS_SUM_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "numeric_cents.h"

/*
 * The sum of a window's lines: whole hundredths while every amount has at
 * most two decimals (src/core/numeric_cents.c: sales amounts are
 * numeric(14,2)), else numeric_avg_accum's state.
 */
typedef struct CentsSum
{
	int64		cents;
	int32		dscale;			/* the largest display scale added, -1: no line */
	bool		as_numeric;		/* numeric holds the sum (cents moved into it) */
	Datum		numeric;		/* numeric_avg_accum state, 0 before the first line */
} CentsSum;

/* An empty sum: no line yet. */
static inline void
cents_sum_init(CentsSum *w)
{
	memset(w, 0, sizeof(CentsSum));
	w->dscale = -1;
}

/* Adds amount to a window's sum with sum(numeric)'s own transition function. */
static inline Datum
cents_accumulate(FunctionCallInfo fcinfo, Datum sum_state, Datum amount)
{
	LOCAL_FCINFO(acc, 2);

	InitFunctionCallInfoData(*acc, NULL, 2, InvalidOid, fcinfo->context, NULL);
	acc->args[0].value = sum_state;
	acc->args[0].isnull = (sum_state == (Datum) 0);
	acc->args[1].value = amount;
	acc->args[1].isnull = false;
	return numeric_avg_accum(acc);
}

/*
 * Adds a line's amount to a window: to the hundredths when it has at most
 * two decimals and the sum stays within +-2^62, else (from then on) by
 * numeric_avg_accum, the hundredths so far moved in as one value of their
 * display scale (so the sum and its scale are sum()'s either way).
 */
static inline void
cents_sum_add(FunctionCallInfo fcinfo, CentsSum *w, Datum amount)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(amount);
	int64		cents;
	int			dscale;
	char		text[24];

	if (!w->as_numeric)
	{
		if (!VARATT_IS_EXTERNAL(v) && !VARATT_IS_COMPRESSED(v) &&
			numeric_cents_read((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &cents, &dscale) &&
			cents_add(&w->cents, cents))
		{
			w->dscale = Max(w->dscale, dscale);
			return;
		}
		if (w->dscale >= 0)
			w->numeric = cents_accumulate(fcinfo, (Datum) 0,
									DirectFunctionCall3(numeric_in, CStringGetDatum(cents_text(w->cents, w->dscale, text)),
														ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
		w->as_numeric = true;
	}
	w->numeric = cents_accumulate(fcinfo, w->numeric, amount);
	w->dscale = Max(w->dscale, 0);
}

/*
 * Adds a number of hundredths of display scale dscale (0..2; a multiple of
 * 10^(2 - dscale)) to a sum, as cents_sum_add adds the numeric of that
 * value: pace_line_scan's credited shares of a split line.
 */
static inline void
cents_sum_add_cents(FunctionCallInfo fcinfo, CentsSum *w, int64 cents, int dscale)
{
	char		text[24];

	if (!w->as_numeric && cents_add(&w->cents, cents))
	{
		w->dscale = Max(w->dscale, dscale);
		return;
	}
	cents_sum_add(fcinfo, w, DirectFunctionCall3(numeric_in, CStringGetDatum(cents_text(cents, dscale, text)),
												 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

/*
 * A window's sum as coalesce(sum(amount), 0): numeric 0 without a line.
 * Whole hundredths are built into a numeric directly, with the largest
 * display scale added (int64_div_fast_to_numeric), not through text: a
 * grouped aggregate finalises one sum per group, entry_kind_sums ten.
 */
static inline Datum
cents_sum_value(const CentsSum *w)
{
	LOCAL_FCINFO(fin, 1);

	if (w->dscale < 0)
		return NumericGetDatum(int64_to_numeric(0));
	if (!w->as_numeric)
	{
		if (w->dscale >= 2)
			return NumericGetDatum(int64_div_fast_to_numeric(w->cents, 2));
		if (w->dscale == 1)		/* every amount had at most one decimal */
			return NumericGetDatum(int64_div_fast_to_numeric(w->cents / 10, 1));
		return NumericGetDatum(int64_to_numeric(w->cents / 100));
	}
	InitFunctionCallInfoData(*fin, NULL, 1, InvalidOid, NULL, NULL);
	fin->args[0].value = w->numeric;
	fin->args[0].isnull = false;
	return numeric_sum(fin);
}

#endif							/* SS_CENTS_SUM_H */

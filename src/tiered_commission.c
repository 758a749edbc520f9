/*-------------------------------------------------------------------------
 *
 * tiered_commission.c
 *	  tiered_commission(amount numeric, tiers tier_table) -> numeric
 *
 * The amount's numeric digits are read straight into a scaled 128-bit
 * integer (numeric_scaled.c), the table is evaluated in integer arithmetic
 * (core/tier_table_prepared.c, else core/tier_table.c) and the numeric
 * result is built straight from the integer: no float, no numeric_in /
 * numeric_out, one palloc (the result) per row.  When an amount has too
 * many digits or decimals for 128 bits, the same rules are evaluated with
 * numeric arithmetic instead, so every amount gets an exact answer.
 *
 * The table is kept per call site in the datum cache (datum_cache.c: keyed
 * on the datum's exact bytes, so a table read from a row is detoasted and
 * aligned once, not once per row, and a few dozen tables in rotation stay
 * prepared), with one prepared form per amount scale, made when an amount
 * of that scale first comes.  A numeric column without typmod mixes scales
 * (12.5, 7, 3.25), so keeping only the last scale would re-prepare on
 * nearly every row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "datum_cache.h"
#include "numeric_scaled.h"
#include "tier_table_glue.h"
#include "tier_table_prepared.h"

PG_FUNCTION_INFO_V1(tiered_commission);

/* What a call site keeps for one table (see the file header). */
typedef struct CommissionState
{
	TierTable  *table;			/* aligned, detoasted copy */
	tt_table	v;				/* core view of table */
	tt_prepared *prep[TT_MAX_SCALE + 1];	/* by amount scale; NULL: not yet */
} CommissionState;

/* datum_cache build callback: the state of a newly seen table, in cxt */
static void *
commission_state_build(struct varlena *value, MemoryContext cxt)
{
	CommissionState *st = (CommissionState *)
		MemoryContextAllocZero(cxt, sizeof(CommissionState));

	st->table = (TierTable *) value;
	st->v = tier_table_view(st->table);
	return st;
}

/*
 * The table of st prepared for amount scale ascale (<= TT_MAX_SCALE), made
 * on first use in the cache entry's memory context, and published only
 * once complete.
 */
static tt_prepared *
commission_prepared(FunctionCallInfo fcinfo, CommissionState *st, int ascale)
{
	tt_prepared *p;
	MemoryContext cxt;

	if (ascale < 0 || ascale > TT_MAX_SCALE)
		elog(ERROR, "tier_table prepared for amount scale %d", ascale);
	p = st->prep[ascale];
	if (p != NULL)
		return p;
	cxt = datum_cache_entry_context(fcinfo);
	p = (tt_prepared *) MemoryContextAllocZero(cxt, sizeof(tt_prepared));
	p->thr = MemoryContextAlloc(cxt, st->v.ntiers * sizeof(int64));
	p->rate = MemoryContextAlloc(cxt, st->v.ntiers * sizeof(int64));
	p->cum = MemoryContextAlloc(cxt, st->v.ntiers * sizeof(tt_i128_stored));
	tt_prepare(p, &st->v, ascale);
	st->prep[ascale] = p;
	return p;
}

/* a stored decimal as a numeric with its own scale */
static Datum
decimal_numeric(tt_dec d)
{
	return NumericGetDatum(int64_div_fast_to_numeric(d.m, d.scale));
}

/* numeric_cmp of two numeric datums */
static int
numeric_compare(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

/* Flat, in numeric: the amount times the rate of the last threshold reached. */
static Datum
flat_numeric(const tt_table *v, Datum amount, Datum zero)
{
	int			k = -1,
				i;

	for (i = 0; i < v->ntiers; i++)
	{
		if (numeric_compare(decimal_numeric(v->thr[i]), amount) > 0)
			break;
		k = i;
	}
	if (k < 0)
		return zero;
	return DirectFunctionCall2(numeric_mul, amount, decimal_numeric(v->rate[k]));
}

/* Marginal, in numeric: each slice of the amount times its tier's rate. */
static Datum
marginal_numeric(const tt_table *v, Datum amount, Datum sum)
{
	int			i;

	for (i = 0; i < v->ntiers; i++)
	{
		Datum		ti = decimal_numeric(v->thr[i]);
		Datum		top = amount;

		if (numeric_compare(ti, amount) >= 0)
			break;
		if (i + 1 < v->ntiers)
		{
			Datum		tn = decimal_numeric(v->thr[i + 1]);

			if (numeric_compare(tn, top) < 0)
				top = tn;
		}
		sum = DirectFunctionCall2(numeric_add, sum,
								  DirectFunctionCall2(numeric_mul,
													  DirectFunctionCall2(numeric_sub, top, ti),
													  decimal_numeric(v->rate[i])));
	}
	return sum;
}

/*
 * The same rules as tt_eval(), in numeric arithmetic: for amounts with more
 * digits or decimals than the 128-bit path takes.  Slow but exact.
 */
static Datum
tiered_commission_numeric(const tt_table *v, Datum amount)
{
	int			ascale = DatumGetInt32(DirectFunctionCall1(numeric_scale, amount));
	int			f = tt_result_scale(v, ascale);
	Datum		sum = NumericGetDatum(int64_to_numeric(0));

	if (numeric_compare(amount, sum) > 0)
	{
		sum = v->mode == TT_MODE_FLAT ? flat_numeric(v, amount, sum) :
			marginal_numeric(v, amount, sum);
		if (v->has_cap && numeric_compare(sum, decimal_numeric(v->cap)) > 0)
			sum = decimal_numeric(v->cap);
	}
	/* the documented result scale; round() only pads here, never rounds */
	if (f <= NUMERIC_MAX_RESULT_SCALE)
		sum = DirectFunctionCall2(numeric_round, sum, Int32GetDatum(f));
	return sum;
}

/*
 * tiered_commission(amount numeric, tiers tier_table) -> numeric
 * Commission on one amount, exact.  amount <= 0 earns 0 (-Infinity too;
 * NaN and +Infinity are errors, there is no finite commission for them);
 * marginal tables sum each slice times its tier's rate, flat tables apply
 * the rate of the highest threshold reached to the whole amount; then
 * least(result, cap).  The result has tt_result_scale() decimal places.
 */
Datum
tiered_commission(PG_FUNCTION_ARGS)
{
	CommissionState *st = (CommissionState *)
		datum_cache_get(fcinfo, 1, commission_state_build);
	__int128	am,
				res;
	int			ascale,
				rscale;
	NumericScaledKind kind;

	kind = numeric_to_scaled(PG_GETARG_DATUM(0), TT_MAX_SCALE, &am, &ascale);
	/* -Infinity is an amount <= 0: it earns 0, at the scale of amount 0 */
	if (kind == NUMERIC_SCALED_NINF)
		PG_RETURN_NUMERIC(scaled_to_numeric(0, tt_result_scale(&st->v, 0)));
	if (kind == NUMERIC_SCALED_NAN || kind == NUMERIC_SCALED_PINF)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tiered_commission amount must be a finite number or -Infinity, got %s",
						kind == NUMERIC_SCALED_NAN ? "NaN" : "Infinity")));
	if (kind == NUMERIC_SCALED_OK)
	{
		/* only a zero can have more decimals than TT_MAX_SCALE here */
		if (ascale <= TT_MAX_SCALE)
		{
			tt_prepared *p = commission_prepared(fcinfo, st, ascale);

			if (tt_eval_prepared(p, am, &res))
				PG_RETURN_NUMERIC(scaled_to_numeric(res, p->f));
		}
		if (tt_eval(&st->v, am, ascale, &res, &rscale) == CORE_OK &&
			rscale <= NUMERIC_MAX_DISPLAY_SCALE)
			PG_RETURN_NUMERIC(scaled_to_numeric(res, rscale));
	}
	PG_RETURN_DATUM(tiered_commission_numeric(&st->v, PG_GETARG_DATUM(0)));
}

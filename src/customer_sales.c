/*-------------------------------------------------------------------------
 *
 * customer_sales.c
 *	  Aggregate customer_sales_scan(customer_id, sold_on, purchase, amount,
 *	  recent_from, year_ago_from, year_ago) -> customer_sales_row[]: the
 *	  sales phase of customer_risk (issue 19.1) in one pass over the lines.
 *
 * Grouping ten million lines by customer with GROUP BY costs the executor a
 * hash look-up per line and then one transition call per aggregate: the
 * purchase rhythm, the last purchase a year earlier and the two trend sums
 * were four (bench/customer_risk.sh, bench/risk_profile.sh).  This is one
 * aggregate over all the lines (no GROUP BY): its state is its own hash
 * table of customers (simplehash, keyed by customer_id), and per line it
 * looks the customer up once and updates everything the risk needs:
 *
 *	 days           the purchase days (purchase = amount > 0), appended with
 *	                the last one skipped when repeated, as purchase_rhythm
 *	 year_ago_last  the last purchase day on or before year_ago
 *	 recent, year   net sums of the lines of the two windows (refunds too),
 *	                kept by numeric_avg_accum -- the transition function of
 *	                sum(numeric) itself -- so the sums, their scale and their
 *	                NULL-for-no-line are exactly sum()'s
 *
 * The final function returns one customer_sales_row per customer seen, as
 * an array that the SQL unnests: the lower median gap of the sorted distinct
 * days (src/core/purchase_rhythm.c), coalesce(sum, 0) of the windows.
 *
 * Parallel safe (no side effect, the result independent of the order of the
 * lines); it has no combine function, so a parallel plan runs it in the
 * leader only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "metrics_glue.h"
#include "purchase_rhythm.h"
#include "growable_array.h"

PG_FUNCTION_INFO_V1(customer_sales_trans);
PG_FUNCTION_INFO_V1(customer_sales_final);

/* One customer: everything the sales phase keeps of their lines. */
typedef struct CustomerEntry
{
	int32		customer_id;	/* hash key */
	char		status;			/* simplehash's */
	int			sorted;			/* days[0..n) ascending and distinct */
	int64		n;				/* purchase days held */
	int64		cap;			/* allocated length of days (0: none yet) */
	int32	   *days;
	int32		year_ago_last;	/* last purchase day <= year_ago */
	bool		has_year_ago_last;
	Datum		recent;			/* numeric_avg_accum states, 0 without a line */
	Datum		year_ago;
} CustomerEntry;

#define SH_PREFIX		custhash
#define SH_ELEMENT_TYPE CustomerEntry
#define SH_KEY_TYPE		int32
#define SH_KEY			customer_id
#define SH_HASH_KEY(tb, key) murmurhash32((uint32) (key))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct SalesScanState
{
	MemoryContext ctx;			/* the aggregate's: the days live here */
	custhash_hash *customers;
	SalesWindows w;
} SalesScanState;

#define DAYS_INITIAL_CAP 8

/* Argument positions (0 is the state). */
#define ARG_CUSTOMER	1
#define ARG_DAY			2
#define ARG_PURCHASE	3
#define ARG_AMOUNT		4
#define ARG_WINDOWS		5		/* recent_from, year_ago_from, year_ago */

/* The window bounds: not NULL (22004), finite (22023), the same every line. */
static void
read_windows(FunctionCallInfo fcinfo, SalesWindows *w)
{
	static const char *const names[3] = {"recent_from", "year_ago_from", "year_ago"};
	int32		v[3];
	int			i;

	for (i = 0; i < 3; i++)
	{
		if (PG_ARGISNULL(ARG_WINDOWS + i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("customer_sales_scan %s must not be null", names[i])));
		v[i] = PG_GETARG_DATEADT(ARG_WINDOWS + i);
		if (DATE_NOT_FINITE(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("customer_sales_scan %s must be a finite date", names[i])));
	}
	w->recent_from = v[0];
	w->year_ago_from = v[1];
	w->year_ago = v[2];
}

/* The first line's state: the customers' table and the windows. */
static SalesScanState *
state_new(FunctionCallInfo fcinfo)
{
	MemoryContext ctx = aggregate_context(fcinfo, "customer_sales_trans");
	SalesScanState *st = (SalesScanState *) MemoryContextAlloc(ctx, sizeof(SalesScanState));

	st->ctx = ctx;
	st->customers = custhash_create(ctx, 1024, NULL);
	read_windows(fcinfo, &st->w);
	return st;
}

/* The same bounds on every line, or 22023: one call has one day. */
static void
check_windows(FunctionCallInfo fcinfo, const SalesScanState *st)
{
	SalesWindows w;

	read_windows(fcinfo, &w);
	if (w.recent_from != st->w.recent_from || w.year_ago_from != st->w.year_ago_from ||
		w.year_ago != st->w.year_ago)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customer_sales_scan window bounds must be the same on every line")));
}

/* A purchase day for the customer's rhythm. */
static void
note_purchase(SalesScanState *st, CustomerEntry *c, int32 day, int flags)
{
	if (c->cap == 0)
	{
		c->cap = DAYS_INITIAL_CAP;
		c->days = (int32 *) MemoryContextAlloc(st->ctx, c->cap * sizeof(int32));
	}
	else if (c->n == c->cap && c->days[c->n - 1] != day)
		c->days = (int32 *) growable_reserve(c->days, &c->cap, c->n + 1, sizeof(int32),
											 "customer_sales_scan", "purchase days");
	rhythm_note_day(c->days, &c->n, day, &c->sorted);
	if ((flags & SALES_BY_YEAR_AGO) && (!c->has_year_ago_last || day > c->year_ago_last))
	{
		c->year_ago_last = day;
		c->has_year_ago_last = true;
	}
}

/* Adds amount to a window's sum with sum(numeric)'s own transition function. */
static Datum
accumulate(FunctionCallInfo fcinfo, Datum sum_state, Datum amount)
{
	LOCAL_FCINFO(acc, 2);

	InitFunctionCallInfoData(*acc, NULL, 2, InvalidOid, fcinfo->context, NULL);
	acc->args[0].value = sum_state;
	acc->args[0].isnull = (sum_state == (Datum) 0);
	acc->args[1].value = amount;
	acc->args[1].isnull = false;
	return numeric_avg_accum(acc);
}

/* A new customer's entry: no day, no sums. */
static void
entry_init(CustomerEntry *c)
{
	c->sorted = 1;
	c->n = c->cap = 0;
	c->days = NULL;
	c->has_year_ago_last = false;
	c->recent = c->year_ago = (Datum) 0;
}

/*
 * Transition: one line.  A line with a NULL customer, day or amount is
 * skipped (as aggregates skip NULL input), a NULL purchase flag is not a
 * purchase; an infinite day is 22023.
 */
Datum
customer_sales_trans(PG_FUNCTION_ARGS)
{
	SalesScanState *st = PG_ARGISNULL(0) ? NULL : (SalesScanState *) PG_GETARG_POINTER(0);
	CustomerEntry *c;
	int32		day;
	int			flags;
	bool		found;

	if (st == NULL)
		st = state_new(fcinfo);
	else if (PG_ARGISNULL(ARG_WINDOWS) || PG_ARGISNULL(ARG_WINDOWS + 1) || PG_ARGISNULL(ARG_WINDOWS + 2) ||
			 PG_GETARG_DATEADT(ARG_WINDOWS) != st->w.recent_from ||
			 PG_GETARG_DATEADT(ARG_WINDOWS + 1) != st->w.year_ago_from ||
			 PG_GETARG_DATEADT(ARG_WINDOWS + 2) != st->w.year_ago)
		check_windows(fcinfo, st);
	if (PG_ARGISNULL(ARG_CUSTOMER) || PG_ARGISNULL(ARG_DAY) || PG_ARGISNULL(ARG_AMOUNT))
		PG_RETURN_POINTER(st);
	day = PG_GETARG_DATEADT(ARG_DAY);
	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customer_sales_scan sale day must be a finite date, got %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day))))));
	c = custhash_insert(st->customers, PG_GETARG_INT32(ARG_CUSTOMER), &found);
	if (!found)
		entry_init(c);
	flags = sales_window_flags(&st->w, day);
	if (!PG_ARGISNULL(ARG_PURCHASE) && PG_GETARG_BOOL(ARG_PURCHASE))
		note_purchase(st, c, day, flags);
	if (flags & SALES_IN_RECENT)
		c->recent = accumulate(fcinfo, c->recent, PG_GETARG_DATUM(ARG_AMOUNT));
	if (flags & SALES_IN_YEAR_AGO)
		c->year_ago = accumulate(fcinfo, c->year_ago, PG_GETARG_DATUM(ARG_AMOUNT));
	PG_RETURN_POINTER(st);
}

/* A window's sum as coalesce(sum(amount), 0): numeric 0 without a line. */
static Datum
window_sum(Datum sum_state)
{
	LOCAL_FCINFO(fin, 1);
	Datum		result;

	if (sum_state == (Datum) 0)
		return DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	InitFunctionCallInfoData(*fin, NULL, 1, InvalidOid, NULL, NULL);
	fin->args[0].value = sum_state;
	fin->args[0].isnull = false;
	result = numeric_sum(fin);
	if (fin->isnull)
		return DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	return result;
}

/*
 * One customer's row: customer_id, purchase_days, first_on, last_on, gaps,
 * median_gap (the rhythm's fields NULL without a purchase, median_gap
 * without a gap), year_ago_last_on, recent_sales, year_ago_sales.
 */
static Datum
entry_row(CustomerEntry *c, TupleDesc tupdesc)
{
	Datum		values[9];
	bool		nulls[9] = {false, true, true, true, true, true, true, false, false};
	PurchaseRhythm r;

	values[0] = Int32GetDatum(c->customer_id);
	if (c->n > 0)
	{
		int32	   *scratch;

		if (!c->sorted)
			c->n = rhythm_sort_unique(c->days, c->n);
		c->sorted = 1;
		scratch = (int32 *) palloc(Max(c->n - 1, 1) * sizeof(int32));
		rhythm_summarise(c->days, c->n, scratch, &r);
		pfree(scratch);
		if (r.purchase_days > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("customer_sales_scan counted %lld purchase days, more than an integer holds",
							(long long) r.purchase_days)));
		values[1] = Int32GetDatum((int32) r.purchase_days);
		values[2] = DateADTGetDatum(r.first_day);
		values[3] = DateADTGetDatum(r.last_day);
		values[4] = Int32GetDatum((int32) r.gaps);
		values[5] = Int32GetDatum(r.median_gap);
		nulls[1] = nulls[2] = nulls[3] = nulls[4] = false;
		nulls[5] = (r.gaps == 0);
	}
	values[6] = DateADTGetDatum(c->year_ago_last);
	nulls[6] = !c->has_year_ago_last;
	values[7] = window_sum(c->recent);
	values[8] = window_sum(c->year_ago);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * Final: one customer_sales_row per customer seen, as an array (in no
 * particular order); NULL when no line was read.  Sorting a customer's days
 * in place keeps the set of days the state stands for (READ_ONLY holds).
 */
Datum
customer_sales_final(PG_FUNCTION_ARGS)
{
	SalesScanState *st;
	Oid			rowtype;
	TupleDesc	tupdesc;
	custhash_iterator it;
	CustomerEntry *c;
	Datum	   *rows;
	int			i = 0;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SalesScanState *) PG_GETARG_POINTER(0);
	if (st->customers->members > (uint64) MaxAllocSize / sizeof(Datum))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("customer_sales_scan cannot return %llu customers in one array",
						(unsigned long long) st->customers->members)));
	rowtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	if (!OidIsValid(rowtype))
		elog(ERROR, "customer_sales_final must return an array of a composite type");
	tupdesc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(rowtype, -1));
	rows = (Datum *) palloc(Max(st->customers->members, 1) * sizeof(Datum));
	custhash_start_iterate(st->customers, &it);
	while ((c = custhash_iterate(st->customers, &it)) != NULL)
		rows[i++] = entry_row(c, tupdesc);
	get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
	PG_RETURN_ARRAYTYPE_P(construct_array(rows, i, rowtype, typlen, typbyval, typalign));
}

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
 * aggregate over all the lines (no GROUP BY).  Its state is laid out for
 * the cache: a compact slot per customer at the index of its customer_id
 * (ids 0 .. 2^20 - 1; others, negative or larger, through a simplehash) --
 * the lines come in sold_on order and, within a day, in customer order, so
 * a day's lines sweep the slots forwards -- and one sequential log of
 * (slot, day) for the purchase days instead of an array per customer that
 * every line would touch at a random place.  Per line:
 *
 *	 log            a purchase day (purchase = amount > 0) unless it repeats
 *	                the customer's last one; the final function distributes
 *	                the log to the customers (a counting sort) and sorts a
 *	                customer's days only when they came out of order
 *	 year_ago_last  the last purchase day on or before year_ago
 *	 recent, year   net sums of the lines of the two windows (refunds too),
 *	                in whole hundredths (cents_sum.h), with numeric_avg_accum --
 *	                the transition function of sum(numeric) itself -- beyond,
 *	                so the sums and their scale are exactly sum()'s
 *
 * The final function returns one customer_sales_row per customer seen, as
 * an array that the SQL unnests: the lower median gap of the sorted distinct
 * days (src/core/purchase_rhythm.c), coalesce(sum, 0) of the windows.  A
 * customer's days come in order when the scan reads the table from its
 * first block; a synchronised scan that joined another one mid-table
 * delivers them rotated, and rhythm_sort_unique swaps the two runs back in
 * linear time (qsort of every customer's days was 4 % of the pass).
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
#include "cents_sum.h"
#include "growable_array.h"

PG_FUNCTION_INFO_V1(customer_sales_trans);
PG_FUNCTION_INFO_V1(customer_sales_final);


/*
 * One customer: what every line of theirs reads, 16 bytes (the slot of a
 * line's customer is a cache miss: 100 000 slots of 64 bytes with the sums
 * cost a fifth of the pass, bench/risk_profile.sh) ...
 */
typedef struct CustomerSlot
{
	int32		customer_id;
	int32		last_day;		/* last purchase day logged, NO_DAY: none */
	int32		year_ago_last;	/* last purchase day <= year_ago, NO_DAY: none */
	int32		ndays;			/* days logged */
} CustomerSlot;

/*
 * ... and apart, at the same index, the sums only the windows' lines read:
 * one array per window, so a line of the recent window touches the recent
 * sums only (24 bytes a customer, not the 48 of both: the sum's cache miss
 * was half the transition's time).
 */
#define WIN_RECENT		0
#define WIN_YEAR_AGO	1
#define NWINDOWS		2

#define NO_DAY		DATEVAL_NOBEGIN
#define NO_CUSTOMER (-1)		/* customer_id of an unused direct slot */
#define DIRECT_LIMIT (1 << 20)	/* ids 0 .. 2^20 - 1 have the slot of their id */

/*
 * A purchase day of the customer in slot ref: ref < DIRECT_LIMIT is the
 * direct slot of customer ref, else others[ref - DIRECT_LIMIT].
 */
typedef struct DayLog
{
	int32		slot;
	int32		day;
} DayLog;

/* customer_id -> index in others, for the ids beyond the direct slots */
typedef struct IdSlot
{
	int32		customer_id;
	char		status;
	int32		slot;
} IdSlot;

#define SH_PREFIX		idslot
#define SH_ELEMENT_TYPE IdSlot
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
	MemoryContext ctx;			/* the aggregate's: everything lives here */
	SalesWindows w;
	CustomerSlot *direct;		/* the slot of customer i at i (a day's lines, in
								 * customer order, sweep them forwards) */
	CentsSum   *direct_sums[NWINDOWS];	/* their sums, at the same index */
	int64		ndirect;		/* allocated direct slots */
	idslot_hash *others_id;		/* created on the first id beyond DIRECT_LIMIT */
	CustomerSlot *others;
	CentsSum   *others_sums[NWINDOWS];
	int64		nothers;
	int64		capothers;
	int64		ncustomers;
	DayLog	   *log;
	int64		nlog;
	int64		caplog;
} SalesScanState;

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

/* Marks n direct slots unused. */
static void
slots_clear(CustomerSlot *slots, int64 n)
{
	int64		i;

	for (i = 0; i < n; i++)
		slots[i].customer_id = NO_CUSTOMER;
}

/* The first line's state: the windows, room for customers and days. */
static SalesScanState *
state_new(FunctionCallInfo fcinfo)
{
	MemoryContext ctx = aggregate_context(fcinfo, "customer_sales_trans");
	SalesScanState *st = (SalesScanState *) MemoryContextAllocZero(ctx, sizeof(SalesScanState));
	int			k;

	st->ctx = ctx;
	read_windows(fcinfo, &st->w);
	st->ndirect = 1024;
	st->direct = (CustomerSlot *) MemoryContextAlloc(ctx, st->ndirect * sizeof(CustomerSlot));
	for (k = 0; k < NWINDOWS; k++)
		st->direct_sums[k] = (CentsSum *) MemoryContextAlloc(ctx, st->ndirect * sizeof(CentsSum));
	slots_clear(st->direct, st->ndirect);
	st->capothers = 16;
	st->others = (CustomerSlot *) MemoryContextAlloc(ctx, st->capothers * sizeof(CustomerSlot));
	for (k = 0; k < NWINDOWS; k++)
		st->others_sums[k] = (CentsSum *) MemoryContextAlloc(ctx, st->capothers * sizeof(CentsSum));
	st->caplog = 4096;
	st->log = (DayLog *) MemoryContextAllocHuge(ctx, st->caplog * sizeof(DayLog));
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

/* A customer's first line: no day, no sums (the sums at index i of sums). */
static void
slot_init(CustomerSlot *c, CentsSum *const *sums, int64 i, int32 customer_id)
{
	int			k;

	c->customer_id = customer_id;
	c->last_day = c->year_ago_last = NO_DAY;
	c->ndays = 0;
	for (k = 0; k < NWINDOWS; k++)
		cents_sum_init(&sums[k][i]);
}

/*
 * The slot reference of customer_id (see DayLog), the slot made on their
 * first line: ids 0 .. DIRECT_LIMIT - 1 have the slot of their id (the
 * direct slots grow by doubling to cover the largest id seen), others one
 * found through a hash table.
 */
static int32
slot_of(SalesScanState *st, int32 customer_id)
{
	bool		found;
	IdSlot	   *e;
	int			k;

	if (customer_id >= 0 && customer_id < DIRECT_LIMIT)
	{
		if (customer_id >= st->ndirect)
		{
			int64		n = st->ndirect;

			while (n <= customer_id)
				n *= 2;
			n = Min(n, DIRECT_LIMIT);
			st->direct = (CustomerSlot *) repalloc_huge(st->direct, n * sizeof(CustomerSlot));
			for (k = 0; k < NWINDOWS; k++)
				st->direct_sums[k] = (CentsSum *) repalloc_huge(st->direct_sums[k], n * sizeof(CentsSum));
			slots_clear(st->direct + st->ndirect, n - st->ndirect);
			st->ndirect = n;
		}
		if (st->direct[customer_id].customer_id == NO_CUSTOMER)
		{
			slot_init(&st->direct[customer_id], st->direct_sums, customer_id, customer_id);
			st->ncustomers++;
		}
		return customer_id;
	}
	if (st->others_id == NULL)
		st->others_id = idslot_create(st->ctx, 1024, NULL);
	e = idslot_insert(st->others_id, customer_id, &found);
	if (!found)
	{
		if (st->nothers >= PG_INT32_MAX - DIRECT_LIMIT)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("customer_sales_scan cannot hold more than %d customers", PG_INT32_MAX - DIRECT_LIMIT)));
		if (st->nothers == st->capothers)
		{
			/* the sums grow as the slots do (the capacity the slots' call updates) */
			for (k = 0; k < NWINDOWS; k++)
			{
				int64		cap = st->capothers;

				st->others_sums[k] = (CentsSum *) growable_reserve(st->others_sums[k], &cap, st->nothers + 1,
																   sizeof(CentsSum), "customer_sales_scan", "customers");
			}
			st->others = (CustomerSlot *) growable_reserve(st->others, &st->capothers, st->nothers + 1,
														   sizeof(CustomerSlot), "customer_sales_scan", "customers");
		}
		slot_init(&st->others[st->nothers], st->others_sums, st->nothers, customer_id);
		e->slot = (int32) st->nothers++;
		st->ncustomers++;
	}
	return DIRECT_LIMIT + e->slot;
}

/* The slot of a reference. */
static inline CustomerSlot *
slot_at(SalesScanState *st, int32 ref)
{
	return ref < DIRECT_LIMIT ? &st->direct[ref] : &st->others[ref - DIRECT_LIMIT];
}

/* The sum of window k (WIN_RECENT, WIN_YEAR_AGO) of a reference. */
static inline CentsSum *
sum_at(SalesScanState *st, int k, int32 ref)
{
	return ref < DIRECT_LIMIT ? &st->direct_sums[k][ref] : &st->others_sums[k][ref - DIRECT_LIMIT];
}

/* A purchase day of the customer in slot: logged unless it repeats their last. */
static void
note_purchase(SalesScanState *st, int32 slot, int32 day, int flags)
{
	CustomerSlot *c = slot_at(st, slot);

	if (day != c->last_day)
	{
		if (st->nlog == st->caplog)
			st->log = (DayLog *) growable_reserve(st->log, &st->caplog, st->nlog + 1, sizeof(DayLog),
												  "customer_sales_scan", "purchase days");
		st->log[st->nlog].slot = slot;
		st->log[st->nlog].day = day;
		st->nlog++;
		c->last_day = day;
		if (c->ndays == PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("customer_sales_scan cannot hold more than %d purchase days of one customer",
							PG_INT32_MAX)));
		c->ndays++;
	}
	if ((flags & SALES_BY_YEAR_AGO) && (c->year_ago_last == NO_DAY || day > c->year_ago_last))
		c->year_ago_last = day;
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
	int32		slot;
	int32		day;
	int			flags;

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
	slot = slot_of(st, PG_GETARG_INT32(ARG_CUSTOMER));
	flags = sales_window_flags(&st->w, day);
	if (!PG_ARGISNULL(ARG_PURCHASE) && PG_GETARG_BOOL(ARG_PURCHASE))
		note_purchase(st, slot, day, flags);
	if (!(flags & (SALES_IN_RECENT | SALES_IN_YEAR_AGO)))
		PG_RETURN_POINTER(st);
	if (flags & SALES_IN_RECENT)
		cents_sum_add(fcinfo, sum_at(st, WIN_RECENT, slot), PG_GETARG_DATUM(ARG_AMOUNT));
	if (flags & SALES_IN_YEAR_AGO)
		cents_sum_add(fcinfo, sum_at(st, WIN_YEAR_AGO, slot), PG_GETARG_DATUM(ARG_AMOUNT));
	PG_RETURN_POINTER(st);
}


/*
 * One customer's row: customer_id, purchase_days, first_on, last_on, gaps,
 * median_gap (the rhythm's fields NULL without a purchase, median_gap
 * without a gap), year_ago_last_on, recent_sales, year_ago_sales.  days
 * holds the n purchase days logged for them (repeats and disorder possible);
 * scratch room for n - 1 gaps.
 */
static Datum
slot_row(const CustomerSlot *c, const CentsSum *recent, const CentsSum *year_ago, int32 *days, int64 n, int32 *scratch, TupleDesc tupdesc)
{
	Datum		values[9];
	bool		nulls[9] = {false, true, true, true, true, true, true, false, false};
	PurchaseRhythm r;
	int64		i;

	values[0] = Int32GetDatum(c->customer_id);
	if (n > 0)
	{
		for (i = 1; i < n && days[i] > days[i - 1]; i++)
			;
		if (i < n)				/* out of order: sort, drop repeats */
			n = rhythm_sort_unique(days, n);
		rhythm_summarise(days, n, scratch, &r);
		values[1] = Int32GetDatum((int32) r.purchase_days);
		values[2] = DateADTGetDatum(r.first_day);
		values[3] = DateADTGetDatum(r.last_day);
		values[4] = Int32GetDatum((int32) r.gaps);
		values[5] = Int32GetDatum(r.median_gap);
		nulls[1] = nulls[2] = nulls[3] = nulls[4] = false;
		nulls[5] = (r.gaps == 0);
	}
	values[6] = DateADTGetDatum(c->year_ago_last);
	nulls[6] = (c->year_ago_last == NO_DAY);
	values[7] = cents_sum_value(recent);
	values[8] = cents_sum_value(year_ago);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* The slot at position p of the final enumeration: the direct slots, then the others. */
static inline CustomerSlot *
slot_pos(const SalesScanState *st, int64 p)
{
	return p < st->ndirect ? &st->direct[p] : &st->others[p - st->ndirect];
}

/* The sum of window k at position p of the final enumeration. */
static inline CentsSum *
sum_pos(const SalesScanState *st, int k, int64 p)
{
	return p < st->ndirect ? &st->direct_sums[k][p] : &st->others_sums[k][p - st->ndirect];
}

/* The days a slot position holds: 0 for an unused direct slot. */
static inline int64
pos_days(const SalesScanState *st, int64 p)
{
	CustomerSlot *c = slot_pos(st, p);

	return p < st->ndirect && c->customer_id == NO_CUSTOMER ? 0 : c->ndays;
}

/*
 * The log distributed to the customers (a counting sort, stable: each
 * customer's days in the order they came): days[start[p] .. start[p + 1])
 * are those of slot position p.  New memory: the state is left as it was.
 */
static int32 *
distribute_log(const SalesScanState *st, int64 **start_out)
{
	int64		npos = st->ndirect + st->nothers;
	int64	   *start = (int64 *) palloc_extended((npos + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	int64	   *fill = (int64 *) palloc_extended(Max(npos, 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	int32	   *days = (int32 *) palloc_extended(Max(st->nlog, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	int64		i;

	start[0] = 0;
	for (i = 0; i < npos; i++)
	{
		fill[i] = start[i];
		start[i + 1] = start[i] + pos_days(st, i);
	}
	for (i = 0; i < st->nlog; i++)
	{
		int32		ref = st->log[i].slot;
		int64		p = ref < DIRECT_LIMIT ? ref : st->ndirect + (ref - DIRECT_LIMIT);

		days[fill[p]++] = st->log[i].day;
	}
	pfree(fill);
	*start_out = start;
	return days;
}

/*
 * Final: one customer_sales_row per customer seen, as an array (direct
 * slots in customer_id order, then the others in the order they first
 * appeared); NULL when no line was read.  Reads the state only
 * (FINALFUNC_MODIFY = READ_ONLY).
 */
Datum
customer_sales_final(PG_FUNCTION_ARGS)
{
	SalesScanState *st;
	Oid			rowtype;
	TupleDesc	tupdesc;
	Datum	   *rows;
	int32	   *days;
	int32	   *scratch;
	int64	   *start;
	int64		p,
				n = 0,
				most = 1;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SalesScanState *) PG_GETARG_POINTER(0);
	if (st->ncustomers == 0)
		PG_RETURN_NULL();
	if (st->ncustomers > (int64) (MaxAllocSize / sizeof(Datum)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("customer_sales_scan cannot return %lld customers in one array", (long long) st->ncustomers)));
	rowtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	if (!OidIsValid(rowtype))
		elog(ERROR, "customer_sales_final must return an array of a composite type");
	tupdesc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(rowtype, -1));
	days = distribute_log(st, &start);
	for (p = 0; p < st->ndirect + st->nothers; p++)
		most = Max(most, start[p + 1] - start[p]);
	scratch = (int32 *) palloc_extended(most * sizeof(int32), MCXT_ALLOC_HUGE);
	rows = (Datum *) palloc(st->ncustomers * sizeof(Datum));
	for (p = 0; p < st->ndirect + st->nothers; p++)
		if (p >= st->ndirect || slot_pos(st, p)->customer_id != NO_CUSTOMER)
			rows[n++] = slot_row(slot_pos(st, p), sum_pos(st, WIN_RECENT, p), sum_pos(st, WIN_YEAR_AGO, p),
								 days + start[p], start[p + 1] - start[p], scratch, tupdesc);
	get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
	PG_RETURN_ARRAYTYPE_P(construct_array(rows, (int) n, rowtype, typlen, typbyval, typalign));
}

/*-------------------------------------------------------------------------
 *
 * pace_lines.c
 *	  Aggregate pace_line_scan(sale_id, member_id, sold_on, amount, lo,
 *	  point_of_day, as_of, moved, split) -> pace_line_row[]: the pass over
 *	  the sales lines of pace to quota (issue 19, item 2).
 *
 * pace_points_sales credits the lines of several points (a period and an
 * as-of date each) to reps: every line summed as booked per (rep, point,
 * on or before the point's date, the day for a rep whose team changed),
 * then the split lines moved from the booked rep to the credited reps.  In
 * SQL that was a GROUP BY of four computed keys (two array subscripts and
 * an ANY per line) and a second pass -- a hash join of the window's lines
 * with sale_credit -- to find the split lines (bench/risk_profile.sh).  Here
 * one aggregate over the window's lines does both: per line it finds the
 * point of the day in point_of_day[sold_on - lo] (NULL or outside: the line
 * is not read), adds the amount to its booked sum (in whole hundredths,
 * cents_sum.h, so sums are sum()'s to the digit and scale), and, when the
 * line's sale_id is in split (the sale ids of sale_credit: a bitmap over
 * their range, or a hash set, built once), keeps the line itself for the
 * SQL to move.
 *
 * The result, as an array of pace_line_row (sale_id, member_id, k, in_date,
 * day, amount): the sums with sale_id NULL (day NULL unless the rep is in
 * moved), then the split lines with their sale_id, booked rep and sold_on.
 *
 * Parallel safe (no side effect, order-independent result); no combine
 * function, so a parallel plan aggregates in the leader.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "nodes/primnodes.h"
#include "nodes/pg_list.h"
#include "common/hashfn.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "metrics_glue.h"
#include "growable_array.h"
#include "cents_sum.h"

PG_FUNCTION_INFO_V1(pace_line_trans);
PG_FUNCTION_INFO_V1(pace_line_final);

/* The key of a booked sum: rep, point, to date (0 no, 1 yes, 2 NULL), day. */
typedef struct PaceKey
{
	int32		member_id;
	int32		k;
	int32		day;			/* DATEVAL_NOBEGIN: NULL (a rep who stayed) */
	int32		in_date;
} PaceKey;

typedef struct PaceSum
{
	PaceKey		key;
	char		status;
	CentsSum	sum;
} PaceSum;

#define SH_PREFIX		pacesum
#define SH_ELEMENT_TYPE PaceSum
#define SH_KEY_TYPE		PaceKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, key) hash_bytes((const unsigned char *) &(key), sizeof(PaceKey))
#define SH_EQUAL(tb, a, b) (memcmp(&(a), &(b), sizeof(PaceKey)) == 0)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct SplitId
{
	int64		sale_id;
	char		status;
} SplitId;

#define SH_PREFIX		splitset
#define SH_ELEMENT_TYPE SplitId
#define SH_KEY_TYPE		int64
#define SH_KEY			sale_id
#define SH_HASH_KEY(tb, key) hash_bytes_uint32((uint32) ((uint64) (key) ^ ((uint64) (key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* A split line kept for the SQL to move to its credited reps. */
typedef struct SplitLine
{
	PaceKey		key;			/* day is always sold_on */
	int64		sale_id;
	Datum		amount;			/* copied into the aggregate context */
} SplitLine;

typedef struct PaceScanState
{
	MemoryContext ctx;
	DateADT		lo;
	int			ndays;			/* point_of_day's length */
	int32	   *point;			/* point_of_day, 0 for NULL */
	int			npoints;		/* as_of's length */
	DateADT    *as_of;
	bool	   *as_of_null;
	int			nmoved;			/* moved, sorted */
	int32	   *moved;
	splitset_hash *split;		/* the split sale ids when they span too wide a range */
	uint64	   *split_bits;		/* else a bitmap of ids split_lo .. */
	int64		split_lo;
	int64		split_nbits;
	pacesum_hash *sums;
	int64		nlines;			/* split lines kept */
	int64		cap;
	SplitLine  *lines;
	bool		stable;			/* every argument but the line's is a constant or a parameter */
	Datum		args[4];		/* the array datums read, to notice a change */
} PaceScanState;

/* Argument positions (0 is the state). */
#define ARG_SALE	1
#define ARG_MEMBER	2
#define ARG_DAY		3
#define ARG_AMOUNT	4
#define ARG_LO		5
#define ARG_POINT	6
#define ARG_AS_OF	7
#define ARG_MOVED	8
#define ARG_SPLIT	9

static int
cmp_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* A one-dimensional array argument, not NULL (22004), else 22023. */
static ArrayType *
array_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	ArrayType  *a;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pace_line_scan %s must not be null", name)));
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pace_line_scan %s must be a one-dimensional array", name)));
	return a;
}

/* The elements of an int4, int8 or date array; NULL elements flagged. */
static void
array_elems(ArrayType *a, Oid elemtype, Datum **values, bool **nulls, int *n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(a, elemtype, typlen, typbyval, typalign, values, nulls, n);
}

/* point_of_day and as_of, in the state's context. */
static void
read_points(FunctionCallInfo fcinfo, PaceScanState *st)
{
	Datum	   *v;
	bool	   *nulls;
	int			i;

	array_elems(array_arg(fcinfo, ARG_POINT, "point_of_day"), INT4OID, &v, &nulls, &st->ndays);
	st->point = (int32 *) MemoryContextAlloc(st->ctx, Max(st->ndays, 1) * sizeof(int32));
	for (i = 0; i < st->ndays; i++)
		st->point[i] = nulls[i] ? 0 : DatumGetInt32(v[i]);
	array_elems(array_arg(fcinfo, ARG_AS_OF, "as_of"), DATEOID, &v, &nulls, &st->npoints);
	st->as_of = (DateADT *) MemoryContextAlloc(st->ctx, Max(st->npoints, 1) * sizeof(DateADT));
	st->as_of_null = (bool *) MemoryContextAlloc(st->ctx, Max(st->npoints, 1) * sizeof(bool));
	for (i = 0; i < st->npoints; i++)
	{
		st->as_of[i] = nulls[i] ? 0 : DatumGetDateADT(v[i]);
		st->as_of_null[i] = nulls[i];
	}
	for (i = 0; i < st->ndays; i++)
		if (st->point[i] < 0 || st->point[i] > st->npoints)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pace_line_scan point_of_day names point %d, but as_of has %d",
							st->point[i], st->npoints)));
}

/*
 * The split sale ids: a bitmap over their range when it spans at most 2^27
 * ids (16 MB; sale ids are an identity, so the ids of a year's split lines
 * are a dense range), which a line finds without a cache miss; else a hash set.
 */
static void
read_split(PaceScanState *st, Datum *v, bool *nulls, int n)
{
	int64		lo = PG_INT64_MAX,
				hi = PG_INT64_MIN;
	int			i;
	bool		found;

	for (i = 0; i < n; i++)
		if (!nulls[i])
		{
			lo = Min(lo, DatumGetInt64(v[i]));
			hi = Max(hi, DatumGetInt64(v[i]));
		}
	if (lo > hi || (hi - lo >= 0 && hi - lo < ((int64) 1 << 27)))
	{
		st->split_lo = lo > hi ? 0 : lo;
		st->split_nbits = lo > hi ? 0 : hi - lo + 1;
		st->split_bits = (uint64 *) MemoryContextAllocZero(st->ctx, (st->split_nbits / 64 + 1) * sizeof(uint64));
		for (i = 0; i < n; i++)
			if (!nulls[i])
			{
				int64		b = DatumGetInt64(v[i]) - st->split_lo;

				st->split_bits[b / 64] |= (uint64) 1 << (b % 64);
			}
		return;
	}
	st->split = splitset_create(st->ctx, Max(n, 16), NULL);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			splitset_insert(st->split, DatumGetInt64(v[i]), &found);
}

/* Whether sale_id is split. */
static inline bool
is_split(const PaceScanState *st, int64 sale_id)
{
	if (st->split_bits != NULL)
	{
		uint64		b = (uint64) sale_id - (uint64) st->split_lo;

		return b < (uint64) st->split_nbits && (st->split_bits[b / 64] & ((uint64) 1 << (b % 64))) != 0;
	}
	return splitset_lookup(st->split, sale_id) != NULL;
}

/* moved (sorted) and the split sale ids, NULL elements ignored. */
static void
read_sets(FunctionCallInfo fcinfo, PaceScanState *st)
{
	Datum	   *v;
	bool	   *nulls;
	int			n,
				i;

	array_elems(array_arg(fcinfo, ARG_MOVED, "moved"), INT4OID, &v, &nulls, &n);
	st->moved = (int32 *) MemoryContextAlloc(st->ctx, Max(n, 1) * sizeof(int32));
	st->nmoved = 0;
	for (i = 0; i < n; i++)
		if (!nulls[i])
			st->moved[st->nmoved++] = DatumGetInt32(v[i]);
	qsort(st->moved, st->nmoved, sizeof(int32), cmp_int32);
	array_elems(array_arg(fcinfo, ARG_SPLIT, "split"), INT8OID, &v, &nulls, &n);
	read_split(st, v, nulls, n);
}

/*
 * Whether lo and the arrays are constants or parameters of the query: then
 * the same datums come with every line and a changed pointer is a changed
 * value.  Otherwise (an expression per line, whose memory is reused from
 * line to line) the values are compared on every line.
 */
static bool
arguments_stable(FunctionCallInfo fcinfo)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	ListCell   *lc;
	int			i = 0;

	if (aggref == NULL)
		return false;
	foreach(lc, aggref->args)
	{
		Node	   *arg = (Node *) ((TargetEntry *) lfirst(lc))->expr;

		if (++i >= ARG_LO && !IsA(arg, Const) &&
			!(IsA(arg, Param) && ((Param *) arg)->paramkind == PARAM_EXTERN))
			return false;
	}
	return true;
}

/* A state in ctx: the days' points, the sets, empty sums. */
static PaceScanState *
state_new(FunctionCallInfo fcinfo, MemoryContext ctx)
{
	PaceScanState *st = (PaceScanState *) MemoryContextAllocZero(ctx, sizeof(PaceScanState));
	MemoryContext old = MemoryContextSwitchTo(ctx);
	int			i;

	st->ctx = ctx;
	if (PG_ARGISNULL(ARG_LO))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pace_line_scan lo must not be null")));
	st->lo = PG_GETARG_DATEADT(ARG_LO);
	if (DATE_NOT_FINITE(st->lo))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pace_line_scan lo must be a finite date")));
	read_points(fcinfo, st);
	read_sets(fcinfo, st);
	MemoryContextSwitchTo(old);
	st->sums = pacesum_create(ctx, 1024, NULL);
	st->cap = 64;
	st->lines = (SplitLine *) MemoryContextAlloc(ctx, st->cap * sizeof(SplitLine));
	for (i = 0; i < 4; i++)
		st->args[i] = PG_GETARG_DATUM(ARG_POINT + i);
	st->stable = arguments_stable(fcinfo);
	return st;
}

/* Whether two states hold the same split sale ids. */
static bool
split_same(const PaceScanState *a, const PaceScanState *b)
{
	if (a->split_bits != NULL && b->split_bits != NULL)
		return a->split_lo == b->split_lo && a->split_nbits == b->split_nbits &&
			memcmp(a->split_bits, b->split_bits, (a->split_nbits / 64 + 1) * sizeof(uint64)) == 0;
	if (a->split != NULL && b->split != NULL && a->split->members == b->split->members)
	{
		splitset_iterator it;
		SplitId    *e;

		splitset_start_iterate(a->split, &it);
		while ((e = splitset_iterate(a->split, &it)) != NULL)
			if (splitset_lookup(b->split, e->sale_id) == NULL)
				return false;
		return true;
	}
	return false;
}

/*
 * The arguments after the first line: the same datums (a constant or a
 * parameter of the call), or else the same values -- 22023 when they differ.
 */
static void
check_same(FunctionCallInfo fcinfo, PaceScanState *st)
{
	PaceScanState *again;
	MemoryContext tmp;
	int			i;
	bool		same;

	for (i = 0; i < 4; i++)
		if (PG_ARGISNULL(ARG_POINT + i) || PG_GETARG_DATUM(ARG_POINT + i) != st->args[i])
			break;
	if (st->stable && i == 4 && !PG_ARGISNULL(ARG_LO) && PG_GETARG_DATEADT(ARG_LO) == st->lo)
		return;
	tmp = AllocSetContextCreate(CurrentMemoryContext, "pace_line_scan check", ALLOCSET_DEFAULT_SIZES);
	again = state_new(fcinfo, tmp);
	same = again->lo == st->lo && again->ndays == st->ndays && again->npoints == st->npoints &&
		again->nmoved == st->nmoved && split_same(again, st) &&
		memcmp(again->point, st->point, st->ndays * sizeof(int32)) == 0 &&
		memcmp(again->as_of, st->as_of, st->npoints * sizeof(DateADT)) == 0 &&
		memcmp(again->as_of_null, st->as_of_null, st->npoints * sizeof(bool)) == 0 &&
		memcmp(again->moved, st->moved, st->nmoved * sizeof(int32)) == 0;
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pace_line_scan lo, point_of_day, as_of, moved and split must be the same on every line")));
	MemoryContextDelete(tmp);
}


/* Keeps a split line (its amount copied: the row's memory is the scan's). */
static void
keep_split(PaceScanState *st, const PaceKey *key, int64 sale_id, Datum amount)
{
	SplitLine  *l;
	MemoryContext old;

	if (st->nlines == st->cap)
		st->lines = (SplitLine *) growable_reserve(st->lines, &st->cap, st->nlines + 1, sizeof(SplitLine),
												   "pace_line_scan", "split lines");
	l = &st->lines[st->nlines++];
	l->key = *key;
	l->sale_id = sale_id;
	old = MemoryContextSwitchTo(st->ctx);
	l->amount = datumCopy(amount, false, -1);
	MemoryContextSwitchTo(old);
}

/*
 * Transition: one line.  A line with a NULL member, day or amount, or whose
 * day has no point, is not read; an infinite day is 22023.
 */
Datum
pace_line_trans(PG_FUNCTION_ARGS)
{
	PaceScanState *st = PG_ARGISNULL(0) ? NULL : (PaceScanState *) PG_GETARG_POINTER(0);
	PaceKey		key;
	PaceSum    *sum;
	DateADT		day;
	int64		idx;
	bool		found;
	int32		member;

	if (st == NULL)
		st = state_new(fcinfo, aggregate_context(fcinfo, "pace_line_trans"));
	else
		check_same(fcinfo, st);
	if (PG_ARGISNULL(ARG_MEMBER) || PG_ARGISNULL(ARG_DAY) || PG_ARGISNULL(ARG_AMOUNT))
		PG_RETURN_POINTER(st);
	day = PG_GETARG_DATEADT(ARG_DAY);
	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pace_line_scan sale day must be a finite date")));
	idx = (int64) day - st->lo;
	if (idx < 0 || idx >= st->ndays || st->point[idx] == 0)
		PG_RETURN_POINTER(st);
	member = PG_GETARG_INT32(ARG_MEMBER);
	memset(&key, 0, sizeof(key));
	key.member_id = member;
	key.k = st->point[idx];
	key.in_date = st->as_of_null[key.k - 1] ? 2 : (day <= st->as_of[key.k - 1] ? 1 : 0);
	key.day = bsearch(&member, st->moved, st->nmoved, sizeof(int32), cmp_int32) ? day : DATEVAL_NOBEGIN;
	sum = pacesum_insert(st->sums, key, &found);
	if (!found)
		cents_sum_init(&sum->sum);
	cents_sum_add(fcinfo, &sum->sum, PG_GETARG_DATUM(ARG_AMOUNT));
	if (!PG_ARGISNULL(ARG_SALE) && is_split(st, PG_GETARG_INT64(ARG_SALE)))
	{
		key.day = day;
		keep_split(st, &key, PG_GETARG_INT64(ARG_SALE), PG_GETARG_DATUM(ARG_AMOUNT));
	}
	PG_RETURN_POINTER(st);
}

/* One pace_line_row: sale_id (NULL for a sum), member_id, k, in_date, day, amount. */
static Datum
make_row(TupleDesc tupdesc, const PaceKey *key, bool is_line, int64 sale_id, Datum amount)
{
	Datum		values[6];
	bool		nulls[6] = {!is_line, false, false, key->in_date == 2, key->day == DATEVAL_NOBEGIN, false};

	values[0] = Int64GetDatum(sale_id);
	values[1] = Int32GetDatum(key->member_id);
	values[2] = Int32GetDatum(key->k);
	values[3] = BoolGetDatum(key->in_date == 1);
	values[4] = DateADTGetDatum(key->day);
	values[5] = amount;
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}


/*
 * Final: the booked sums (sale_id NULL), then the split lines, as an array
 * of pace_line_row; NULL when no line was read.
 */
Datum
pace_line_final(PG_FUNCTION_ARGS)
{
	PaceScanState *st;
	Oid			rowtype;
	TupleDesc	tupdesc;
	pacesum_iterator it;
	PaceSum    *sum;
	Datum	   *rows;
	uint64		total;
	int64		i,
				n = 0;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (PaceScanState *) PG_GETARG_POINTER(0);
	total = st->sums->members + (uint64) st->nlines;
	if (total == 0)
		PG_RETURN_NULL();
	if (total > (uint64) MaxAllocSize / sizeof(Datum))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pace_line_scan cannot return %llu rows in one array", (unsigned long long) total)));
	rowtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	if (!OidIsValid(rowtype))
		elog(ERROR, "pace_line_final must return an array of a composite type");
	tupdesc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(rowtype, -1));
	rows = (Datum *) palloc(total * sizeof(Datum));
	pacesum_start_iterate(st->sums, &it);
	while ((sum = pacesum_iterate(st->sums, &it)) != NULL)
		rows[n++] = make_row(tupdesc, &sum->key, false, 0, cents_sum_value(&sum->sum));
	for (i = 0; i < st->nlines; i++)
		rows[n++] = make_row(tupdesc, &st->lines[i].key, true, st->lines[i].sale_id, st->lines[i].amount);
	get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
	PG_RETURN_ARRAYTYPE_P(construct_array(rows, (int) n, rowtype, typlen, typbyval, typalign));
}

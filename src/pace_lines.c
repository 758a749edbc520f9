/*-------------------------------------------------------------------------
 *
 * pace_lines.c
 *	  Aggregate pace_line_scan(sale_id, member_id, sold_on, amount, lo,
 *	  point_of_day, as_of, moved, credits) -> pace_line_row[]: the pass over
 *	  the sales lines of pace to quota (issue 19, item 2); and the aggregate
 *	  pace_credit_rows(sale_id, member_id, share) -> bytea that packs the
 *	  credit rows it reads.
 *
 * pace_points_sales credits the lines of several points (a period and an
 * as-of date each) to reps, as credited_sales credits them: per (rep,
 * point, on or before the point's date, the day for a rep whose team
 * changed).  In SQL that was a GROUP BY of four computed keys and a second
 * phase for the split lines -- joined with sale_credit, credited in cents by
 * the allocate_quota window function, moved from the booked rep to the
 * credited reps and summed again (bench/risk_profile.sh).  Here one
 * aggregate over the window's lines does all of it: per line it finds the
 * point of the day in point_of_day[sold_on - lo] (NULL or outside: the line
 * is not read); a line whose sale has credit rows (the rows of sale_credit,
 * packed sorted by the aggregate pace_credit_rows, read once with a bitmap
 * or hash set of their sale ids) is split in exact cents there, with
 * allocate_quota's rule, and each rep's cents added to that rep's sum; any
 * other line's amount is added to its booked rep's sum (in whole
 * hundredths, cents_sum.h, so sums are sum()'s to the digit and scale).
 *
 * The result, as an array of pace_line_row (member_id, k, in_date, day,
 * amount): one row per sum (day NULL unless the rep is in moved).
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

PG_FUNCTION_INFO_V1(pace_credit_trans);
PG_FUNCTION_INFO_V1(pace_credit_final);
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

/*
 * One sale_credit row: the sale, a credited rep and the rep's share in
 * hundredths of a percent (share_pct x 100).  Sorted by sale, then rep: a
 * sale's rows are one run, in the order allocate_quota's window reads them.
 */
typedef struct Credit
{
	int64		sale_id;
	int32		member_id;
	int32		weight;
} Credit;

/* A credited rep with a fraction of a cent left, for the largest remainders. */
typedef struct CentRank
{
	int64		rem;
	int32		weight;
	int32		row;
} CentRank;

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
	int			ncredits;		/* the credit rows, sorted */
	Credit	   *credits;
	int			maxrun;			/* the most rows of one sale */
	int64	   *cents;			/* room for one sale's shares ... */
	CentRank   *rank;			/* ... and its remainders */
	splitset_hash *split;		/* the split sale ids when they span too wide a range */
	uint64	   *split_bits;		/* else a bitmap of ids split_lo .. */
	int64		split_lo;
	int64		split_nbits;
	pacesum_hash *sums;			/* the sums of reps in moved (and of ids beyond dense) */
	CentsSum   *dense;			/* the others: [(member * npoints + k - 1) * 3 + in_date] */
	int32		ndense;			/* members dense holds room for: 0 .. ndense - 1 */
	bool		stable;			/* every argument but the line's is a constant or a parameter */
	Datum		args[6];		/* the array datums read, to notice a change */
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
#define ARG_CREDITS 9
#define NARRAYS		4			/* ARG_POINT .. ARG_CREDITS */

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
 * The split sale ids (those of the credit rows): a bitmap over their range
 * when it spans at most 2^27 ids (16 MB; sale ids are an identity, so the
 * ids of a year's split lines are a dense range), which a line finds without
 * a cache miss; else a hash set.
 */
static void
read_split(PaceScanState *st)
{
	int64		lo = st->ncredits > 0 ? st->credits[0].sale_id : 0,
				hi = st->ncredits > 0 ? st->credits[st->ncredits - 1].sale_id : -1;
	int			i;
	bool		found;

	if (lo > hi || (hi - lo >= 0 && hi - lo < ((int64) 1 << 27)))
	{
		st->split_lo = lo;
		st->split_nbits = hi - lo + 1;
		st->split_bits = (uint64 *) MemoryContextAllocZero(st->ctx, (st->split_nbits / 64 + 1) * sizeof(uint64));
		for (i = 0; i < st->ncredits; i++)
		{
			int64		b = st->credits[i].sale_id - lo;

			st->split_bits[b / 64] |= (uint64) 1 << (b % 64);
		}
		return;
	}
	st->split = splitset_create(st->ctx, Max(st->ncredits, 16), NULL);
	for (i = 0; i < st->ncredits; i++)
		splitset_insert(st->split, st->credits[i].sale_id, &found);
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

static int
cmp_credit(const void *a, const void *b)
{
	const Credit *x = (const Credit *) a,
			   *y = (const Credit *) b;

	if (x->sale_id != y->sale_id)
		return x->sale_id < y->sale_id ? -1 : 1;
	return (x->member_id > y->member_id) - (x->member_id < y->member_id);
}

/*
 * pace_credit_rows(sale_id, member_id, share) -> bytea: the rows of
 * sale_credit packed for pace_line_scan, one Credit (16 bytes, this
 * server's byte order) each, sorted by sale and rep.  An aggregate and not
 * three array_agg()s: arrays of 600 000 numerics cost a third of pace to
 * quota (bench/risk_profile.sh).
 */
typedef struct CreditRows
{
	int64		n;
	int64		cap;
	bool		sorted;			/* appended in (sale, rep) order so far */
	Credit	   *rows;
} CreditRows;

/*
 * A share_pct as whole hundredths of a percent: 0 < share <= 100 with at
 * most two decimals (sale_credit.share_pct is numeric(5,2)), else 22023.
 */
static int32
share_weight(Datum share)
{
	struct varlena *v = (struct varlena *) PG_DETOAST_DATUM_PACKED(share);
	int64		cents;
	int			dscale;

	if (!numeric_cents_read((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &cents, &dscale) ||
		cents <= 0 || cents > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pace_credit_rows share must be above 0 and at most 100 with at most two decimals, got %s",
						DatumGetCString(DirectFunctionCall1(numeric_out, share)))));
	return (int32) cents;
}

/* Transition: one credit row (a NULL is 22004, a share out of range 22023). */
Datum
pace_credit_trans(PG_FUNCTION_ARGS)
{
	CreditRows *st = PG_ARGISNULL(0) ? NULL : (CreditRows *) PG_GETARG_POINTER(0);
	MemoryContext ctx = aggregate_context(fcinfo, "pace_credit_trans");
	Credit		c;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pace_credit_rows sale_id, member_id and share must not be null")));
	if (st == NULL)
	{
		st = (CreditRows *) MemoryContextAllocZero(ctx, sizeof(CreditRows));
		st->cap = 1024;
		st->sorted = true;
		st->rows = (Credit *) MemoryContextAllocHuge(ctx, st->cap * sizeof(Credit));
	}
	c.sale_id = PG_GETARG_INT64(1);
	c.member_id = PG_GETARG_INT32(2);
	c.weight = share_weight(PG_GETARG_DATUM(3));
	if (st->n == st->cap)
		st->rows = (Credit *) growable_reserve(st->rows, &st->cap, st->n + 1, sizeof(Credit),
											   "pace_credit_rows", "credit rows");
	if (st->n > 0 && cmp_credit(&st->rows[st->n - 1], &c) > 0)
		st->sorted = false;
	st->rows[st->n++] = c;
	PG_RETURN_POINTER(st);
}

/*
 * Final: the rows sorted (in place: FINALFUNC_MODIFY = READ_WRITE) as one
 * bytea, empty without a row; a rep twice on a sale is 22023.
 */
Datum
pace_credit_final(PG_FUNCTION_ARGS)
{
	CreditRows *st = PG_ARGISNULL(0) ? NULL : (CreditRows *) PG_GETARG_POINTER(0);
	bytea	   *out;
	int64		i,
				n = st == NULL ? 0 : st->n;

	if (n > 0 && !st->sorted)
		qsort(st->rows, n, sizeof(Credit), cmp_credit);
	for (i = 1; i < n; i++)
		if (cmp_credit(&st->rows[i - 1], &st->rows[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pace_credit_rows credits rep %d twice on sale %lld",
							st->rows[i].member_id, (long long) st->rows[i].sale_id)));
	if ((Size) n > (MaxAllocSize - VARHDRSZ) / sizeof(Credit))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pace_credit_rows cannot pack %lld rows in one value", (long long) n)));
	out = (bytea *) palloc(VARHDRSZ + n * sizeof(Credit));
	SET_VARSIZE(out, VARHDRSZ + n * sizeof(Credit));
	if (n > 0)
		memcpy(VARDATA(out), st->rows, n * sizeof(Credit));
	PG_RETURN_BYTEA_P(out);
}

/*
 * The credit rows from credits (pace_credit_rows()'s bytea), copied into
 * the state's memory and checked as if any bytea could come: whole rows,
 * strictly ascending by (sale, rep), weights within 1 .. 10000 (22023); the
 * most rows of one sale sizes the room to split a line in.
 */
static void
read_credits(FunctionCallInfo fcinfo, PaceScanState *st)
{
	bytea	   *b;
	Size		len;
	int64		i,
				run = 0;

	if (PG_ARGISNULL(ARG_CREDITS))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pace_line_scan credits must not be null")));
	b = PG_GETARG_BYTEA_PP(ARG_CREDITS);
	len = VARSIZE_ANY_EXHDR(b);
	if (len % sizeof(Credit) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pace_line_scan credits must be pace_credit_rows() of the credit rows, got %zu bytes", len)));
	st->ncredits = (int) (len / sizeof(Credit));
	st->credits = (Credit *) MemoryContextAllocHuge(st->ctx, Max(len, sizeof(Credit)));
	memcpy(st->credits, VARDATA_ANY(b), len);
	for (i = 0; i < st->ncredits; i++)
	{
		const Credit *c = &st->credits[i];

		if (c->weight <= 0 || c->weight > 10000 || (i > 0 && cmp_credit(c - 1, c) >= 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pace_line_scan credits must be pace_credit_rows() of the credit rows, row %lld is not",
							(long long) i + 1)));
		run = (i > 0 && c->sale_id == c[-1].sale_id) ? run + 1 : 1;
		st->maxrun = (int) Max(st->maxrun, run);
	}
	st->cents = (int64 *) MemoryContextAlloc(st->ctx, Max(st->maxrun, 1) * sizeof(int64));
	st->rank = (CentRank *) MemoryContextAlloc(st->ctx, Max(st->maxrun, 1) * sizeof(CentRank));
	read_split(st);
}

/* moved (sorted), NULL elements ignored. */
static void
read_moved(FunctionCallInfo fcinfo, PaceScanState *st)
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

/*
 * A state in ctx: the days' points, the moved reps, the credits, empty
 * sums.  The arrays are read in the call's memory (reset after the line):
 * only what the state needs is kept in ctx.
 */
static PaceScanState *
state_new(FunctionCallInfo fcinfo, MemoryContext ctx)
{
	PaceScanState *st = (PaceScanState *) MemoryContextAllocZero(ctx, sizeof(PaceScanState));
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
	read_moved(fcinfo, st);
	read_credits(fcinfo, st);
	st->sums = pacesum_create(ctx, 1024, NULL);
	for (i = 0; i < NARRAYS; i++)
		st->args[i] = PG_GETARG_DATUM(ARG_POINT + i);
	st->stable = arguments_stable(fcinfo);
	return st;
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

	for (i = 0; i < NARRAYS; i++)
		if (PG_ARGISNULL(ARG_POINT + i) || PG_GETARG_DATUM(ARG_POINT + i) != st->args[i])
			break;
	if (st->stable && i == NARRAYS && !PG_ARGISNULL(ARG_LO) && PG_GETARG_DATEADT(ARG_LO) == st->lo)
		return;
	tmp = AllocSetContextCreate(CurrentMemoryContext, "pace_line_scan check", ALLOCSET_DEFAULT_SIZES);
	again = state_new(fcinfo, tmp);
	same = again->lo == st->lo && again->ndays == st->ndays && again->npoints == st->npoints &&
		again->nmoved == st->nmoved && again->ncredits == st->ncredits &&
		memcmp(again->point, st->point, st->ndays * sizeof(int32)) == 0 &&
		memcmp(again->as_of, st->as_of, st->npoints * sizeof(DateADT)) == 0 &&
		memcmp(again->as_of_null, st->as_of_null, st->npoints * sizeof(bool)) == 0 &&
		memcmp(again->moved, st->moved, st->nmoved * sizeof(int32)) == 0 &&
		memcmp(again->credits, st->credits, st->ncredits * sizeof(Credit)) == 0;
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pace_line_scan lo, point_of_day, as_of, moved and credits must be the same on every line")));
	MemoryContextDelete(tmp);
}

/* Slots dense may hold at most (32 MB of sums, a few hundred bytes a rep). */
#define DENSE_MAX_SLOTS ((int64) 32 * 1024 * 1024 / (int64) sizeof(CentsSum))

/*
 * Room in dense for member ids 0 .. member: doubled (new sums empty);
 * false when that passes DENSE_MAX_SLOTS (the hash table keeps the rep).
 */
static bool
dense_reserve(PaceScanState *st, int32 member)
{
	int64		per = (int64) st->npoints * 3,
				n = Max((int64) st->ndense * 2, 1024),
				i;

	while (n <= member)
		n *= 2;
	if (n * per > DENSE_MAX_SLOTS)
		n = DENSE_MAX_SLOTS / per;
	if (n <= member)
		return false;
	if (st->dense == NULL)
		st->dense = (CentsSum *) MemoryContextAllocHuge(st->ctx, n * per * sizeof(CentsSum));
	else
		st->dense = (CentsSum *) repalloc_huge(st->dense, n * per * sizeof(CentsSum));
	for (i = st->ndense * per; i < n * per; i++)
		cents_sum_init(&st->dense[i]);
	st->ndense = (int32) n;
	return true;
}

/*
 * The sum of key, created empty (no line) when new: for a rep who stayed
 * (no day) with a small id the slot of dense, found by arithmetic, else
 * the hash table's (a hash of the key per line cost a tenth of the pass).
 */
static inline CentsSum *
sum_of(PaceScanState *st, const PaceKey *key)
{
	bool		found;
	PaceSum    *sum;

	if (key->day == DATEVAL_NOBEGIN && key->member_id >= 0 &&
		(key->member_id < st->ndense || dense_reserve(st, key->member_id)))
		return &st->dense[((int64) key->member_id * st->npoints + key->k - 1) * 3 + key->in_date];
	sum = pacesum_insert(st->sums, *key, &found);
	if (!found)
		cents_sum_init(&sum->sum);
	return &sum->sum;
}

/* largest remainder first; ties: larger weight, then the lower rep (earlier row) */
static int
cmp_rank(const void *a, const void *b)
{
	const CentRank *x = (const CentRank *) a,
			   *y = (const CentRank *) b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

/*
 * allocate_quota(total, share, 0.01) over one sale's rows c[0..n-1] (by
 * rep), in cents, into st->cents: each share floor(total x w / sum w), the
 * cents left over one each to the largest remainders (total x w mod sum w),
 * ties to the larger share, then the lower rep -- src/core/apportion.c's
 * rule without bounds (its weights scaled to integers by a common power of
 * ten, which scales every remainder alike, so the order is the same).
 */
static void
allocate_cents(PaceScanState *st, const Credit *c, int n, uint64 total)
{
	int64		sumw = 0,
				given = 0,
				ncand = 0;
	int			i;

	for (i = 0; i < n; i++)
		sumw += c[i].weight;
	for (i = 0; i < n; i++)
	{
		uint128		x = (uint128) total * (uint64) c[i].weight;

		st->cents[i] = (int64) (x / (uint64) sumw);
		given += st->cents[i];
		if (x % (uint64) sumw != 0)
		{
			st->rank[ncand].rem = (int64) (x % (uint64) sumw);
			st->rank[ncand].weight = c[i].weight;
			st->rank[ncand].row = i;
			ncand++;
		}
	}
	if ((int64) total - given > ncand)
		elog(ERROR, "pace_line_scan: remainders do not add up");
	if ((int64) total > given)
		qsort(st->rank, ncand, sizeof(CentRank), cmp_rank);
	for (i = 0; i < (int64) total - given; i++)
		st->cents[st->rank[i].row]++;
}

/*
 * A split line: credited, as credited_sales credits it, to the reps of its
 * sale's credit rows -- sign(amount) x allocate_quota(|amount|, share, 0.01)
 * each, by rep -- instead of the rep it is booked to, whose sum is still
 * created (the amount added and taken away: 0, with the amount's scale),
 * as the SQL that moved split lines left it.  An amount that is not whole
 * cents is 22023 (allocate_quota: not a multiple of the unit).
 */
static void
credit_line(FunctionCallInfo fcinfo, PaceScanState *st, PaceKey *key, int64 sale_id, Datum amount)
{
	struct varlena *v = (struct varlena *) PG_DETOAST_DATUM_PACKED(amount);
	int64		cents;
	int			dscale,
				lo = 0,
				hi = st->ncredits,
				i,
				n;
	DateADT		day = key->day;

	if (!numeric_cents_read((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &cents, &dscale))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pace_line_scan split line amount %s is not whole cents",
						DatumGetCString(DirectFunctionCall1(numeric_out, amount)))));
	while (lo < hi)				/* the sale's first credit row */
	{
		int			mid = lo + (hi - lo) / 2;

		if (st->credits[mid].sale_id < sale_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (n = 0; lo + n < st->ncredits && st->credits[lo + n].sale_id == sale_id; n++)
		;
	key->day = bsearch(&key->member_id, st->moved, st->nmoved, sizeof(int32), cmp_int32) ? day : DATEVAL_NOBEGIN;
	cents_sum_add_cents(fcinfo, sum_of(st, key), 0, dscale);
	allocate_cents(st, &st->credits[lo], n, (uint64) (cents < 0 ? -cents : cents));
	for (i = 0; i < n; i++)
	{
		key->member_id = st->credits[lo + i].member_id;
		key->day = bsearch(&key->member_id, st->moved, st->nmoved, sizeof(int32), cmp_int32) ? day : DATEVAL_NOBEGIN;
		cents_sum_add_cents(fcinfo, sum_of(st, key), cents < 0 ? -st->cents[i] : st->cents[i], 2);
	}
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
	DateADT		day;
	int64		idx;
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
	key.day = day;
	if (!PG_ARGISNULL(ARG_SALE) && is_split(st, PG_GETARG_INT64(ARG_SALE)))
	{
		credit_line(fcinfo, st, &key, PG_GETARG_INT64(ARG_SALE), PG_GETARG_DATUM(ARG_AMOUNT));
		PG_RETURN_POINTER(st);
	}
	key.day = bsearch(&member, st->moved, st->nmoved, sizeof(int32), cmp_int32) ? day : DATEVAL_NOBEGIN;
	cents_sum_add(fcinfo, sum_of(st, &key), PG_GETARG_DATUM(ARG_AMOUNT));
	PG_RETURN_POINTER(st);
}

/* One pace_line_row: member_id, k, in_date, day, amount. */
static Datum
make_row(TupleDesc tupdesc, const PaceKey *key, Datum amount)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, key->in_date == 2, key->day == DATEVAL_NOBEGIN, false};

	values[0] = Int32GetDatum(key->member_id);
	values[1] = Int32GetDatum(key->k);
	values[2] = BoolGetDatum(key->in_date == 1);
	values[3] = DateADTGetDatum(key->day);
	values[4] = amount;
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * Final: the credited sums (the hash table's, then dense's) as an array of
 * pace_line_row; NULL when no line was read.
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
	total = st->sums->members;
	for (i = 0; i < (int64) st->ndense * st->npoints * 3; i++)
		total += st->dense[i].dscale >= 0;
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
		rows[n++] = make_row(tupdesc, &sum->key, cents_sum_value(&sum->sum));
	for (i = 0; i < (int64) st->ndense * st->npoints * 3; i++)
		if (st->dense[i].dscale >= 0)
		{
			PaceKey		key = {(int32) (i / (st->npoints * 3)), (int32) (i / 3 % st->npoints) + 1, DATEVAL_NOBEGIN,
			(int32) (i % 3)};

			rows[n++] = make_row(tupdesc, &key, cents_sum_value(&st->dense[i]));
		}
	get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
	PG_RETURN_ARRAYTYPE_P(construct_array(rows, (int) n, rowtype, typlen, typbyval, typalign));
}

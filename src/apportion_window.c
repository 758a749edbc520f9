/*-------------------------------------------------------------------------
 *
 * apportion_window.c
 *	  Window functions on the apportionment core:
 *	  allocate_quota(total, weight [, unit [, lower, upper]]) OVER (...)
 *	  grade_by_distribution(grades text[], shares numeric[]) OVER (...)
 *
 * Both follow windowfuncs.c's ntile/rank pattern: on the first row of a
 * partition they read what they need, compute the whole partition's answer
 * once and keep it in WinGetPartitionLocalMemory; every row is then answered
 * from that cache by its position.  The cache lives in the partition's
 * memory context, which the executor resets at the next partition, so the
 * memory held is bounded by the largest partition, never by the table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "windowapi.h"

#include "apportion_glue.h"

PG_FUNCTION_INFO_V1(allocate_quota_window);
PG_FUNCTION_INFO_V1(grade_by_distribution);

/* one row's answer */
typedef struct AqEntry
{
	int64		units;
	bool		isnull;
} AqEntry;

/* allocate_quota's per-partition cache */
typedef struct AqCache
{
	bool		computed;
	bool		allnull;		/* total or unit is NULL: every row NULL */
	bool		total_null;		/* row 1's total and unit, to check the */
	bool		unit_null;		/* other rows against */
	Datum		total;
	Datum		unit_datum;
	ApNum		unit;
	AqEntry		rows[FLEXIBLE_ARRAY_MEMBER];
} AqCache;

/*
 * Are two numerics (either may be NULL) the same value?  Identical bytes are
 * the fast path; otherwise numeric_cmp, so 100 and 100.00 are equal.
 */
static bool
same_numeric(Datum a, bool anull, Datum b, bool bnull)
{
	if (anull || bnull)
		return anull == bnull;
	if (datumIsEqual(a, b, false, -1))
		return true;
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b)) == 0;
}

/*
 * Remember the partition's total or unit (argument argno) as row 1 has it,
 * copied into the partition's memory; returns its text, NULL when NULL.
 */
static char *
first_constant(WindowObject winobj, int argno, Datum *keep, bool *keepnull)
{
	Datum		v = WinGetFuncArgCurrent(winobj, argno, keepnull);

	if (*keepnull)
		return NULL;
	*keep = datumCopy(v, false, -1);
	return ap_numeric_text(v);
}

/*
 * Check that the current row passes the same total or unit as row 1.  Done
 * as each row is answered (the current row's argument is at hand, so this
 * costs no extra tuple fetch); a partition with a differing row fails when
 * that row comes, before the query can complete.
 */
static void
check_constant(WindowObject winobj, int argno, Datum keep, bool keepnull,
			   int64 pos, const char *what)
{
	bool		isnull;
	Datum		v = WinGetFuncArgCurrent(winobj, argno, &isnull);

	if (!same_numeric(keep, keepnull, v, isnull))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocate_quota %s must be the same on every row of a partition, got %s and %s",
						what, keepnull ? "NULL" : ap_numeric_text(keep),
						isnull ? "NULL" : ap_numeric_text(v)),
				 errdetail("Row 1 and row %lld of the partition differ.",
						   (long long) pos + 1)));
}

/*
 * Read the partition (on its first row) and apportion it into cache.
 */
static void
allocate_partition(WindowObject winobj, int nargs, int64 n, AqCache *cache)
{
	MemoryContext old;
	const char *total,
			   *unit = "1";
	const char **weights,
			  **lower = NULL,
			  **upper = NULL;
	ApInput		in;
	ApRow	   *rows;
	void	   *work;
	int64	   *units;
	bool	   *isnull;
	ApError		err;

	old = MemoryContextSwitchTo(GetMemoryChunkContext(cache));
	total = first_constant(winobj, 0, &cache->total, &cache->total_null);
	if (nargs >= 3)
		unit = first_constant(winobj, 2, &cache->unit_datum,
							  &cache->unit_null);
	MemoryContextSwitchTo(old);
	if (total == NULL || unit == NULL)
	{
		cache->allnull = true;
		return;
	}

	weights = palloc(sizeof(char *) * n);
	if (nargs >= 5)
	{
		lower = palloc(sizeof(char *) * n);
		upper = palloc(sizeof(char *) * n);
	}
	for (int64 i = 0; i < n; i++)
	{
		bool		null,
					isout;
		Datum		v;

		/* the Datum may point into the fetched tuple: convert at once */
		v = WinGetFuncArgInPartition(winobj, 1, i, WINDOW_SEEK_HEAD, false,
									 &null, &isout);
		weights[i] = null ? NULL : ap_numeric_text(v);
		if (nargs >= 5)
		{
			v = WinGetFuncArgInPartition(winobj, 3, i, WINDOW_SEEK_HEAD, false,
										 &null, &isout);
			lower[i] = null ? NULL : ap_numeric_text(v);
			v = WinGetFuncArgInPartition(winobj, 4, i, WINDOW_SEEK_HEAD, false,
										 &null, &isout);
			upper[i] = null ? NULL : ap_numeric_text(v);
		}
	}

	in.fname = "allocate_quota";
	in.wname = "weight";
	in.n = n;
	in.total = total;
	in.unit = unit;
	in.weights = weights;
	in.lower = lower;
	in.upper = upper;
	rows = palloc(sizeof(ApRow) * n);
	work = palloc(ap_workspace_size(n));
	units = palloc(sizeof(int64) * n);
	isnull = palloc(sizeof(bool) * n);
	if (ap_allocate(&in, rows, work, units, isnull, &cache->unit, &err) != AP_OK)
		ap_report(&err);
	for (int64 i = 0; i < n; i++)
	{
		cache->rows[i].units = units[i];
		cache->rows[i].isnull = isnull[i];
	}
}

/*
 * allocate_quota(total, weight [, unit [, lower, upper]]) OVER (...)
 *
 * The same apportionment as the array form, per partition: total and unit
 * must be equal on every row, lower/upper are per row, a NULL weight gets
 * NULL and takes no share.  Ties go to the earlier row in window order (so
 * an ORDER BY makes them deterministic).  Not STRICT: NULLs are meaningful.
 */
Datum
allocate_quota_window(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	int64		n = WinGetPartitionRowCount(winobj);
	int64		pos;
	AqCache    *cache;

	if ((uint64) n > (MaxAllocSize - offsetof(AqCache, rows)) / sizeof(AqEntry))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("allocate_quota partition of %lld rows is too large",
						(long long) n)));
	cache = (AqCache *)
		WinGetPartitionLocalMemory(winobj,
								   offsetof(AqCache, rows) + n * sizeof(AqEntry));
	if (!cache->computed)
	{
		allocate_partition(winobj, PG_NARGS(), n, cache);
		cache->computed = true;
	}
	pos = WinGetCurrentPosition(winobj);
	if (pos > 0)
	{
		check_constant(winobj, 0, cache->total, cache->total_null, pos, "total");
		if (PG_NARGS() >= 3)
			check_constant(winobj, 2, cache->unit_datum, cache->unit_null, pos,
						   "unit");
	}
	if (cache->allnull || cache->rows[pos].isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(ap_share_datum(cache->rows[pos].units, &cache->unit,
								   cache->unit.dscale));
}

/* grade_by_distribution's per-partition cache */
typedef struct GbdCache
{
	bool		computed;
	bool		allnull;		/* grades or shares NULL */
	int			ngrades;
	int64	   *cum;			/* rows covered by grades 0..g */
	text	  **grades;
	Datum		grades_datum;	/* copies, to check every row passes the same */
	Datum		shares_datum;
	FmgrInfo	array_eq;
	int			group_grade;	/* grade of the current peer group */
} GbdCache;

/*
 * Check one of grade_by_distribution's arrays: one-dimensional, not empty,
 * no NULL element.  Returns its elements.
 */
static Datum *
gbd_elements(Datum arrd, Oid elemtype, int16 typlen, bool byval, char align,
			 const char *what, int *n)
{
	ArrayType  *arr = DatumGetArrayTypeP(arrd);
	Datum	   *elems;
	bool	   *nulls;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grade_by_distribution %s must be a one-dimensional array, got %d dimensions",
						what, ARR_NDIM(arr))));
	deconstruct_array(arr, elemtype, typlen, byval, align, &elems, &nulls, n);
	if (*n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grade_by_distribution %s must not be empty", what)));
	for (int i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("grade_by_distribution %s must not contain NULL, got NULL at position %d",
							what, i + 1)));
	return elems;
}

/*
 * Set up a partition: counts per grade = allocate_quota(N, shares) at unit 1,
 * on the same core, so ties go to the larger share, then the earlier grade.
 */
static void
gbd_setup(WindowObject winobj, GbdCache *cache, Datum grades, Datum shares)
{
	MemoryContext partcxt = GetMemoryChunkContext(cache);
	int64		n = WinGetPartitionRowCount(winobj);
	Datum	   *gel,
			   *sel;
	int			ng,
				ns;
	const char **stext;
	char		total[32];
	ApInput		in;
	ApRow	   *rows;
	void	   *work;
	int64	   *units;
	bool	   *isnull;
	ApNum		unit;
	ApError		err;
	int64		acc = 0;

	gel = gbd_elements(grades, TEXTOID, -1, false, TYPALIGN_INT, "grades", &ng);
	sel = gbd_elements(shares, NUMERICOID, -1, false, TYPALIGN_INT, "shares", &ns);
	if (ng != ns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grade_by_distribution has %d grades but %d shares", ng, ns),
				 errhint("Give one share per grade, in the same order.")));

	stext = palloc(sizeof(char *) * ns);
	for (int i = 0; i < ns; i++)
		stext[i] = ap_numeric_text(sel[i]);
	snprintf(total, sizeof(total), "%lld", (long long) n);
	in.fname = "grade_by_distribution";
	in.wname = "share";
	in.n = ns;
	in.total = total;
	in.unit = "1";
	in.weights = stext;
	in.lower = NULL;
	in.upper = NULL;
	rows = palloc(sizeof(ApRow) * ns);
	work = palloc(ap_workspace_size(ns));
	units = palloc(sizeof(int64) * ns);
	isnull = palloc(sizeof(bool) * ns);
	if (ap_allocate(&in, rows, work, units, isnull, &unit, &err) != AP_OK)
		ap_report(&err);

	cache->ngrades = ng;
	cache->cum = MemoryContextAlloc(partcxt, sizeof(int64) * ng);
	cache->grades = MemoryContextAlloc(partcxt, sizeof(text *) * ng);
	for (int i = 0; i < ng; i++)
	{
		acc += units[i];
		cache->cum[i] = acc;
		cache->grades[i] = (text *)
			MemoryContextAlloc(partcxt, VARSIZE_ANY(DatumGetPointer(gel[i])));
		memcpy(cache->grades[i], DatumGetPointer(gel[i]),
			   VARSIZE_ANY(DatumGetPointer(gel[i])));
	}
	if (acc != n)
		elog(ERROR, "grade_by_distribution: grade counts add up to %lld, not %lld",
			 (long long) acc, (long long) n);
	{
		MemoryContext old = MemoryContextSwitchTo(partcxt);

		cache->grades_datum = datumCopy(grades, false, -1);
		cache->shares_datum = datumCopy(shares, false, -1);
		MemoryContextSwitchTo(old);
	}
	fmgr_info_cxt(F_ARRAY_EQ, &cache->array_eq, partcxt);
}

/*
 * Is this row's array the one the partition was set up with?
 */
static bool
gbd_same(GbdCache *cache, Datum cached, Datum now)
{
	if (datumIsEqual(cached, now, false, -1))
		return true;
	return DatumGetBool(FunctionCall2Coll(&cache->array_eq, C_COLLATION_OID,
										  cached, now));
}

/* index of the grade that covers window position pos */
static int
gbd_grade_at(GbdCache *cache, int64 pos)
{
	for (int g = 0; g < cache->ngrades; g++)
		if (pos < cache->cum[g])
			return g;
	elog(ERROR, "grade_by_distribution: position %lld beyond the partition",
		 (long long) pos);
	return 0;					/* keep compiler quiet */
}

/*
 * grade_by_distribution(grades text[], shares numeric[]) OVER (...) -> text
 *
 * Forced distribution: the first count[0] rows in window order get
 * grades[0], the next count[1] grades[1], and so on; rows that are peers in
 * the ORDER BY all get the grade of their group's first row (like rank()),
 * so equal scores never get different grades.  grades and shares must be
 * the same on every row of the partition.
 */
Datum
grade_by_distribution(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	GbdCache   *cache = (GbdCache *) WinGetPartitionLocalMemory(winobj, sizeof(GbdCache));
	bool		gnull,
				snull;
	Datum		grades = WinGetFuncArgCurrent(winobj, 0, &gnull);
	Datum		shares = WinGetFuncArgCurrent(winobj, 1, &snull);
	int64		pos = WinGetCurrentPosition(winobj);
	text	   *g;

	if (!cache->computed)
	{
		if (gnull || snull)
			cache->allnull = true;
		else
			gbd_setup(winobj, cache, grades, shares);
		cache->computed = true;
	}
	else if (cache->allnull ? !(gnull || snull) :
			 (gnull || snull ||
			  !gbd_same(cache, cache->grades_datum, grades) ||
			  !gbd_same(cache, cache->shares_datum, shares)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grade_by_distribution grades and shares must be the same on every row of a partition"),
				 errdetail("Row %lld of the partition passes other arrays than row 1.",
						   (long long) pos + 1)));
	if (cache->allnull)
		PG_RETURN_NULL();

	if (pos == 0 || !WinRowsArePeers(winobj, pos - 1, pos))
		cache->group_grade = gbd_grade_at(cache, pos);
	g = cache->grades[cache->group_grade];
	PG_RETURN_TEXT_P(DatumGetTextPCopy(PointerGetDatum(g)));
}

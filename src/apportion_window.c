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
#include "core_report.h"

PG_FUNCTION_INFO_V1(allocate_quota_window);
PG_FUNCTION_INFO_V1(grade_by_distribution);

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
	int64	   *units;			/* each row's answer in units ... */
	bool	   *isnull;			/* ... or NULL; both huge, partition memory */
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
 * copied into the current (partition) memory, and read it for the core.
 */
static void
first_constant(WindowObject winobj, int argno, Datum *keep, bool *keepnull,
			   ApValue *value)
{
	bool		isout;
	Datum		v = WinGetFuncArgInPartition(winobj, argno, 0, WINDOW_SEEK_HEAD,
											 false, keepnull, &isout);

	if (*keepnull)
	{
		ap_value_parse(NULL, value);
		return;
	}
	*keep = datumCopy(v, false, -1);
	apportion_value(*keep, value);
}

/*
 * Check that row pos of the partition passes the same total or unit as
 * row 1.  Every row is checked when the partition is read, on its first
 * row, so a differing row fails the query even when LIMIT or a cursor never
 * fetches that row's answer.
 */
static void
check_constant(WindowObject winobj, int argno, Datum keep, bool keepnull,
			   int64 pos, const char *what)
{
	bool		isnull,
				isout;
	Datum		v = WinGetFuncArgInPartition(winobj, argno, pos, WINDOW_SEEK_HEAD,
											 false, &isnull, &isout);

	if (!same_numeric(keep, keepnull, v, isnull))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocate_quota %s must be the same on every row of a partition, got %s and %s",
						what, keepnull ? "NULL" : numeric_out_text(keep),
						isnull ? "NULL" : numeric_out_text(v)),
				 errdetail("Row 1 and row %lld of the partition differ.",
						   (long long) pos + 1)));
}

/*
 * Argument argno of row pos as the core's value.  The Datum may point into
 * the fetched tuple, which the next fetch may free: it is read at once.
 */
static void
row_value(WindowObject winobj, int argno, int64 pos, ApValue *out)
{
	bool		isnull,
				isout;
	Datum		v = WinGetFuncArgInPartition(winobj, argno, pos, WINDOW_SEEK_HEAD,
											 false, &isnull, &isout);

	if (isnull)
		ap_value_parse(NULL, out);
	else
		apportion_value(v, out);
}

/*
 * One pass over the partition: every row's total and unit against row 1's,
 * and (unless the answer is all NULL: weights is NULL then) the weights,
 * and the bounds when lower and upper are given.
 */
static void
read_partition(WindowObject winobj, int nargs, int64 n, AqCache *cache,
			   ApValue *weights, ApValue *lower, ApValue *upper)
{
	for (int64 i = 0; i < n; i++)
	{
		if (i > 0)
		{
			check_constant(winobj, 0, cache->total, cache->total_null, i,
						   "total");
			if (nargs >= 3)
				check_constant(winobj, 2, cache->unit_datum, cache->unit_null,
							   i, "unit");
		}
		if (weights == NULL)
			continue;
		row_value(winobj, 1, i, &weights[i]);
		if (lower != NULL)
		{
			row_value(winobj, 3, i, &lower[i]);
			row_value(winobj, 4, i, &upper[i]);
		}
	}
}

/*
 * Read the partition (on its first row) and apportion it into cache.
 */
static void
allocate_partition(WindowObject winobj, int nargs, int64 n, AqCache *cache)
{
	MemoryContext old;
	ApValue		total,
				unit;
	ApValue    *weights = NULL,
			   *lower = NULL,
			   *upper = NULL;
	ApInput		in;
	ApportionWork w;
	CoreError	err;

	old = MemoryContextSwitchTo(GetMemoryChunkContext(cache));
	first_constant(winobj, 0, &cache->total, &cache->total_null, &total);
	if (nargs >= 3)
		first_constant(winobj, 2, &cache->unit_datum, &cache->unit_null, &unit);
	else
	{
		cache->unit_datum = NumericGetDatum(int64_to_numeric(1));
		ap_value_parse("1", &unit);
	}
	MemoryContextSwitchTo(old);
	cache->allnull = (total.status == AP_VALUE_NULL ||
					  unit.status == AP_VALUE_NULL);
	if (!cache->allnull)
	{
		apportion_work_alloc("allocate_quota", n, GetMemoryChunkContext(cache), &w);
		weights = apportion_values_alloc(n);
		if (nargs >= 5)
		{
			lower = apportion_values_alloc(n);
			upper = apportion_values_alloc(n);
		}
	}
	read_partition(winobj, nargs, n, cache, weights, lower, upper);
	if (cache->allnull)
		return;

	in.fname = "allocate_quota";
	in.wname = "weight";
	in.n = n;
	in.total = &total;
	in.unit = &unit;
	in.weights = weights;
	in.lower = lower;
	in.upper = upper;
	if (ap_allocate(&in, w.rows, w.work, w.units, w.isnull, &cache->unit,
					&err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);
	cache->units = w.units;
	cache->isnull = w.isnull;
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

	cache = (AqCache *) WinGetPartitionLocalMemory(winobj, sizeof(AqCache));
	if (!cache->computed)
	{
		allocate_partition(winobj, PG_NARGS(), n, cache);
		cache->computed = true;
	}
	pos = WinGetCurrentPosition(winobj);
	if (cache->allnull || cache->isnull[pos])
		PG_RETURN_NULL();
	PG_RETURN_DATUM(apportion_share(cache->units[pos], &cache->unit,
									cache->unit_datum));
}

/* grade_by_distribution's per-partition cache */
typedef struct GbdCache
{
	bool		computed;
	bool		allnull;		/* grades or shares NULL */
	int			ngrades;
	int64	   *cum;			/* rows covered by grades 0..g */
	text	  **grades;
	int			group_grade;	/* grade of the current peer group */
} GbdCache;

/*
 * Check one of grade_by_distribution's arrays: one-dimensional, not empty,
 * no NULL element.  Returns its elements.
 */
static Datum *
gbd_elements(Datum arrd, Oid elemtype, const char *what, int *n)
{
	Datum	   *elems;
	bool	   *nulls;

	(void) apportion_array_elements(DatumGetArrayTypeP(arrd), elemtype,
									"grade_by_distribution", what, &elems,
									&nulls, n);
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
	ApValue    *shares_values;
	ApValue		total_value,
				unit_value;
	char		total[32];
	ApInput		in;
	ApportionWork w;
	ApNum		unit;
	CoreError	err;
	int64		acc = 0;

	gel = gbd_elements(grades, TEXTOID, "grades", &ng);
	sel = gbd_elements(shares, NUMERICOID, "shares", &ns);
	if (ng != ns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grade_by_distribution has %d grades but %d shares", ng, ns),
				 errhint("Give one share per grade, in the same order.")));

	shares_values = apportion_values_alloc(ns);
	for (int i = 0; i < ns; i++)
		apportion_value(sel[i], &shares_values[i]);
	snprintf(total, sizeof(total), "%lld", (long long) n);
	ap_value_parse(total, &total_value);
	ap_value_parse("1", &unit_value);
	in.fname = "grade_by_distribution";
	in.wname = "share";
	in.n = ns;
	in.total = &total_value;
	in.unit = &unit_value;
	in.weights = shares_values;
	in.lower = NULL;
	in.upper = NULL;
	apportion_work_alloc("grade_by_distribution", ns, CurrentMemoryContext, &w);
	if (ap_allocate(&in, w.rows, w.work, w.units, w.isnull, &unit, &err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);

	cache->ngrades = ng;
	cache->cum = MemoryContextAlloc(partcxt, sizeof(int64) * ng);
	cache->grades = MemoryContextAlloc(partcxt, sizeof(text *) * ng);
	for (int i = 0; i < ng; i++)
	{
		acc += w.units[i];
		cache->cum[i] = acc;
		cache->grades[i] = (text *)
			MemoryContextAlloc(partcxt, VARSIZE_ANY(DatumGetPointer(gel[i])));
		memcpy(cache->grades[i], DatumGetPointer(gel[i]),
			   VARSIZE_ANY(DatumGetPointer(gel[i])));
	}
	if (acc != n)
		elog(ERROR, "grade_by_distribution: grade counts add up to %lld, not %lld",
			 (long long) acc, (long long) n);
}

/*
 * Is an array some row passes (either may be NULL) the one row 1 passes?
 */
static bool
gbd_same(FmgrInfo *array_eq, Datum first, bool firstnull, Datum now,
		 bool nownull)
{
	if (firstnull || nownull)
		return firstnull == nownull;
	if (datumIsEqual(first, now, false, -1))
		return true;
	return DatumGetBool(FunctionCall2Coll(array_eq, C_COLLATION_OID,
										  first, now));
}

/*
 * Check, on the partition's first row, that every row passes the grades and
 * shares row 1 passes (the arguments are partition constants).  All rows are
 * checked up front, so a differing row fails the query even when LIMIT or a
 * cursor never fetches its answer.
 */
static void
gbd_check_rows(WindowObject winobj, int64 n, Datum grades, bool gnull,
			   Datum shares, bool snull)
{
	FmgrInfo	array_eq;

	fmgr_info(F_ARRAY_EQ, &array_eq);
	for (int64 i = 1; i < n; i++)
	{
		bool		null,
					isout;
		Datum		v;
		bool		same;

		v = WinGetFuncArgInPartition(winobj, 0, i, WINDOW_SEEK_HEAD, false,
									 &null, &isout);
		same = gbd_same(&array_eq, grades, gnull, v, null);
		if (same)
		{
			v = WinGetFuncArgInPartition(winobj, 1, i, WINDOW_SEEK_HEAD, false,
										 &null, &isout);
			same = gbd_same(&array_eq, shares, snull, v, null);
		}
		if (!same)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("grade_by_distribution grades and shares must be the same on every row of a partition"),
					 errdetail("Row %lld of the partition passes other arrays than row 1.",
							   (long long) i + 1)));
	}
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
 * the same on every row of the partition (checked on its first row).
 */
Datum
grade_by_distribution(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	GbdCache   *cache = (GbdCache *) WinGetPartitionLocalMemory(winobj, sizeof(GbdCache));
	int64		pos = WinGetCurrentPosition(winobj);
	text	   *g;

	if (!cache->computed)
	{
		bool		gnull,
					snull,
					isout;
		Datum		grades,
					shares;

		/*
		 * Row 1's arrays, copied: fetching the other rows may free the tuple
		 * they point into.
		 */
		grades = WinGetFuncArgInPartition(winobj, 0, 0, WINDOW_SEEK_HEAD, false,
										  &gnull, &isout);
		grades = gnull ? (Datum) 0 : datumCopy(grades, false, -1);
		shares = WinGetFuncArgInPartition(winobj, 1, 0, WINDOW_SEEK_HEAD, false,
										  &snull, &isout);
		shares = snull ? (Datum) 0 : datumCopy(shares, false, -1);
		gbd_check_rows(winobj, WinGetPartitionRowCount(winobj), grades, gnull,
					   shares, snull);
		if (gnull || snull)
			cache->allnull = true;
		else
			gbd_setup(winobj, cache, grades, shares);
		cache->computed = true;
	}
	if (cache->allnull)
		PG_RETURN_NULL();

	if (pos == 0 || !WinRowsArePeers(winobj, pos - 1, pos))
		cache->group_grade = gbd_grade_at(cache, pos);
	g = cache->grades[cache->group_grade];
	PG_RETURN_TEXT_P(DatumGetTextPCopy(PointerGetDatum(g)));
}

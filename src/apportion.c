/*-------------------------------------------------------------------------
 *
 * apportion.c
 *	  allocate_quota(total, weights[], unit, lower[], upper[]) -> numeric[]
 *	  and the glue helpers shared with the window forms.
 *
 * The apportionment itself (largest remainder with water-filling bounds, in
 * exact scaled integers) lives in src/core/apportion.c.  Here we only turn
 * numerics into the core's exact decimals, read from their digits by the
 * numeric bridge (numeric_scaled.c), and the core's unit counts back into
 * numerics built the same way.  No digit is lost on the way, no value
 * passes through float, and no value is printed to text and parsed back
 * (only a value the core refuses is printed, for its message).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "apportion_glue.h"
#include "core_report.h"
#include "numeric_scaled.h"

PG_FUNCTION_INFO_V1(allocate_quota_array);

/*
 * The exact decimal text of a numeric, for messages and for the values the
 * core refuses.
 */
char *
numeric_out_text(Datum num)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, num));
}

/*
 * A numeric as the core's value (see apportion_glue.h).  What the bridge
 * cannot read, or the core cannot take as read (more than 18 significant
 * digits), goes the way of the text, so it is refused with the same
 * message as always.
 */
void
apportion_value(Datum num, ApValue *out)
{
	NumericDecimal d;

	if (numeric_decimal(num, &d) == NUMERIC_SCALED_OK &&
		ap_value_from_decimal(d.neg, d.coef, d.exp10, d.dscale, out))
		return;
	ap_value_parse(numeric_out_text(num), out);
}

/*
 * units * unit as a numeric with the unit's display scale.  The common case
 * builds the numeric straight from the scaled int64 the core computes;
 * anything larger is multiplied exactly in numeric (numeric_mul of an
 * integer and the unit keeps the unit's dscale), so every valid share can
 * be returned, however large or however many decimals the unit has.
 */
Datum
apportion_share(int64 units, const ApNum *unit, Datum unit_datum)
{
	int64		scaled;

	if (ap_share_scaled(units, unit, unit->dscale, &scaled))
		return NumericGetDatum(scaled_to_numeric(scaled, unit->dscale));
	return DirectFunctionCall2(numeric_mul,
							   NumericGetDatum(int64_to_numeric(units)),
							   unit_datum);
}

/*
 * Allocate the work arrays for n rows (see ApportionWork).  They take about
 * 130 bytes a row (the values read for the core, apportion_values_alloc,
 * 40 to 120 more), so a partition or an array of more than 16,777,215 rows
 * passes 1 GB: they are allocated huge.  APPORTION_MAX_ROWS
 * (MaxAllocHugeSize / 256, far beyond any memory) only keeps the size
 * arithmetic from overflowing; above it the call fails with 54000.
 */
void
apportion_work_alloc(const char *fname, int64 n, MemoryContext resultcxt,
					 ApportionWork *w)
{
	if (n < 0 || n > APPORTION_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot apportion over %lld rows", fname, (long long) n),
				 errdetail("The limit is %lld rows.", (long long) APPORTION_MAX_ROWS)));
	if (n == 0)
		n = 1;
	w->rows = palloc_extended(sizeof(ApRow) * n, MCXT_ALLOC_HUGE);
	w->work = palloc_extended(ap_workspace_size(n), MCXT_ALLOC_HUGE);
	w->units = MemoryContextAllocExtended(resultcxt, sizeof(int64) * n,
										  MCXT_ALLOC_HUGE);
	w->isnull = MemoryContextAllocExtended(resultcxt, sizeof(bool) * n,
										   MCXT_ALLOC_HUGE);
}

/*
 * n values (at least one), allocated huge: a partition may pass 1 GB of
 * them.  n is at most APPORTION_MAX_ROWS (a partition is checked by
 * apportion_work_alloc first; an array has fewer than 2^31 elements), so
 * the size cannot overflow.
 */
ApValue *
apportion_values_alloc(int64 n)
{
	return palloc_extended(sizeof(ApValue) * (n > 0 ? n : 1), MCXT_ALLOC_HUGE);
}

/*
 * apportion_array_elements
 *		Check that an array argument is one-dimensional and deconstruct it.
 *
 * elemtype is numeric or text (the only element types the apportionment
 * functions take), so its storage parameters are known here.
 */
int
apportion_array_elements(ArrayType *arr, Oid elemtype, const char *fname,
						 const char *what, Datum **elems, bool **nulls, int *n)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %s must be a one-dimensional array, got %d dimensions",
						fname, what, ARR_NDIM(arr))));
	if (ARR_ELEMTYPE(arr) != elemtype ||
		(elemtype != NUMERICOID && elemtype != TEXTOID))
		elog(ERROR, "%s: %s is not an array of type %u", fname, what, elemtype);
	deconstruct_array(arr, elemtype, -1, false, TYPALIGN_INT, elems, nulls, n);
	return ARR_NDIM(arr) == 1 ? ARR_LBOUND(arr)[0] : 1;
}

/*
 * Deconstruct a one-dimensional numeric[] into the core's values (NULL
 * elements are NULL values).  what names the argument in errors.
 */
static ApValue *
array_values(ArrayType *arr, const char *what, int *n, int *lbound)
{
	Datum	   *elems;
	bool	   *nulls;
	ApValue    *values;

	*lbound = apportion_array_elements(arr, NUMERICOID, "allocate_quota",
									   what, &elems, &nulls, n);
	values = apportion_values_alloc(*n);
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ap_value_parse(NULL, &values[i]);
		else
			apportion_value(elems[i], &values[i]);
	}
	return values;
}

/*
 * A bounds array pairs with the weights by subscript, so it must have the
 * weights' length and lower bound: '[0:1]={..}' bounds against '{..}'
 * weights would otherwise pair by position and silently shift by one.
 */
static void
check_bounds_dims(const char *what, int nb, int lb, int n, int wlb)
{
	if (nb != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocate_quota %s has %d elements but weights has %d",
						what, nb, n)));
	if (lb != wlb)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocate_quota %s has subscripts [%d:%d] but weights has [%d:%d]",
						what, lb, lb + nb - 1, wlb, wlb + n - 1),
				 errhint("Give the bounds the same subscripts as the weights.")));
}

/*
 * allocate_quota(total numeric, weights numeric[], unit numeric DEFAULT 1,
 *				  lower numeric[] DEFAULT NULL, upper numeric[] DEFAULT NULL)
 *	  -> numeric[]
 *
 * Not STRICT, because NULL lower/upper mean "no bounds"; a NULL total,
 * weights or unit gives NULL.  A NULL weight element gives a NULL share and
 * takes no share of the total (as a NULL weight does in the window form);
 * NULL bound elements mean lower 0 / no upper bound.  The result keeps the
 * weights' subscripts and has the unit's display scale.
 */
Datum
allocate_quota_array(PG_FUNCTION_ARGS)
{
	ApValue    *lower = NULL,
			   *upper = NULL,
				total,
				unit_value;
	int			n,
				nb,
				lbound,
				lb2;
	ApInput		in;
	ApportionWork w;
	Datum	   *out;
	ApNum		unit;
	CoreError	err;
	int			dims[1];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();

	in.weights = array_values(PG_GETARG_ARRAYTYPE_P(1), "weights", &n, &lbound);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocate_quota weights must not be empty")));
	if (!PG_ARGISNULL(3))
	{
		lower = array_values(PG_GETARG_ARRAYTYPE_P(3), "lower", &nb, &lb2);
		check_bounds_dims("lower", nb, lb2, n, lbound);
	}
	if (!PG_ARGISNULL(4))
	{
		upper = array_values(PG_GETARG_ARRAYTYPE_P(4), "upper", &nb, &lb2);
		check_bounds_dims("upper", nb, lb2, n, lbound);
	}
	apportion_value(PG_GETARG_DATUM(0), &total);
	apportion_value(PG_GETARG_DATUM(2), &unit_value);
	in.fname = "allocate_quota";
	in.wname = "weight";
	in.n = n;
	in.total = &total;
	in.unit = &unit_value;
	in.lower = lower;
	in.upper = upper;

	apportion_work_alloc("allocate_quota", n, CurrentMemoryContext, &w);
	if (ap_allocate(&in, w.rows, w.work, w.units, w.isnull, &unit, &err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);

	out = palloc_extended(sizeof(Datum) * n, MCXT_ALLOC_HUGE);
	for (int i = 0; i < n; i++)
		out[i] = w.isnull[i] ? (Datum) 0 :
			apportion_share(w.units[i], &unit, PG_GETARG_DATUM(2));
	dims[0] = n;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(out, w.isnull, 1, dims, &lbound,
											 NUMERICOID, -1, false,
											 TYPALIGN_INT));
}

/*-------------------------------------------------------------------------
 *
 * apportion.c
 *	  allocate_quota(total, weights[], unit, lower[], upper[]) -> numeric[]
 *	  and the glue helpers shared with the window forms.
 *
 * The apportionment itself (largest remainder with water-filling bounds, in
 * exact scaled integers) lives in src/core/apportion.c.  Here we only turn
 * numerics into their exact decimal text for the core, and the core's unit
 * counts back into numerics.  numeric_out is exact, so no digit is lost on
 * the way, and no value ever passes through float.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "apportion_glue.h"

PG_FUNCTION_INFO_V1(allocate_quota_array);

/*
 * The exact decimal text of a numeric, as the core parses it.
 */
char *
ap_numeric_text(Datum num)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, num));
}

/*
 * Report a core error: 22003 for values beyond the exact integer range,
 * 22023 for everything the caller got wrong, elog for can't-happen.
 */
void
ap_report(const ApError *err)
{
	if (err->code == AP_EINTERNAL)
		elog(ERROR, "%s", err->msg);
	ereport(ERROR,
			(errcode(err->code == AP_ERANGE ?
					 ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE :
					 ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg_internal("%s", err->msg),
			 err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

/*
 * units * unit as a numeric.  The common case builds the numeric straight
 * from a scaled int64; amounts beyond that go through numeric_in.
 */
Datum
ap_share_datum(int64 units, const ApNum *unit, int dscale)
{
	int64		scaled;
	char		buf[128];

	if (ap_share_scaled(units, unit, dscale, &scaled, buf, sizeof(buf)))
		return NumericGetDatum(int64_div_fast_to_numeric(scaled, dscale));
	if (strcmp(buf, "NaN") == 0)
		elog(ERROR, "allocate_quota: share of %lld units cannot be printed",
			 (long long) units);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * Deconstruct a one-dimensional numeric[] into the decimal texts the core
 * reads (NULL elements stay NULL).  what names the argument in errors.
 */
static const char **
array_texts(ArrayType *arr, const char *what, int *n, int *lbound)
{
	Datum	   *elems;
	bool	   *nulls;
	const char **texts;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocate_quota %s must be a one-dimensional array, got %d dimensions",
						what, ARR_NDIM(arr))));
	if (ARR_ELEMTYPE(arr) != NUMERICOID)
		elog(ERROR, "allocate_quota: %s is not a numeric[]", what);
	deconstruct_array(arr, NUMERICOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, n);
	*lbound = ARR_NDIM(arr) == 1 ? ARR_LBOUND(arr)[0] : 1;
	texts = palloc0(sizeof(char *) * (*n > 0 ? *n : 1));
	for (int i = 0; i < *n; i++)
		texts[i] = nulls[i] ? NULL : ap_numeric_text(elems[i]);
	return texts;
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
	ArrayType  *weights;
	const char **wtext,
			  **ltext = NULL,
			  **utext = NULL;
	int			n,
				nb,
				lbound,
				lb2;
	ApInput		in;
	ApRow	   *rows;
	void	   *work;
	int64	   *units;
	bool	   *isnull;
	Datum	   *out;
	ApNum		unit;
	ApError		err;
	int			dims[1];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();

	weights = PG_GETARG_ARRAYTYPE_P(1);
	wtext = array_texts(weights, "weights", &n, &lbound);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocate_quota weights must not be empty")));
	if (!PG_ARGISNULL(3))
	{
		ltext = array_texts(PG_GETARG_ARRAYTYPE_P(3), "lower", &nb, &lb2);
		if (nb != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("allocate_quota lower has %d elements but weights has %d",
							nb, n)));
	}
	if (!PG_ARGISNULL(4))
	{
		utext = array_texts(PG_GETARG_ARRAYTYPE_P(4), "upper", &nb, &lb2);
		if (nb != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("allocate_quota upper has %d elements but weights has %d",
							nb, n)));
	}

	in.fname = "allocate_quota";
	in.wname = "weight";
	in.n = n;
	in.total = ap_numeric_text(PG_GETARG_DATUM(0));
	in.unit = ap_numeric_text(PG_GETARG_DATUM(2));
	in.weights = wtext;
	in.lower = ltext;
	in.upper = utext;

	rows = palloc(sizeof(ApRow) * n);
	work = palloc(ap_workspace_size(n));
	units = palloc(sizeof(int64) * n);
	isnull = palloc(sizeof(bool) * n);
	if (ap_allocate(&in, rows, work, units, isnull, &unit, &err) != AP_OK)
		ap_report(&err);

	out = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
		out[i] = isnull[i] ? (Datum) 0 :
			ap_share_datum(units[i], &unit, unit.dscale);
	dims[0] = n;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(out, isnull, 1, dims, &lbound,
											 NUMERICOID, -1, false,
											 TYPALIGN_INT));
}

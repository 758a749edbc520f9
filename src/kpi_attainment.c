/*-------------------------------------------------------------------------
 *
 * kpi_attainment.c
 *	  kpi_attainment(actual numeric, target numeric, higher_is_better bool)
 *
 * Attainment is how far a member got toward a target, as a ratio: 1 means
 * "on target".  For metrics where more is better (sales, visits) it is
 * actual / target.  For metrics where less is better (costs, churn, days
 * overdue) it is greatest(0, 2 - actual / target), so that coming in 10 %
 * under a cost target scores exactly like coming in 10 % over a sales target.
 *
 * The arithmetic is numeric throughout, so a ratio of two money amounts is
 * exact to numeric's division scale and never passes through float8.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(kpi_attainment);

/* numeric 0 and 2, built once per backend rather than once per row */
static Datum numeric_zero = (Datum) 0;
static Datum numeric_two = (Datum) 0;

/*
 * Build the numeric constants in TopMemoryContext on first use, so a scan
 * over millions of rows does not palloc them per call.
 */
static void
init_constants(void)
{
	MemoryContext old;

	if (numeric_zero != (Datum) 0)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	numeric_two = DirectFunctionCall1(int4_numeric, Int32GetDatum(2));
	numeric_zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	MemoryContextSwitchTo(old);
}

/*
 * Reject NaN and ±Infinity: a ratio against them is not a number anyone can
 * defend, so it is an error rather than a quiet NaN or zero.
 */
static void
check_finite(Numeric value, const char *what)
{
	if (numeric_is_nan(value) || numeric_is_inf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kpi_attainment %s must be a finite number, got %s",
						what,
						DatumGetCString(DirectFunctionCall1(numeric_out,
															NumericGetDatum(value))))));
}

/*
 * kpi_attainment(actual, target, higher_is_better) -> numeric
 *
 * target = 0 gives NULL (attainment is undefined, and NULL makes aggregates
 * such as weighted_score skip the row); target < 0 is an error, because a
 * negative target turns "more is better" upside down without telling anyone.
 */
Datum
kpi_attainment(PG_FUNCTION_ARGS)
{
	Numeric		actual = PG_GETARG_NUMERIC(0);
	Numeric		target = PG_GETARG_NUMERIC(1);
	bool		higher_is_better = PG_GETARG_BOOL(2);
	int			sign;
	Datum		ratio;

	init_constants();
	check_finite(actual, "actual");
	check_finite(target, "target");

	sign = DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(target), numeric_zero));
	if (sign < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kpi_attainment target must not be negative, got %s",
						DatumGetCString(DirectFunctionCall1(numeric_out,
															NumericGetDatum(target)))),
				 errhint("Use higher_is_better => false for metrics where less is better.")));
	if (sign == 0)
		PG_RETURN_NULL();

	ratio = DirectFunctionCall2(numeric_div,
								NumericGetDatum(actual), NumericGetDatum(target));
	if (!higher_is_better)
	{
		ratio = DirectFunctionCall2(numeric_sub, numeric_two, ratio);
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, ratio, numeric_zero)) < 0)
			ratio = numeric_zero;
	}
	PG_RETURN_DATUM(ratio);
}

/*-------------------------------------------------------------------------
 *
 * numeric_scaled.h
 *	  The bridge between numeric and scaled 128-bit integers, shared by
 *	  tiered_commission() and the apportionment glue: a numeric read
 *	  straight from its base-10000 digits, and a numeric built straight
 *	  from an integer and a scale, without numeric_in / numeric_out and
 *	  without numeric arithmetic.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_NUMERIC_SCALED_H
#define SALES_SUPERVISOR_NUMERIC_SCALED_H

#include "postgres.h"

#include "utils/numeric.h"

/* what a numeric is, as far as the readers below can say */
typedef enum NumericScaledKind
{
	NUMERIC_SCALED_OK,			/* finite, and read */
	NUMERIC_SCALED_BIG,			/* finite, but beyond what the reader takes */
	NUMERIC_SCALED_NAN,
	NUMERIC_SCALED_PINF,
	NUMERIC_SCALED_NINF
} NumericScaledKind;

/*
 * A finite numeric as coef * 10^exp10 (sign apart), coef < 10^36, with
 * the display scale dscale and the sign neg.  Zero is coef 0, exp10 0.
 */
typedef struct NumericDecimal
{
	bool		neg;
	unsigned __int128 coef;
	int			exp10;
	int			dscale;
} NumericDecimal;

/*
 * Read a numeric datum (detoasted here if it must be; a short header is
 * read in place) as a NumericDecimal.  NUMERIC_SCALED_BIG when it has
 * more than 9 base-10000 digits (more than 32 significant decimals).
 */
extern NumericScaledKind numeric_decimal(Datum num, NumericDecimal *out);

/*
 * Read a numeric datum as *m / 10^(*dscale), its own display scale:
 * NUMERIC_SCALED_BIG when dscale > max_dscale or |m| would reach 10^38
 * (a zero is read whatever its scale).
 */
extern NumericScaledKind numeric_to_scaled(Datum num, int max_dscale,
										   __int128 *m, int *dscale);

/*
 * The numeric m / 10^dscale (dscale >= 0) with display scale dscale, in
 * the form numeric.c's make_result() gives: no leading or trailing zero
 * digits, short header when it fits.  palloc'd.
 */
extern Numeric scaled_to_numeric(__int128 m, int dscale);

#endif

/*-------------------------------------------------------------------------
 *
 * tier_table.h
 *	  Pure-C core of the tier_table type: parse, validate, format, and exact
 *	  evaluation of tiered commission in scaled 128-bit integers.
 *
 * A tier table is a list of (threshold, rate) pairs, thresholds strictly
 * increasing and >= 0, rates >= 0, in one of two modes:
 *	  marginal	each slice of the amount earns the rate of its own tier (like
 *				tax brackets); the slice below the first threshold earns 0;
 *	  flat		the whole amount earns the rate of the highest threshold it
 *				reached ("retroactive" tiers); below the first threshold: 0;
 * and an optional cap on the result.
 *
 * Every number is an exact decimal kept as written: a mantissa and a scale
 * (value = m / 10^scale), so 0.020 stays 0.020.  At most TT_MAX_DIGITS
 * significant digits and TT_MAX_SCALE decimal places.
 *
 * No PostgreSQL header here: test/unit and test/fuzz drive this directly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_TIER_TABLE_H
#define SALES_SUPERVISOR_CORE_TIER_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core_error.h"

#define TT_MODE_MARGINAL	0
#define TT_MODE_FLAT		1

#define TT_MAX_TIERS	1000
#define TT_MAX_DIGITS	18		/* significant digits of one number */
#define TT_MAX_SCALE	18		/* decimal places of one number */

/*
 * tt_eval's answer when an intermediate does not fit 128 bits: not an
 * error, a request to compute in arbitrary precision (CORE_OK otherwise).
 */
#define TT_OVERFLOW		100

/* one exact decimal: m / 10^scale; pad is 0 (the struct is stored as is) */
typedef struct tt_dec
{
	int64_t		m;
	int32_t		scale;
	int32_t		pad;
} tt_dec;

/* a table; thr and rate point to ntiers values each (not owned) */
typedef struct tt_table
{
	int			mode;
	int			ntiers;
	int			has_cap;
	tt_dec		cap;			/* {0,0} when has_cap is 0 */
	tt_dec	   *thr;
	tt_dec	   *rate;
} tt_table;

/* the canonical text of a number fits in this (sign, 18 digits, point, 0.) */
#define TT_DEC_BUFLEN	48
#define TT_TEXT_MAXLEN(n)	(32 + TT_DEC_BUFLEN + (size_t) (n) * (2 * TT_DEC_BUFLEN + 4))

/*
 * Parse "mode[(threshold,rate),...]" with an optional " cap N" (len bytes,
 * need not be NUL-terminated).  t->thr and t->rate must each have room for
 * TT_MAX_TIERS values.  The result is validated.  Returns CORE_OK or the
 * code of the error reported in err (CORE_ERR_SYNTAX, _INVALID, _RANGE).
 */
extern int	tt_parse(const char *str, size_t len, tt_table *t, CoreError *err);

/* Check every rule of a table (as after binary input); CORE_OK or err. */
extern int	tt_validate(const tt_table *t, CoreError *err);

/* Compare two decimals by value: -1, 0, 1. */
extern int	tt_dec_cmp(tt_dec a, tt_dec b);

/* Canonical text of one decimal, digits as written; returns its length. */
extern int	tt_dec_format(tt_dec d, char *buf);

/* Canonical text of a table into buf; -1 if buflen is too small. */
extern long tt_format(const tt_table *t, char *buf, size_t buflen);

/* Same commission function: same mode, and equal values (0.02 = 0.020). */
extern int	tt_equal(const tt_table *a, const tt_table *b);

/*
 * Total order consistent with tt_equal (-1, 0, 1): by mode (marginal
 * first), then tier by tier by threshold value, then rate value (a table
 * that is a prefix of another sorts first), then by cap (none first, then
 * by value).  Values compare by value: 0.02 and 0.020 are equal.
 */
extern int	tt_compare(const tt_table *a, const tt_table *b);

/*
 * Scale of the result of tiered commission for an amount of the given
 * scale: max(amount scale, threshold scales) + max(rate scales), or the
 * cap's scale if that is larger.  Every result of a table then has the
 * same number of decimal places, and all of them are exact.
 */
extern int	tt_result_scale(const tt_table *t, int amount_scale);

/*
 * Commission on amount am / 10^ascale (0 <= ascale <= TT_MAX_SCALE), exact:
 * *res / 10^(*rscale) with *rscale = tt_result_scale(t, ascale).  Returns
 * CORE_OK, or TT_OVERFLOW when some intermediate would not fit in 128 bits
 * (the caller then computes in arbitrary precision).
 */
extern int	tt_eval(const tt_table *t, __int128 am, int ascale,
					__int128 *res, int *rscale);

#endif

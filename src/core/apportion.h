/*-------------------------------------------------------------------------
 *
 * apportion.h
 *	  Exact apportionment (largest remainder / Hamilton with water-filling
 *	  bounds) in pure C, shared by allocate_quota (array and window forms)
 *	  and grade_by_distribution.
 *
 * Two levels:
 *
 * 1. ap_apportion_units() works on integers only: a total of T units, an
 *    integer weight per row (a common power of ten already applied), integer
 *    lower/upper bounds in units.  It finds the continuous shares
 *    s_i = clamp(lambda * w_i, lower_i, upper_i) with sum s_i = T, lambda an
 *    exact rational, then gives each row floor(s_i) units and the leftover
 *    units one each to the largest remainders (ties: larger weight, then
 *    earlier row).  All arithmetic is int64 / __int128 with proven bounds.
 *
 * 2. ap_allocate() takes the values as ApValues -- exact decimals, read by
 *    the glue straight from numeric's digits (ap_value_from_decimal), or
 *    parsed from decimal text (ap_value_parse; both in apportion_value.c)
 *    -- checks them (unit > 0,
 *    total >= 0, multiples of unit, weights >= 0, bounds), scales them to
 *    integers and calls level 1.
 *
 * No PostgreSQL header is included: the unit tests and the fuzzer link this
 * file alone.  Errors come back as a CoreError (core_error.h: code, message,
 * detail, hint) that the fmgr glue turns into ereport(ERROR) with
 * core_report().
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_APPORTION_H
#define SALES_SUPERVISOR_APPORTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core_error.h"

/*
 * The functions below that can fail return CORE_OK or the code of the
 * error they report in a CoreError: CORE_ERR_INVALID (22023) for what the
 * caller got wrong, CORE_ERR_RANGE (22003) for values beyond the exact
 * integer range, CORE_ERR_INTERNAL for "can't happen".
 */

/*
 * A finite decimal: value = (neg ? -1 : 1) * mant * 10^(-scale).
 * Normalised: no trailing zeros in mant (scale may go negative for
 * 1000 = 1 * 10^3), zero is mant 0 / scale 0 / neg false.  dscale is the
 * number of digits written after the decimal point (numeric's display scale).
 */
typedef struct ApNum
{
	bool		neg;
	int64_t		mant;
	int			scale;
	int			dscale;
} ApNum;

/* results of ap_parse_decimal, and the status of an ApValue */
#define AP_PARSE_OK			0
#define AP_PARSE_SYNTAX		1
#define AP_PARSE_NAN		2
#define AP_PARSE_INF		3
#define AP_PARSE_RANGE		4	/* more than 18 significant digits, or an
								 * exponent or run of zeros beyond 100000 */
#define AP_VALUE_NULL		5	/* an ApValue only: SQL NULL */

extern int	ap_parse_decimal(const char *s, size_t len, ApNum *out);

/*
 * One input value of level 2: a status (AP_PARSE_* or AP_VALUE_NULL), the
 * value when it is AP_PARSE_OK, and the text messages show it as: text
 * when not NULL, else the value printed as numeric_out prints it (sign,
 * integer digits, dscale decimals).
 */
typedef struct ApValue
{
	int			status;
	ApNum		num;
	const char *text;
} ApValue;

/*
 * text as a value (ap_parse_decimal), keeping text for messages; NULL
 * gives an AP_VALUE_NULL value.  text must outlive the value.
 */
extern void ap_value_parse(const char *text, ApValue *out);

/*
 * The value (neg ? -1 : 1) * coef * 10^exp10 with display scale dscale,
 * as ap_value_parse would read the text numeric_out prints for it.  False
 * when that text would not be an AP_PARSE_OK value (more than 18
 * significant digits, too many zeros) or the value has digits beyond
 * dscale: the caller then parses the text itself.
 */
extern bool ap_value_from_decimal(bool neg, unsigned __int128 coef, int exp10,
								  int dscale, ApValue *out);

/* the text of v for messages (see ApValue), cut to buflen - 1 bytes */
extern void ap_value_text(const ApValue *v, char *buf, size_t buflen);

/*
 * Level 1: one row of the integer problem.  skip = the row takes no share
 * (NULL weight); its result is left alone.  has_upper = false means no upper
 * bound.  result is written by ap_apportion_units.
 */
typedef struct ApRow
{
	int64_t		weight;			/* >= 0 */
	int64_t		lower;			/* >= 0, units */
	int64_t		upper;			/* >= lower when has_upper, units */
	bool		has_upper;
	bool		skip;
	int64_t		result;			/* out: units */
} ApRow;

/* workspace ap_apportion_units needs for n rows, in bytes */
extern size_t ap_workspace_size(int64_t n);

/*
 * Apportion total units over rows[0..n-1].  Requires: weights >= 0 with
 * sum <= INT64_MAX, bounds >= 0, lower <= upper.  Checks the rest (some
 * weight > 0, feasibility) and reports it in err.  fname/wname name the
 * function and the weight ("weight"/"share") in messages; unit, if not NULL,
 * turns unit counts back into amounts in the infeasibility message.
 */
extern int	ap_apportion_units(ApRow *rows, int64_t n, int64_t total,
							   void *work, const ApNum *unit,
							   const char *fname, const char *wname,
							   CoreError *err);

/*
 * Level 2.  weights[i] AP_VALUE_NULL is a NULL weight (that row gets no
 * share and result_null[i] = true); lower/upper may be NULL (no bounds) or
 * have AP_VALUE_NULL entries (lower 0, no upper).  On success units[i]
 * holds row i's share in units and *unit_out the unit, so the glue can
 * return share = units[i] * unit.  rows and work come from the caller:
 * n ApRow and ap_workspace_size(n) bytes.
 */
typedef struct ApInput
{
	const char *fname;			/* "allocate_quota" */
	const char *wname;			/* "weight" or "share" */
	int64_t		n;
	const ApValue *total;
	const ApValue *unit;
	const ApValue *weights;		/* n values */
	const ApValue *lower;		/* n values, or NULL */
	const ApValue *upper;		/* n values, or NULL */
} ApInput;

extern int	ap_allocate(const ApInput *in, ApRow *rows, void *work,
						int64_t *units, bool *result_null, ApNum *unit_out,
						CoreError *err);

/*
 * Check the unit (> 0) and the total (>= 0, a multiple of unit, at most
 * INT64_MAX units); *unit receives the unit, total_units total / unit.
 */
extern int	ap_total_units(const char *fname, const ApValue *total,
						   const ApValue *unit_value, ApNum *unit,
						   int64_t *total_units, CoreError *err);

/*
 * share = units * unit, as share * 10^dscale (dscale >= max(unit->scale, 0))
 * in *scaled, when that fits in int64 (returns true); false otherwise, and
 * the caller multiplies in its own exact arithmetic (the glue: numeric).
 */
extern bool ap_share_scaled(int64_t units, const ApNum *unit, int dscale,
							int64_t *scaled);

#endif							/* SALES_SUPERVISOR_APPORTION_H */

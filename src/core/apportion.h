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
 * 2. ap_allocate() takes the values as decimal text (what numeric_out
 *    prints), checks them (unit > 0, total >= 0, multiples of unit, weights
 *    >= 0, bounds), scales them to integers and calls level 1.
 *
 * No PostgreSQL header is included: the unit tests and the fuzzer link this
 * file alone.  Errors come back as an ApError (SQLSTATE class + message,
 * detail, hint) that the fmgr glue turns into ereport(ERROR).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_APPORTION_H
#define SALES_SUPERVISOR_APPORTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* status codes; the glue maps them to SQLSTATEs */
#define AP_OK			0
#define AP_EINVALID		1		/* 22023 invalid_parameter_value */
#define AP_ERANGE		2		/* 22003 numeric_value_out_of_range */
#define AP_EINTERNAL	3		/* "can't happen": elog(ERROR) */

#define AP_MSGLEN		512

typedef struct ApError
{
	int			code;
	char		msg[AP_MSGLEN];
	char		detail[AP_MSGLEN];
	char		hint[AP_MSGLEN];
} ApError;

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

/* results of ap_parse_decimal */
#define AP_PARSE_OK			0
#define AP_PARSE_SYNTAX		1
#define AP_PARSE_NAN		2
#define AP_PARSE_INF		3
#define AP_PARSE_RANGE		4	/* more than 18 significant digits, or scale
								 * beyond +-10000 */

extern int	ap_parse_decimal(const char *s, size_t len, ApNum *out);

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
							   ApError *err);

/*
 * Level 2.  Every value is decimal text; weights[i] == NULL is a NULL weight
 * (that row gets no share and result_null[i] = true), lower/upper may be NULL
 * (no bounds) or have NULL entries (lower 0, no upper).  On success units[i]
 * holds row i's share in units and *unit_out the parsed unit, so the glue can
 * print share = units[i] * unit.  rows and work come from the caller:
 * n ApRow and ap_workspace_size(n) bytes.
 */
typedef struct ApInput
{
	const char *fname;			/* "allocate_quota" */
	const char *wname;			/* "weight" or "share" */
	int64_t		n;
	const char *total;
	const char *unit;
	const char *const *weights;
	const char *const *lower;
	const char *const *upper;
} ApInput;

extern int	ap_allocate(const ApInput *in, ApRow *rows, void *work,
						int64_t *units, bool *result_null, ApNum *unit_out,
						ApError *err);

/*
 * Parse and check the unit (> 0) and the total (>= 0, a multiple of unit,
 * at most INT64_MAX units); total_units receives total / unit.
 */
extern int	ap_total_units(const char *fname, const char *total_text,
						   const char *unit_text, ApNum *unit,
						   int64_t *total_units, ApError *err);

/*
 * share = units * unit, as an exact decimal with dscale digits after the
 * point (dscale >= max(unit->scale, 0)): *scaled receives share * 10^dscale
 * when it fits in int64 (returns true); otherwise the decimal text is
 * written to buf (returns false).  buflen >= 64 is enough.
 */
extern bool ap_share_scaled(int64_t units, const ApNum *unit, int dscale,
							int64_t *scaled, char *buf, size_t buflen);

#endif							/* SALES_SUPERVISOR_APPORTION_H */

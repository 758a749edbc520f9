/*-------------------------------------------------------------------------
 *
 * score_curve.h
 *	  Pure-C core of the score_curve type: parse, validate, format, evaluate.
 *
 * A score curve maps a KPI attainment (a float8, 1 = on target) to points.
 * Two modes:
 *	  linear  piecewise-linear interpolation between the points; clamped to the
 *			  first y below the first x and to the last y above the last x;
 *			  two points may share an x to make a jump, and at the jump the
 *			  later point holds (right-continuous).
 *	  step	  the y of the last point whose x <= attainment; 0 below the
 *			  first x.
 *
 * This file includes no PostgreSQL header, so test/unit and test/fuzz drive
 * it directly.  Errors come back as a CoreError (core_error.h), which the
 * fmgr glue turns into ereport() with core_report().
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_SCORE_CURVE_H
#define SALES_SUPERVISOR_CORE_SCORE_CURVE_H

#include <stddef.h>

#include "core_error.h"

#define SC_MODE_LINEAR	0
#define SC_MODE_STEP	1

#define SC_MAX_POINTS	1000

/* long enough for any canonical number: sign, 17 digits, point, e-308 */
#define SC_NUM_BUFLEN	32

/* the canonical text of a curve never exceeds this many bytes (incl. NUL) */
#define SC_TEXT_MAXLEN(n)	(16 + (size_t) (n) * (2 * SC_NUM_BUFLEN + 4))

/* name of a mode ("linear" / "step"), or NULL for an unknown code */
extern const char *sc_mode_name(int mode);

/* mode code of a name (case-insensitive, len bytes), or -1 */
extern int	sc_mode_from_name(const char *name, size_t len);

/*
 * Parse the text form "mode[(x,y),...]" (len bytes, need not be
 * NUL-terminated).  xs and ys must hold SC_MAX_POINTS values.  On success
 * the points are validated and normalised (-0 becomes 0) and *npoints set.
 * Returns CORE_OK or the code of the error reported in err.
 */
extern int	sc_parse(const char *str, size_t len, int *mode, double *xs,
					 double *ys, int *npoints, CoreError *err);

/*
 * Check that (mode, xs, ys, n) is a valid curve: known mode, 1..SC_MAX_POINTS
 * points, finite values, the ordering rules of the mode.  Normalises -0 to 0
 * in place, so equal curves have equal bytes.
 */
extern int	sc_validate(int mode, double *xs, double *ys, int n,
						CoreError *err);

/*
 * Shortest text that reads back as exactly v (v finite), in the layout of
 * PostgreSQL's float8out: fixed notation for decimal exponents -4..14,
 * otherwise d.ddde+XX.  Returns the length written to buf (SC_NUM_BUFLEN).
 */
extern int	sc_format_double(double v, char *buf);

/*
 * Writes the text of one finite double into buf (SC_NUM_BUFLEN bytes),
 * NUL-terminated; returns its length.  sc_format_double is one; the fmgr
 * glue passes PostgreSQL's double_to_shortest_decimal_buf (float8out's
 * own Ryu formatter: faster, and its digits at the rare exact rounding
 * ties are the canonical ones).
 */
typedef int (*sc_num_format_fn) (double v, char *buf);

/*
 * Canonical text of a valid curve, NUL-terminated, into buf of buflen bytes
 * (SC_TEXT_MAXLEN(n) is always enough), each number written by fmt.
 * Returns the length, or -1 if buf is too small.
 */
extern long sc_format_with(int mode, const double *xs, const double *ys,
						   int n, char *buf, size_t buflen,
						   sc_num_format_fn fmt);

/* sc_format_with(..., sc_format_double): for unit tests and fuzzing */
extern long sc_format(int mode, const double *xs, const double *ys, int n,
					  char *buf, size_t buflen);

/*
 * Total order of valid curves (-1, 0, 1), 0 exactly when they are equal
 * (same mode, same points): by mode (linear first), then point by point by
 * x, then y (a curve that is a prefix of another sorts first).
 */
extern int	sc_compare(int amode, const double *axs, const double *ays, int an,
					   int bmode, const double *bxs, const double *bys, int bn);

/*
 * Points of a valid curve at attainment a (not NaN; ±Infinity clamp to the
 * ends).  O(log n): a binary search for the segment, then one interpolation.
 * The result is always finite.
 */
extern double sc_eval(int mode, const double *xs, const double *ys, int n,
					  double a);

#endif

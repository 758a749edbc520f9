/*-------------------------------------------------------------------------
 *
 * score_curve.c
 *	  Pure-C core of the score_curve type (see score_curve.h).
 *
 * Text form:	mode[(x,y),(x,y),...]
 *	  mode is "linear" or "step", any case; blanks are allowed around every
 *	  token; numbers are decimal (optional sign, digits, point, exponent).
 *	  NaN and infinities are rejected: a curve is made of finite numbers.
 *
 * Canonical output has no blanks and writes each number as the shortest
 * decimal that reads back as the same double, so text -> curve -> text is
 * stable and curve -> text -> curve is exact.
 *
 *-------------------------------------------------------------------------
 */
#include "score_curve.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"

#define unlikely_sc(x) __builtin_expect((x) != 0, 0)

/* longest number token we accept (digits are cheap; 500 is far past 17) */
#define SC_TOKEN_MAX	511

_Static_assert(SC_NUM_BUFLEN <= LEX_NUM_BUFLEN,
			   "a number's text must fit lex_format_pairs' buffers");

/* the mode names, by mode code */
static const char *const sc_modes[] = {"linear", "step"};

#define SC_NMODES	2

/* The name of a mode code, or NULL for an unknown code. */
const char *
sc_mode_name(int mode)
{
	return mode >= 0 && mode < SC_NMODES ? sc_modes[mode] : NULL;
}

/* The code of a mode name (any ASCII case), or -1. */
int
sc_mode_from_name(const char *name, size_t len)
{
	return lex_lookup(sc_modes, SC_NMODES, name, len);
}

/*
 * The end of the number token whose digits start at i: digits, an optional
 * point and digits, and an exponent only when digits follow its "e" and
 * sign (so "1e" ends before the "e").  *ndigits counts the mantissa's
 * digits.
 */
static size_t
sc_token_end(const LexState *p, size_t i, size_t *ndigits)
{
	*ndigits = 0;
	while (i < p->len && lex_is_digit((unsigned char) p->s[i]))
	{
		i++;
		(*ndigits)++;
	}
	if (i < p->len && p->s[i] == '.')
	{
		i++;
		while (i < p->len && lex_is_digit((unsigned char) p->s[i]))
		{
			i++;
			(*ndigits)++;
		}
	}
	if (*ndigits > 0 && i < p->len && (p->s[i] == 'e' || p->s[i] == 'E'))
	{
		size_t		e = i + 1;

		if (e < p->len && (p->s[e] == '+' || p->s[e] == '-'))
			e++;
		if (e < p->len && lex_is_digit((unsigned char) p->s[e]))
		{
			while (e < p->len && lex_is_digit((unsigned char) p->s[e]))
				e++;
			i = e;
		}
	}
	return i;
}

/*
 * Read one number (a LexNumberFn: out is a double).  The token is scanned
 * by hand (so strtod's extras, hex floats and "nan"/"inf", never get in)
 * and then converted with strtod, which rounds correctly.  Overflow and
 * underflow to zero are range errors, as in float8in; NaN and infinities
 * are named and refused.
 */
static int
sc_number(LexState *p, void *out)
{
	char		buf[SC_TOKEN_MAX + 1];
	size_t		start,
				i,
				ndigits;
	int			neg,
				rc;
	double		v;
	char	   *end;

	if ((rc = lex_number_start(p, "score_curve", &start, &i, &neg)) != CORE_OK)
		return rc;
	i = sc_token_end(p, i, &ndigits);
	if (ndigits == 0)
		return lex_syntax(p, "a number");
	if (i - start > SC_TOKEN_MAX)
		return lex_error(p->err, CORE_ERR_RANGE,
						 "number \"%.20s...\" is too long for type score_curve (at most %d characters)",
						 p->s + start, SC_TOKEN_MAX);
	memcpy(buf, p->s + start, i - start);
	buf[i - start] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (end != buf + (i - start))
		return lex_syntax(p, "a number");
	if (errno == ERANGE && (v == 0.0 || isinf(v)))
		return lex_error(p->err, CORE_ERR_RANGE,
						 "\"%s\" is out of range for type double precision", buf);
	p->pos = i;
	*(double *) out = v;
	return CORE_OK;
}

/*
 * Parse the text form (see score_curve.h): the mode, the points, and
 * nothing after the "]".
 */
int
sc_parse(const char *str, size_t len, int *mode, double *xs, double *ys,
		 int *npoints, CoreError *err)
{
	LexPairList list = {"score_curve", "point", SC_MAX_POINTS, sc_number,
	sizeof(double), xs, ys};
	LexState	p;
	int			n,
				rc;

	lex_init(&p, str, len, err);
	if ((rc = lex_mode(&p, "score_curve", sc_modes, SC_NMODES, mode)) != CORE_OK ||
		(rc = lex_pair_list(&p, &list, &n)) != CORE_OK)
		return rc;
	lex_skip_space(&p);
	if (p.pos < len)
		return lex_syntax(&p, "the end of the input after \"]\"");
	*npoints = n;
	return sc_validate(*mode, xs, ys, n, err);
}

/*
 * Check a curve (see score_curve.h): known mode, 1..SC_MAX_POINTS finite
 * points, -0 normalised to 0, then the ordering rules of the mode.
 */
int
sc_validate(int mode, double *xs, double *ys, int n, CoreError *err)
{
	char		a[SC_NUM_BUFLEN],
				b[SC_NUM_BUFLEN];
	int			i;

	if (sc_mode_name(mode) == NULL)
		return lex_error(err, CORE_ERR_INVALID,
						"unknown score_curve mode code %d", mode);
	if (n < 1)
		return lex_error(err, CORE_ERR_INVALID,
						"score_curve must have at least 1 point, got %d", n);
	if (n > SC_MAX_POINTS)
		return lex_error(err, CORE_ERR_INVALID,
						"score_curve has %d points, more than the maximum of %d",
						n, SC_MAX_POINTS);
	for (i = 0; i < n; i++)
	{
		if (!isfinite(xs[i]) || !isfinite(ys[i]))
		{
			double		bad = isfinite(xs[i]) ? ys[i] : xs[i];

			return lex_error(err, CORE_ERR_INVALID,
							"score_curve values must be finite numbers, got %s at point %d",
							isnan(bad) ? "NaN" : (bad > 0 ? "Infinity" : "-Infinity"),
							i + 1);
		}
		/* one zero: -0 and 0 are the same number of points */
		if (xs[i] == 0.0)
			xs[i] = 0.0;
		if (ys[i] == 0.0)
			ys[i] = 0.0;
	}
	for (i = 1; i < n; i++)
	{
		if (mode == SC_MODE_STEP && !(xs[i] > xs[i - 1]))
		{
			sc_format_double(xs[i], a);
			sc_format_double(xs[i - 1], b);
			return lex_error(err, CORE_ERR_INVALID,
							"step score_curve x values must be strictly increasing, got %s after %s",
							a, b);
		}
		if (mode == SC_MODE_LINEAR && xs[i] < xs[i - 1])
		{
			sc_format_double(xs[i], a);
			sc_format_double(xs[i - 1], b);
			return lex_error(err, CORE_ERR_INVALID,
							"linear score_curve x values must be non-decreasing, got %s after %s",
							a, b);
		}
		if (mode == SC_MODE_LINEAR && i >= 2 && xs[i] == xs[i - 2])
		{
			sc_format_double(xs[i], a);
			return lex_error(err, CORE_ERR_INVALID,
							"linear score_curve has three points at x = %s, at most two may share an x (a jump)",
							a);
		}
	}
	return CORE_OK;
}

/*
 * The shortest decimal that reads back as v (see score_curve.h): the
 * fewest significant digits that strtod returns v for, then laid out as
 * float8out lays it out.
 */
int
sc_format_double(double v, char *buf)
{
	char		tmp[SC_NUM_BUFLEN];
	char		digits[20];
	int			nd = 0,
				exp10,
				prec,
				len = 0,
				i;
	const char *c;

	if (v == 0.0)
		return snprintf(buf, SC_NUM_BUFLEN, "%s", signbit(v) ? "-0" : "0");
	if (!isfinite(v))
		return snprintf(buf, SC_NUM_BUFLEN, "%s",
						isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));

	/* fewest significant digits that read back exactly (17 always do) */
	for (prec = 1; prec <= 17; prec++)
	{
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}

	/* split "-d.ddde+XX" into digits and a decimal exponent */
	c = tmp;
	if (*c == '-')
		c++;
	for (; *c && *c != 'e'; c++)
		if (lex_is_digit((unsigned char) *c))
			digits[nd++] = *c;
	exp10 = atoi(c + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;

	if (v < 0)
		buf[len++] = '-';
	if (exp10 >= -4 && exp10 < 15)
	{
		if (exp10 < 0)
		{
			buf[len++] = '0';
			buf[len++] = '.';
			for (i = 0; i < -exp10 - 1; i++)
				buf[len++] = '0';
			for (i = 0; i < nd; i++)
				buf[len++] = digits[i];
		}
		else
		{
			for (i = 0; i <= exp10; i++)
				buf[len++] = i < nd ? digits[i] : '0';
			if (nd > exp10 + 1)
			{
				buf[len++] = '.';
				for (i = exp10 + 1; i < nd; i++)
					buf[len++] = digits[i];
			}
		}
		buf[len] = '\0';
		return len;
	}
	buf[len++] = digits[0];
	if (nd > 1)
	{
		buf[len++] = '.';
		for (i = 1; i < nd; i++)
			buf[len++] = digits[i];
	}
	len += snprintf(buf + len, SC_NUM_BUFLEN - len, "e%c%02d",
					exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
	return len;
}

/* what sc_format_with hands lex_format_pairs */
typedef struct ScFormat
{
	const double *xs;
	const double *ys;
	sc_num_format_fn fmt;
} ScFormat;

/* lex_format_pairs callback: x (which 0) or y (1) of point i */
static int
sc_format_number(const void *arg, int i, int which, char *buf)
{
	const ScFormat *f = (const ScFormat *) arg;

	return f->fmt(which == 0 ? f->xs[i] : f->ys[i], buf);
}

/* The canonical text of a curve, numbers written by fmt (see score_curve.h). */
long
sc_format_with(int mode, const double *xs, const double *ys, int n,
			   char *buf, size_t buflen, sc_num_format_fn fmt)
{
	ScFormat	f = {xs, ys, fmt};

	return lex_format_pairs(buf, buflen, sc_mode_name(mode), n,
							sc_format_number, &f);
}

/* sc_format_with and the core's own number formatter (see score_curve.h) */
long
sc_format(int mode, const double *xs, const double *ys, int n,
		  char *buf, size_t buflen)
{
	return sc_format_with(mode, xs, ys, n, buf, buflen, sc_format_double);
}

/*
 * Linear interpolation between (x0,y0) and (x1,y1), x0 <= a < x1.  The plain
 * formula y0 + (y1 - y0) * (a - x0) / (x1 - x0), evaluated in that order, is
 * used whenever it stays finite, so the result is bit for bit what the SQL
 * a user would write gives.  Only for values near the limits of float8
 * (where a difference overflows) does it switch to forms that cannot
 * overflow, so the result is always finite and lies between y0 and y1.
 */
static double
sc_interpolate(double x0, double y0, double x1, double y1, double a)
{
	double		da = a - x0;
	double		dx = x1 - x0;
	double		t,
				r;

	if (!isinf(da) && !isinf(dx))
	{
		r = y0 + (y1 - y0) * da / dx;
		if (isfinite(r))
			return r;
	}
	else
	{
		da = a / 2 - x0 / 2;
		dx = x1 / 2 - x0 / 2;
	}
	t = da / dx;
	if (!(t >= 0.0))
		t = 0.0;
	if (t > 1.0)
		t = 1.0;
	r = y0 + (y1 - y0) * t;
	if (!isfinite(r))
		r = y0 * (1.0 - t) + y1 * t;
	return r;
}

/*
 * Number of points whose x <= a (0..n).  A binary search whose trip count
 * depends only on n, with the comparison turned into a conditional move
 * rather than a branch: attainments are unpredictable, and a mispredicted
 * branch per step would cost more than the search itself.
 */
static inline int
sc_count_le(const double *xs, int n, double a)
{
	const double *base = xs;
	int			len = n;

	while (len > 1)
	{
		int			half = len / 2;

		/* arithmetic, not ?:, so compilers cannot turn it into a branch */
		base += half & -(int) (base[half - 1] <= a);
		len -= half;
	}
	return (int) (base - xs) + (*base <= a);
}

/*
 * Points at attainment a (see score_curve.h): one branch-free search for
 * the segment, then the step value or the interpolation, without branches
 * on the common path; values near the limits of float8 go to
 * sc_interpolate.
 */
double
sc_eval(int mode, const double *xs, const double *ys, int n, double a)
{
	int			ub = sc_count_le(xs, n, a);
	int			lo = ub > 0 ? ub - 1 : 0;	/* the last point whose x <= a */
	int			hi = ub < n ? ub : n - 1;	/* the first point whose x > a */
	double		ac,
				da,
				dx,
				dxs,
				r;
	uint64_t	dxbits;

	if (mode == SC_MODE_STEP)
	{
		double		v;
		uint64_t	vbits;

		/* ys[lo], or +0 below the first x, without a branch */
		memcpy(&vbits, &ys[lo], sizeof(vbits));
		vbits &= -(uint64_t) (ub > 0);
		memcpy(&v, &vbits, sizeof(v));
		return v;
	}

	/*
	 * Outside the points lo == hi, and the arithmetic below gives exactly
	 * ys[lo]: a is clamped to the ends so da = 0, and dx = 0 is replaced by
	 * 1.  Inside, it is y0 + (y1 - y0) * (a - x0) / (x1 - x0) in that order.
	 */
	ac = a < xs[0] ? xs[0] : a;
	ac = ac > xs[n - 1] ? xs[n - 1] : ac;
	da = ac - xs[lo];
	dx = xs[hi] - xs[lo];
	/* dx >= 0, and +0 exactly when lo == hi; test its bits, not as a float */
	memcpy(&dxbits, &dx, sizeof(dxbits));
	dxbits |= (uint64_t) 0x3FF0000000000000 & -(uint64_t) (dxbits == 0);	/* 0 -> 1.0 */
	memcpy(&dxs, &dxbits, sizeof(dxs));
	r = ys[lo] + (ys[hi] - ys[lo]) * da / dxs;
	if (unlikely_sc(!isfinite(r) || isinf(da) || isinf(dx)))
		r = sc_interpolate(xs[lo], ys[lo], xs[hi], ys[hi], a);
	return r;
}

/* The btree order of two curves (see score_curve.h). */
int
sc_compare(int amode, const double *axs, const double *ays, int an,
		   int bmode, const double *bxs, const double *bys, int bn)
{
	int			n = an < bn ? an : bn;
	int			i;

	if (amode != bmode)
		return amode < bmode ? -1 : 1;
	/* valid curves hold finite values only: < and > order them totally */
	for (i = 0; i < n; i++)
	{
		if (axs[i] != bxs[i])
			return axs[i] < bxs[i] ? -1 : 1;
		if (ays[i] != bys[i])
			return ays[i] < bys[i] ? -1 : 1;
	}
	if (an != bn)
		return an < bn ? -1 : 1;
	return 0;
}

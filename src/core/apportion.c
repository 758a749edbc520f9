/*-------------------------------------------------------------------------
 *
 * apportion.c
 *	  Exact apportionment: largest remainder (Hamilton) with water-filling
 *	  bounds, in integers.  See apportion.h for the two levels.
 *
 * Why integers and not numeric: every quantity is an integer once the total
 * and the bounds are counted in units and the weights are multiplied by a
 * common power of ten.  The continuous shares are then s_i = P * w_i / Q for
 * one rational lambda = P / Q shared by all rows that are not held at a
 * bound, so their remainders P * w_i mod Q share the denominator Q and are
 * compared as plain integers.  With T, every bound, every weight and the sum
 * of the weights below 2^63, every product below is below 2^126, so
 * unsigned __int128 holds it with room to spare; the limits are checked on
 * entry and reported as out of range (22003) rather than wrapped.
 *
 * Finding lambda: f(lambda) = sum clamp(lambda * w_i, lower_i, upper_i) is
 * continuous, non-decreasing and piecewise linear with breakpoints
 * lower_i / w_i (row i starts to grow) and upper_i / w_i (row i stops).  We
 * sort the breakpoints (cross-multiplied comparisons, exact) and sweep them
 * keeping f = C + lambda * S (C: rows held at a bound, S: weight of the rows
 * in between) until f reaches T; then lambda = (T - C) / S.  Without bounds
 * there is no sweep: lambda = T / sum w.
 *
 *-------------------------------------------------------------------------
 */
#include "apportion.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

#define AP_MAX_DIGITS	18		/* significant digits a value may have */
#define AP_MAX_EXP		100000	/* |exponent| accepted by the parser */

/* 10^k for k = 0..38, exactly */
static u128
pow10_u128(int k)
{
	u128		r = 1;

	while (k-- > 0)
		r *= 10;
	return r;
}

static void
set_error(ApError *err, int code, const char *detail, const char *hint,
		  const char *fmt,...) __attribute__((format(printf, 5, 6)));

/*
 * Fill err (message from fmt, optional detail and hint) and set its code.
 */
static void
set_error(ApError *err, int code, const char *detail, const char *hint,
		  const char *fmt,...)
{
	va_list		ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	snprintf(err->detail, sizeof(err->detail), "%s", detail ? detail : "");
	snprintf(err->hint, sizeof(err->hint), "%s", hint ? hint : "");
}

/*
 * Write the decimal digits of v into buf (at least 40 bytes).
 */
static void
u128_to_text(u128 v, char *buf)
{
	char		tmp[48];
	int			i = 0,
				j = 0;

	do
	{
		tmp[i++] = (char) ('0' + (int) (v % 10));
		v /= 10;
	} while (v > 0);
	while (i > 0)
		buf[j++] = tmp[--i];
	buf[j] = '\0';
}

/*
 * Text of mant * 10^(-scale) with exactly dscale digits after the point
 * (dscale >= scale, dscale >= 0).  Returns false if mant * 10^(dscale -
 * scale) does not fit in u128.
 */
static bool
scaled_to_text(u128 mant, int scale, int dscale, char *buf, size_t buflen)
{
	char		digits[48];
	char		padded[96];
	int			shift = dscale - scale;
	size_t		len;

	if (shift < 0 || shift > 38 || dscale > 40)
		return false;
	if (mant != 0 && pow10_u128(shift) > ((u128) -1) / mant)
		return false;
	u128_to_text(mant * pow10_u128(shift), digits);
	len = strlen(digits);
	if (len <= (size_t) dscale)
	{
		/* left-pad with zeros so there is one digit before the point */
		size_t		pad = (size_t) dscale + 1 - len;

		memset(padded, '0', pad);
		memcpy(padded + pad, digits, len + 1);
		memcpy(digits, padded, pad + len + 1);
		len += pad;
	}
	if (dscale == 0)
		snprintf(buf, buflen, "%s", digits);
	else
		snprintf(buf, buflen, "%.*s.%s", (int) (len - dscale), digits,
				 digits + len - dscale);
	return true;
}

/*
 * A count of units as a decimal amount for messages: units * unit when the
 * unit is known and the product fits, else "<n> units".
 */
static void
units_to_text(u128 units, const ApNum *unit, char *buf, size_t buflen)
{
	if (unit != NULL && unit->mant > 0 &&
		units <= ((u128) -1) / (u128) unit->mant &&
		scaled_to_text(units * (u128) unit->mant, unit->scale,
					   unit->scale > 0 ? unit->scale : 0, buf, buflen))
		return;
	{
		char		digits[48];

		u128_to_text(units, digits);
		snprintf(buf, buflen, "%s units", digits);
	}
}

/*
 * ap_parse_decimal
 *		Parse [+-]digits[.digits][e[+-]digits], "NaN", "[+-]Infinity".
 *
 * The glue feeds it numeric_out's text, so the grammar is numeric's; the
 * exponent is accepted for callers that write literals.  The value is
 * normalised (trailing zeros move into the scale), and refused with
 * AP_PARSE_RANGE when it has more than 18 significant digits.
 */
int
ap_parse_decimal(const char *s, size_t len, ApNum *out)
{
	size_t		i = 0;
	bool		neg = false;
	bool		seen_digit = false;
	bool		in_frac = false;
	uint64_t	mant = 0;
	int			ndigits = 0;
	int			pending = 0;	/* zeros after the last non-zero digit */
	long		frac = 0;		/* digits after the point */
	long		exp = 0;

	memset(out, 0, sizeof(*out));
	if (len > 0 && (s[0] == '+' || s[0] == '-'))
	{
		neg = (s[0] == '-');
		i++;
	}
	if (len - i == 3 && i == 0 &&
		(s[0] == 'N' || s[0] == 'n') && (s[1] == 'a' || s[1] == 'A') &&
		(s[2] == 'N' || s[2] == 'n'))
		return AP_PARSE_NAN;
	if (len - i == 8 && strncmp(s + i, "Infinity", 8) == 0)
		return AP_PARSE_INF;

	for (; i < len; i++)
	{
		char		c = s[i];

		if (c >= '0' && c <= '9')
		{
			int			d = c - '0';

			seen_digit = true;
			if (in_frac)
				frac++;
			if (frac > AP_MAX_EXP)
				return AP_PARSE_RANGE;
			if (d == 0)
			{
				if (mant != 0)
				{
					pending++;
					if (pending > AP_MAX_EXP)
						return AP_PARSE_RANGE;
				}
				continue;
			}
			if (ndigits + pending + 1 > AP_MAX_DIGITS)
				return AP_PARSE_RANGE;
			while (pending > 0)
			{
				mant *= 10;
				pending--;
				ndigits++;
			}
			mant = mant * 10 + (uint64_t) d;
			ndigits++;
		}
		else if (c == '.' && !in_frac)
			in_frac = true;
		else if ((c == 'e' || c == 'E') && seen_digit)
		{
			bool		eneg = false;
			bool		edigit = false;

			i++;
			if (i < len && (s[i] == '+' || s[i] == '-'))
			{
				eneg = (s[i] == '-');
				i++;
			}
			for (; i < len; i++)
			{
				if (s[i] < '0' || s[i] > '9')
					return AP_PARSE_SYNTAX;
				edigit = true;
				exp = exp * 10 + (s[i] - '0');
				if (exp > AP_MAX_EXP)
					return AP_PARSE_RANGE;
			}
			if (!edigit)
				return AP_PARSE_SYNTAX;
			if (eneg)
				exp = -exp;
			break;
		}
		else
			return AP_PARSE_SYNTAX;
	}
	if (!seen_digit)
		return AP_PARSE_SYNTAX;

	out->dscale = (int) (frac - exp > 0 ? frac - exp : 0);
	if (mant == 0)
		return AP_PARSE_OK;		/* zero: mant 0, scale 0, not negative */
	out->neg = neg;
	out->mant = (int64_t) mant;
	out->scale = (int) (frac - pending - exp);
	return AP_PARSE_OK;
}

/*
 * a / unit as an exact integer count of units.
 * Returns AP_OK, AP_EINVALID (not a multiple) or AP_ERANGE (above
 * INT64_MAX units, or too many digits apart to compute).
 */
static int
div_units(const ApNum *a, const ApNum *unit, int64_t *q)
{
	int			d = unit->scale - a->scale;
	u128		num,
				den;

	if (a->mant == 0)
	{
		*q = 0;
		return AP_OK;
	}
	if (d >= 0)
	{
		if (d > 38 || pow10_u128(d) > ((u128) -1) / (u128) a->mant)
			return AP_ERANGE;
		num = (u128) a->mant * pow10_u128(d);
		den = (u128) unit->mant;
	}
	else
	{
		/* unit has coarser digits than a: den grows; beyond 10^38 > a */
		if (-d > 38 || pow10_u128(-d) > ((u128) -1) / (u128) unit->mant)
			return AP_EINVALID;
		num = (u128) a->mant;
		den = (u128) unit->mant * pow10_u128(-d);
	}
	if (num % den != 0)
		return AP_EINVALID;
	if (num / den > (u128) INT64_MAX)
		return AP_ERANGE;
	*q = (int64_t) (num / den);
	return AP_OK;
}

/*
 * " at position N" (1-based) for messages about element pos, or "" for -1.
 * Built only when there is an error to report: it is not free per row.
 */
static void
where_text(int64_t pos, char *buf)
{
	if (pos < 0)
		buf[0] = '\0';
	else
		snprintf(buf, 64, " at position %lld", (long long) pos + 1);
}

/*
 * Parse one value the caller expects to be a finite decimal; on failure fill
 * err naming the value ("<fname> <what> must be ..., got <text>").
 */
static int
parse_value(const char *fname, const char *what, const char *text,
			int64_t pos, ApNum *out, ApError *err)
{
	int			rc = ap_parse_decimal(text, strlen(text), out);
	char		where[64];

	if (rc == AP_PARSE_OK)
		return AP_OK;
	where_text(pos, where);
	switch (rc)
	{
		case AP_PARSE_OK:
			return AP_OK;
		case AP_PARSE_NAN:
			set_error(err, AP_EINVALID, NULL, NULL,
					  "%s %s must be a number, got NaN%s", fname, what, where);
			return err->code;
		case AP_PARSE_INF:
			set_error(err, AP_EINVALID, NULL, NULL,
					  "%s %s must be finite, got %s%s", fname, what, text, where);
			return err->code;
		case AP_PARSE_RANGE:
			set_error(err, AP_ERANGE,
					  "Values are computed exactly in scaled 64-bit integers, which hold at most 18 significant digits.",
					  NULL,
					  "%s %s %s%s has too many significant digits", fname, what,
					  text, where);
			return err->code;
		default:
			set_error(err, AP_EINVALID, NULL, NULL,
					  "%s %s is not a decimal number: \"%s\"%s", fname, what,
					  text, where);
			return err->code;
	}
}

/*
 * ap_total_units
 *		Check unit > 0 and total >= 0, a multiple of unit; total / unit.
 */
int
ap_total_units(const char *fname, const char *total_text, const char *unit_text,
			   ApNum *unit, int64_t *total_units, ApError *err)
{
	ApNum		total;
	int			rc;

	if (parse_value(fname, "unit", unit_text, -1, unit, err) != AP_OK)
		return err->code;
	if (unit->neg || unit->mant == 0)
	{
		set_error(err, AP_EINVALID, NULL, NULL,
				  "%s unit must be greater than zero, got %s", fname, unit_text);
		return err->code;
	}
	if (parse_value(fname, "total", total_text, -1, &total, err) != AP_OK)
		return err->code;
	if (total.neg)
	{
		set_error(err, AP_EINVALID, NULL, NULL,
				  "%s total must not be negative, got %s", fname, total_text);
		return err->code;
	}
	rc = div_units(&total, unit, total_units);
	if (rc == AP_EINVALID)
		set_error(err, AP_EINVALID, NULL,
				  "Round the total to the unit first, or pass a finer unit.",
				  "%s total %s is not a multiple of unit %s", fname,
				  total_text, unit_text);
	else if (rc == AP_ERANGE)
		set_error(err, AP_ERANGE,
				  "The total is counted in units in a 64-bit integer (at most 9223372036854775807 units).",
				  NULL,
				  "%s total %s is too large for unit %s", fname, total_text,
				  unit_text);
	else
		err->code = AP_OK;
	return rc;
}

/* ---------------------------------------------------------------------
 * Level 1: the integer problem
 * --------------------------------------------------------------------- */

/* a breakpoint lambda = p / q where row `row` starts (kind 0) or stops (1) */
typedef struct ApEvent
{
	int64_t		p;
	int64_t		q;
	int64_t		row;
	int			kind;
} ApEvent;

/* a row with a fractional share, for the largest-remainder ranking */
typedef struct ApRank
{
	int64_t		rem;
	int64_t		weight;
	int64_t		row;
} ApRank;

size_t
ap_workspace_size(int64_t n)
{
	size_t		ev = sizeof(ApEvent) * 2;
	size_t		rk = sizeof(ApRank);

	if (n < 1)
		n = 1;
	return (size_t) n * (ev > rk ? ev : rk);
}

/* order breakpoints by p/q ascending: p1*q2 vs p2*q1, exact */
static int
event_cmp(const void *a, const void *b)
{
	const ApEvent *x = a;
	const ApEvent *y = b;
	u128		l = (u128) x->p * (u128) y->q;
	u128		r = (u128) y->p * (u128) x->q;

	if (l != r)
		return l < r ? -1 : 1;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return x->kind - y->kind;
}

/* largest remainder first; ties: larger weight, then earlier row */
static int
rank_cmp(const void *a, const void *b)
{
	const ApRank *x = a;
	const ApRank *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return 0;
}

/*
 * ap_apportion_units
 *		The integer core; see the file header for the method.
 */
int
ap_apportion_units(ApRow *rows, int64_t n, int64_t total, void *work,
				   const ApNum *unit, const char *fname, const char *wname,
				   ApError *err)
{
	int64_t		active = 0;
	u128		sumw = 0;
	u128		sumlow = 0;
	u128		lowzero = 0;	/* sum of lower over weight-0 rows */
	u128		reach = 0;
	bool		unbounded = false;
	bool		bounded = false;
	u128		T = (u128) total;
	u128		P,
				Q;
	u128		sumbase = 0;
	u128		left;
	int64_t		ncand = 0;
	ApRank	   *rank = (ApRank *) work;

	err->code = AP_OK;
	if (total < 0)
	{
		set_error(err, AP_EINTERNAL, NULL, NULL, "%s: negative total units", fname);
		return err->code;
	}
	for (int64_t i = 0; i < n; i++)
	{
		ApRow	   *r = &rows[i];

		if (r->skip)
			continue;
		if (r->weight < 0 || r->lower < 0 ||
			(r->has_upper && r->upper < r->lower))
		{
			set_error(err, AP_EINTERNAL, NULL, NULL,
					  "%s: unchecked row %lld", fname, (long long) i + 1);
			return err->code;
		}
		active++;
		sumw += (u128) r->weight;
		sumlow += (u128) r->lower;
		if (r->weight == 0)
		{
			lowzero += (u128) r->lower;
			reach += (u128) r->lower;
		}
		else if (r->has_upper)
		{
			reach += (u128) r->upper;
			bounded = true;
		}
		else
			unbounded = true;
		if (r->weight > 0 && r->lower > 0)
			bounded = true;
	}
	if (active == 0)
	{
		set_error(err, AP_EINVALID, NULL,
				  "Give at least one row a weight; pass equal weights for an equal split.",
				  "%s has no non-NULL %s to allocate by", fname, wname);
		return err->code;
	}
	if (sumw == 0)
	{
		char		hint[AP_MSGLEN];

		snprintf(hint, sizeof(hint),
				 "Pass equal %ss (for example all 1) for an equal split.",
				 wname);
		set_error(err, AP_EINVALID, NULL, hint,
				  "%s %ss are all zero", fname, wname);
		return err->code;
	}
	if (sumw > (u128) INT64_MAX)
	{
		set_error(err, AP_ERANGE,
				  "Weights are scaled to integers by a common power of ten; their sum must stay below 2^63.",
				  NULL, "%s %ss are too large or span too many digits", fname, wname);
		return err->code;
	}
	if (sumlow > T || (!unbounded && reach < T))
	{
		char		t[80],
					l[80],
					u[80],
					detail[AP_MSGLEN];

		units_to_text(T, unit, t, sizeof(t));
		units_to_text(sumlow, unit, l, sizeof(l));
		if (unbounded)
			snprintf(detail, sizeof(detail),
					 "The lower bounds sum to %s, above the total %s.", l, t);
		else
		{
			units_to_text(reach, unit, u, sizeof(u));
			snprintf(detail, sizeof(detail),
					 "The lower bounds sum to %s; the rows can reach %s (the upper bounds of the rows with %s > 0 plus the lower bounds of the rows with %s 0); the total is %s.",
					 l, u, wname, wname, t);
		}
		set_error(err, AP_EINVALID, detail,
				  "Lower the total, or loosen the bounds.",
				  "%s has infeasible bounds for total %s", fname, t);
		return err->code;
	}

	/* lambda = P / Q */
	if (T == sumlow)
	{
		P = 0;
		Q = 1;
	}
	else if (!bounded)
	{
		P = T - lowzero;
		Q = sumw;
	}
	else
	{
		ApEvent    *ev = (ApEvent *) work;
		int64_t		ne = 0;
		i128		C = (i128) sumlow;
		i128		S = 0;
		bool		found = false;

		for (int64_t i = 0; i < n; i++)
		{
			ApRow	   *r = &rows[i];

			if (r->skip || r->weight == 0)
				continue;
			ev[ne].p = r->lower;
			ev[ne].q = r->weight;
			ev[ne].row = i;
			ev[ne].kind = 0;
			ne++;
			if (r->has_upper)
			{
				ev[ne].p = r->upper;
				ev[ne].q = r->weight;
				ev[ne].row = i;
				ev[ne].kind = 1;
				ne++;
			}
		}
		qsort(ev, (size_t) ne, sizeof(ApEvent), event_cmp);

		P = 0;
		Q = 1;
		for (int64_t i = 0; i < ne;)
		{
			u128		p = (u128) ev[i].p;
			u128		q = (u128) ev[i].q;
			int64_t		j;

			/* C < T and S >= 0 here: f(b) = C + (p/q) S; does it reach T? */
			if ((u128) C * q + p * (u128) S >= T * q)
			{
				P = T - (u128) C;
				Q = (u128) S;
				found = true;
				break;
			}
			for (j = i; j < ne &&
				 (u128) ev[j].p * q == p * (u128) ev[j].q; j++)
			{
				ApRow	   *r = &rows[ev[j].row];

				if (ev[j].kind == 0)
				{
					C -= r->lower;
					S += r->weight;
				}
				else
				{
					C += r->upper;
					S -= r->weight;
				}
			}
			i = j;
		}
		if (!found)
		{
			if (S > 0)
			{
				P = T - (u128) C;
				Q = (u128) S;
			}
			else if ((u128) C == T && ne > 0)
			{
				/* every row is held at a bound; any lambda past the last breakpoint */
				P = (u128) ev[ne - 1].p;
				Q = (u128) ev[ne - 1].q;
			}
			else
			{
				set_error(err, AP_EINTERNAL, NULL, NULL,
						  "%s: water-filling found no level", fname);
				return err->code;
			}
		}
		if (Q == 0)
		{
			set_error(err, AP_EINTERNAL, NULL, NULL,
					  "%s: water-filling level has a zero denominator", fname);
			return err->code;
		}
	}

	/* floor of each continuous share; rows with a fraction are candidates */
	for (int64_t i = 0; i < n; i++)
	{
		ApRow	   *r = &rows[i];
		u128		x,
					base;

		if (r->skip)
			continue;
		if (r->weight == 0)
		{
			r->result = r->lower;
			sumbase += (u128) r->lower;
			continue;
		}
		x = P * (u128) r->weight;
		if (x <= (u128) r->lower * Q)
			base = (u128) r->lower;
		else if (r->has_upper && x >= (u128) r->upper * Q)
			base = (u128) r->upper;
		else
		{
			u128		rem = x % Q;

			base = x / Q;
			if (rem != 0)
			{
				rank[ncand].rem = (int64_t) rem;
				rank[ncand].weight = r->weight;
				rank[ncand].row = i;
				ncand++;
			}
		}
		if (base > (u128) INT64_MAX)
		{
			set_error(err, AP_EINTERNAL, NULL, NULL,
					  "%s: share out of range", fname);
			return err->code;
		}
		r->result = (int64_t) base;
		sumbase += base;
	}
	if (sumbase > T || T - sumbase > (u128) ncand ||
		(T > sumbase && T - sumbase == (u128) ncand))
	{
		set_error(err, AP_EINTERNAL, NULL, NULL,
				  "%s: remainders do not add up", fname);
		return err->code;
	}
	left = T - sumbase;
	if (left > 0)
	{
		qsort(rank, (size_t) ncand, sizeof(ApRank), rank_cmp);
		for (int64_t k = 0; (u128) k < left; k++)
			rows[rank[k].row].result++;
	}
	return AP_OK;
}

/* ---------------------------------------------------------------------
 * Level 2: decimal text in, checked and scaled
 * --------------------------------------------------------------------- */

/*
 * Parse and check one bound of row i; *units receives it in units.
 */
static int
parse_bound(const ApInput *in, const char *what, const char *text, int64_t i,
			const ApNum *unit, int64_t *units, ApError *err)
{
	ApNum		b;
	char		where[64];
	int			rc;

	if (parse_value(in->fname, what, text, i, &b, err) != AP_OK)
		return err->code;
	rc = b.neg ? AP_OK : div_units(&b, unit, units);
	if (b.neg || rc != AP_OK)
		where_text(i, where);
	if (b.neg)
	{
		set_error(err, AP_EINVALID, NULL, NULL,
				  "%s %s must not be negative, got %s%s", in->fname, what,
				  text, where);
		return err->code;
	}
	if (rc == AP_EINVALID)
		set_error(err, AP_EINVALID, NULL, NULL,
				  "%s %s %s%s is not a multiple of unit %s", in->fname, what,
				  text, where, in->unit);
	else if (rc == AP_ERANGE)
		set_error(err, AP_ERANGE, NULL, NULL,
				  "%s %s %s%s is too large for unit %s", in->fname, what,
				  text, where, in->unit);
	else
		err->code = AP_OK;
	return rc;
}

/*
 * ap_allocate
 *		Check and scale decimal inputs, apportion, return units per row.
 */
int
ap_allocate(const ApInput *in, ApRow *rows, void *work, int64_t *units,
			bool *result_null, ApNum *unit_out, ApError *err)
{
	int64_t		total;
	int			maxscale = INT32_MIN;
	int64_t		n = in->n;

	err->code = AP_OK;
	if (n <= 0)
	{
		set_error(err, AP_EINVALID, NULL, NULL,
				  "%s %ss must not be empty", in->fname, in->wname);
		return err->code;
	}
	if (ap_total_units(in->fname, in->total, in->unit, unit_out, &total, err) != AP_OK)
		return err->code;

	/* weights: parse, check, find the common scale */
	for (int64_t i = 0; i < n; i++)
	{
		ApNum		w;
		char		where[64];

		memset(&rows[i], 0, sizeof(ApRow));
		result_null[i] = (in->weights[i] == NULL);
		if (in->weights[i] == NULL)
		{
			rows[i].skip = true;
			continue;
		}
		if (parse_value(in->fname, in->wname, in->weights[i], i, &w, err) != AP_OK)
			return err->code;
		if (w.neg)
		{
			where_text(i, where);
			set_error(err, AP_EINVALID, NULL, NULL,
					  "%s %s must not be negative, got %s%s", in->fname,
					  in->wname, in->weights[i], where);
			return err->code;
		}
		/* park the mantissa and scale; scaled below */
		rows[i].weight = w.mant;
		rows[i].upper = w.scale;
		if (w.mant != 0 && w.scale > maxscale)
			maxscale = w.scale;
	}
	for (int64_t i = 0; i < n; i++)
	{
		ApRow	   *r = &rows[i];
		int			shift;

		if (r->skip)
			continue;
		shift = (int) (maxscale - r->upper);
		r->upper = 0;
		if (r->weight == 0)
			continue;
		if (shift > 18 ||
			pow10_u128(shift) > (u128) INT64_MAX / (u128) r->weight)
		{
			set_error(err, AP_ERANGE,
					  "Weights are scaled to integers by a common power of ten, which must keep each below 2^63.",
					  "Round the smallest weights, or drop digits that do not matter.",
					  "%s %s %s at position %lld spans too many digits next to the other %ss",
					  in->fname, in->wname, in->weights[i], (long long) i + 1,
					  in->wname);
			return err->code;
		}
		r->weight = (int64_t) ((u128) r->weight * pow10_u128(shift));
	}

	/* bounds */
	for (int64_t i = 0; i < n; i++)
	{
		ApRow	   *r = &rows[i];
		const char *lo = in->lower ? in->lower[i] : NULL;
		const char *up = in->upper ? in->upper[i] : NULL;

		if (r->skip)
			continue;
		if (lo && parse_bound(in, "lower bound", lo, i, unit_out, &r->lower, err) != AP_OK)
			return err->code;
		if (up)
		{
			if (parse_bound(in, "upper bound", up, i, unit_out, &r->upper, err) != AP_OK)
				return err->code;
			r->has_upper = true;
			if (r->upper < r->lower)
			{
				set_error(err, AP_EINVALID, NULL, NULL,
						  "%s has infeasible bounds: lower bound %s is above upper bound %s at position %lld",
						  in->fname, lo, up, (long long) i + 1);
				return err->code;
			}
		}
	}

	if (ap_apportion_units(rows, n, total, work, unit_out, in->fname,
						   in->wname, err) != AP_OK)
		return err->code;
	for (int64_t i = 0; i < n; i++)
		units[i] = rows[i].skip ? 0 : rows[i].result;
	return AP_OK;
}

/*
 * ap_share_scaled
 *		units * unit as share * 10^dscale in int64, or as text.
 */
bool
ap_share_scaled(int64_t units, const ApNum *unit, int dscale,
				int64_t *scaled, char *buf, size_t buflen)
{
	int			shift = dscale - unit->scale;
	u128		v;

	if (units < 0)
		units = 0;
	v = (u128) units * (u128) unit->mant;
	if (shift >= 0 && shift <= 18 &&
		(v == 0 || pow10_u128(shift) <= (u128) INT64_MAX / v) &&
		v * pow10_u128(shift) <= (u128) INT64_MAX)
	{
		*scaled = (int64_t) (v * pow10_u128(shift));
		return true;
	}
	if (!scaled_to_text(v, unit->scale, dscale, buf, buflen))
		snprintf(buf, buflen, "NaN");	/* caller treats as can't-happen */
	return false;
}

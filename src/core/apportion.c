/*-------------------------------------------------------------------------
 *
 * apportion.c
 *	  Exact apportionment: largest remainder (Hamilton) with water-filling
 *	  bounds, in integers.  See apportion.h for the two levels; the values
 *	  level 2 takes are read and printed in apportion_value.c.
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

#include "pow10.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

static int	set_error(CoreError *err, int code, const char *detail,
					  const char *hint, const char *fmt,...)
			__attribute__((format(printf, 5, 6)));

/*
 * Fill err (message from fmt, optional detail and hint); returns its code.
 */
static int
set_error(CoreError *err, int code, const char *detail, const char *hint,
		  const char *fmt,...)
{
	char		msg[CORE_MSGLEN];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	core_error(err, code, "%s", msg);
	if (detail)
		core_error_detail(err, "%s", detail);
	if (hint)
		core_error_hint(err, "%s", hint);
	return code;
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
	char		digits[48];

	if (unit != NULL && unit->mant > 0 &&
		units <= ((u128) -1) / (u128) unit->mant &&
		scaled_to_text(units * (u128) unit->mant, unit->scale,
					   unit->scale > 0 ? unit->scale : 0, buf, buflen))
		return;
	u128_to_text(units, digits);
	snprintf(buf, buflen, "%s units", digits);
}

/*
 * a / unit as an exact integer count of units.
 * Returns CORE_OK, CORE_ERR_INVALID (not a multiple) or CORE_ERR_RANGE
 * (above INT64_MAX units, or too many digits apart to compute).
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
		return CORE_OK;
	}
	if (d >= 0)
	{
		if (d > 38 || pow10_u128(d) > ((u128) -1) / (u128) a->mant)
			return CORE_ERR_RANGE;
		num = (u128) a->mant * pow10_u128(d);
		den = (u128) unit->mant;
	}
	else
	{
		/* unit has coarser digits than a: den grows; beyond 10^38 > a */
		if (-d > 38 || pow10_u128(-d) > ((u128) -1) / (u128) unit->mant)
			return CORE_ERR_INVALID;
		num = (u128) a->mant;
		den = (u128) unit->mant * pow10_u128(-d);
	}
	if (num % den != 0)
		return CORE_ERR_INVALID;
	if (num / den > (u128) INT64_MAX)
		return CORE_ERR_RANGE;
	*q = (int64_t) (num / den);
	return CORE_OK;
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
 * Take one value the caller expects to be a finite decimal; otherwise fill
 * err naming it ("<fname> <what> must be ..., got <text>").
 */
static int
check_value(const char *fname, const char *what, const ApValue *v,
			int64_t pos, ApNum *out, CoreError *err)
{
	char		text[CORE_MSGLEN];
	char		where[64];

	*out = v->num;
	if (v->status == AP_PARSE_OK)
		return CORE_OK;
	where_text(pos, where);
	ap_value_text(v, text, sizeof(text));
	switch (v->status)
	{
		case AP_PARSE_NAN:
			return set_error(err, CORE_ERR_INVALID, NULL, NULL,
							 "%s %s must be a number, got NaN%s", fname, what,
							 where);
		case AP_PARSE_INF:
			return set_error(err, CORE_ERR_INVALID, NULL, NULL,
							 "%s %s must be finite, got %s%s", fname, what,
							 text, where);
		case AP_PARSE_RANGE:
			return set_error(err, CORE_ERR_RANGE,
							 "Values are computed exactly in scaled 64-bit integers, which hold at most 18 significant digits.",
							 NULL,
							 "%s %s %s%s has too many significant digits",
							 fname, what, text, where);
		default:
			return set_error(err, CORE_ERR_INVALID, NULL, NULL,
							 "%s %s is not a decimal number: \"%s\"%s", fname,
							 what, text, where);
	}
}

/*
 * ap_total_units
 *		Check unit > 0 and total >= 0, a multiple of unit; total / unit.
 */
int
ap_total_units(const char *fname, const ApValue *total_value,
			   const ApValue *unit_value, ApNum *unit, int64_t *total_units,
			   CoreError *err)
{
	char		t[CORE_MSGLEN],
				u[CORE_MSGLEN];
	ApNum		total;
	int			rc;

	if (check_value(fname, "unit", unit_value, -1, unit, err) != CORE_OK)
		return err->code;
	ap_value_text(unit_value, u, sizeof(u));
	if (unit->neg || unit->mant == 0)
		return set_error(err, CORE_ERR_INVALID, NULL, NULL,
						 "%s unit must be greater than zero, got %s", fname, u);
	if (check_value(fname, "total", total_value, -1, &total, err) != CORE_OK)
		return err->code;
	ap_value_text(total_value, t, sizeof(t));
	if (total.neg)
		return set_error(err, CORE_ERR_INVALID, NULL, NULL,
						 "%s total must not be negative, got %s", fname, t);
	rc = div_units(&total, unit, total_units);
	if (rc == CORE_ERR_INVALID)
		return set_error(err, rc, NULL,
						 "Round the total to the unit first, or pass a finer unit.",
						 "%s total %s is not a multiple of unit %s", fname,
						 t, u);
	if (rc == CORE_ERR_RANGE)
		return set_error(err, rc,
						 "The total is counted in units in a 64-bit integer (at most 9223372036854775807 units).",
						 NULL,
						 "%s total %s is too large for unit %s", fname, t, u);
	core_error_clear(err);
	return CORE_OK;
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

/* what the rows add up to: the input of the checks and of the level */
typedef struct ApSums
{
	int64_t		active;			/* rows not skipped */
	u128		sumw;			/* their weights */
	u128		sumlow;			/* their lower bounds */
	u128		lowzero;		/* lower bounds of the weight-0 rows */
	u128		reach;			/* most the rows can take, when all bounded */
	bool		unbounded;		/* some row with weight > 0 has no upper */
	bool		bounded;		/* some row with weight > 0 has a bound */
} ApSums;

/* The level lambda = P / Q all unbounded shares are P * w / Q at. */
typedef struct ApLevel
{
	u128		P;
	u128		Q;
} ApLevel;

/*
 * Workspace for n rows: the breakpoints (two a row) of the sweep, and then,
 * in the same memory, the candidates of the largest-remainder ranking.
 */
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
 * Phase 1: add up the rows (see ApSums).  The caller promised checked rows
 * (weights and bounds >= 0, lower <= upper); one that is not is an internal
 * error, not a wrong answer.
 */
static int
sum_rows(const ApRow *rows, int64_t n, const char *fname, ApSums *s,
		 CoreError *err)
{
	memset(s, 0, sizeof(*s));
	for (int64_t i = 0; i < n; i++)
	{
		const ApRow *r = &rows[i];

		if (r->skip)
			continue;
		if (r->weight < 0 || r->lower < 0 ||
			(r->has_upper && r->upper < r->lower))
			return set_error(err, CORE_ERR_INTERNAL, NULL, NULL,
							 "%s: unchecked row %lld", fname, (long long) i + 1);
		s->active++;
		s->sumw += (u128) r->weight;
		s->sumlow += (u128) r->lower;
		if (r->weight == 0)
		{
			s->lowzero += (u128) r->lower;
			s->reach += (u128) r->lower;
		}
		else if (r->has_upper)
		{
			s->reach += (u128) r->upper;
			s->bounded = true;
		}
		else
			s->unbounded = true;
		if (r->weight > 0 && r->lower > 0)
			s->bounded = true;
	}
	return CORE_OK;
}

/*
 * The error for bounds no share can meet: the lower bounds alone pass the
 * total, or (every row with weight bounded) the most the rows can take
 * stays below it.  Amounts are printed in the unit when it is known.
 */
static int
infeasible(const ApSums *s, u128 T, const ApNum *unit, const char *fname,
		   const char *wname, CoreError *err)
{
	char		t[80],
				l[80],
				u[80],
				detail[CORE_MSGLEN];

	units_to_text(T, unit, t, sizeof(t));
	units_to_text(s->sumlow, unit, l, sizeof(l));
	if (s->unbounded)
		snprintf(detail, sizeof(detail),
				 "The lower bounds sum to %s, above the total %s.", l, t);
	else
	{
		units_to_text(s->reach, unit, u, sizeof(u));
		snprintf(detail, sizeof(detail),
				 "The lower bounds sum to %s; the rows can reach %s (the upper bounds of the rows with %s > 0 plus the lower bounds of the rows with %s 0); the total is %s.",
				 l, u, wname, wname, t);
	}
	return set_error(err, CORE_ERR_INVALID, detail,
					 "Lower the total, or loosen the bounds.",
					 "%s has infeasible bounds for total %s", fname, t);
}

/*
 * Phase 2: refuse what has no answer, before any arithmetic depends on it:
 * no row to allocate by, all weights zero, weights too large to sum in 63
 * bits, infeasible bounds.
 */
static int
check_problem(const ApSums *s, u128 T, const ApNum *unit, const char *fname,
			  const char *wname, CoreError *err)
{
	char		hint[CORE_MSGLEN];

	if (s->active == 0)
		return set_error(err, CORE_ERR_INVALID, NULL,
						 "Give at least one row a weight; pass equal weights for an equal split.",
						 "%s has no non-NULL %s to allocate by", fname, wname);
	if (s->sumw == 0)
	{
		snprintf(hint, sizeof(hint),
				 "Pass equal %ss (for example all 1) for an equal split.",
				 wname);
		return set_error(err, CORE_ERR_INVALID, NULL, hint,
						 "%s %ss are all zero", fname, wname);
	}
	if (s->sumw > (u128) INT64_MAX)
		return set_error(err, CORE_ERR_RANGE,
						 "Weights are scaled to integers by a common power of ten; their sum must stay below 2^63.",
						 NULL, "%s %ss are too large or span too many digits",
						 fname, wname);
	if (s->sumlow > T || (!s->unbounded && s->reach < T))
		return infeasible(s, T, unit, fname, wname, err);
	return CORE_OK;
}

/*
 * The breakpoints of f(lambda) into ev: where each row with weight > 0
 * starts to grow (lower / weight) and, with an upper bound, stops
 * (upper / weight), sorted by lambda.  Returns how many.
 */
static int64_t
collect_events(const ApRow *rows, int64_t n, ApEvent *ev)
{
	int64_t		ne = 0;

	for (int64_t i = 0; i < n; i++)
	{
		const ApRow *r = &rows[i];

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
	return ne;
}

/*
 * Phase 3 with bounds: sweep the breakpoints keeping f = C + lambda * S (C:
 * rows held at a bound, S: weight of the rows between theirs) until f
 * reaches T; the level is then (T - C) / S.  All breakpoints at one lambda
 * are passed together, so rows tied there move as one.
 */
static int
water_fill(const ApRow *rows, int64_t n, const ApSums *s, u128 T, void *work,
		   const char *fname, ApLevel *lv, CoreError *err)
{
	ApEvent    *ev = (ApEvent *) work;
	int64_t		ne = collect_events(rows, n, ev);
	i128		C = (i128) s->sumlow;
	i128		S = 0;
	bool		found = false;

	for (int64_t i = 0; i < ne;)
	{
		u128		p = (u128) ev[i].p;
		u128		q = (u128) ev[i].q;
		int64_t		j;

		/* C < T and S >= 0 here: f(b) = C + (p/q) S; does it reach T? */
		if ((u128) C * q + p * (u128) S >= T * q)
		{
			found = true;
			break;
		}
		for (j = i; j < ne && (u128) ev[j].p * q == p * (u128) ev[j].q; j++)
		{
			const ApRow *r = &rows[ev[j].row];

			C += ev[j].kind == 0 ? -(i128) r->lower : (i128) r->upper;
			S += ev[j].kind == 0 ? r->weight : -r->weight;
		}
		i = j;
	}
	if (found || S > 0)
	{
		lv->P = T - (u128) C;
		lv->Q = (u128) S;
	}
	else if ((u128) C == T && ne > 0)
	{
		/* every row is held at a bound; any lambda past the last breakpoint */
		lv->P = (u128) ev[ne - 1].p;
		lv->Q = (u128) ev[ne - 1].q;
	}
	else
		return set_error(err, CORE_ERR_INTERNAL, NULL, NULL,
						 "%s: water-filling found no level", fname);
	if (lv->Q == 0)
		return set_error(err, CORE_ERR_INTERNAL, NULL, NULL,
						 "%s: water-filling level has a zero denominator",
						 fname);
	return CORE_OK;
}

/*
 * Phase 3: the level.  Every lower bound met exactly: lambda = 0.  No
 * bounds on rows with weight: lambda = (T - lower bounds of weight-0 rows)
 * / sum of weights.  Otherwise the water-filling sweep.
 */
static int
find_level(const ApRow *rows, int64_t n, const ApSums *s, u128 T, void *work,
		   const char *fname, ApLevel *lv, CoreError *err)
{
	if (T == s->sumlow)
	{
		lv->P = 0;
		lv->Q = 1;
		return CORE_OK;
	}
	if (!s->bounded)
	{
		lv->P = T - s->lowzero;
		lv->Q = s->sumw;
		return CORE_OK;
	}
	return water_fill(rows, n, s, T, work, fname, lv, err);
}

/*
 * Phase 4: each row's share rounded down -- its bound when the level holds
 * it there, else floor(P * w / Q) -- into result; rows with a fraction
 * left become candidates in rank.  *sumbase receives the sum of the
 * shares, *ncand the number of candidates.
 */
static int
floor_shares(ApRow *rows, int64_t n, const ApLevel *lv, ApRank *rank,
			 const char *fname, u128 *sumbase, int64_t *ncand, CoreError *err)
{
	*sumbase = 0;
	*ncand = 0;
	for (int64_t i = 0; i < n; i++)
	{
		ApRow	   *r = &rows[i];
		u128		x,
					base;

		if (r->skip)
			continue;
		x = lv->P * (u128) r->weight;
		if (r->weight == 0 || x <= (u128) r->lower * lv->Q)
			base = (u128) r->lower;
		else if (r->has_upper && x >= (u128) r->upper * lv->Q)
			base = (u128) r->upper;
		else
		{
			base = x / lv->Q;
			if (x % lv->Q != 0)
			{
				rank[*ncand].rem = (int64_t) (x % lv->Q);
				rank[*ncand].weight = r->weight;
				rank[*ncand].row = i;
				(*ncand)++;
			}
		}
		if (base > (u128) INT64_MAX)
			return set_error(err, CORE_ERR_INTERNAL, NULL, NULL,
							 "%s: share out of range", fname);
		r->result = (int64_t) base;
		*sumbase += base;
	}
	return CORE_OK;
}

/*
 * Phase 5: the units the floors leave over, one each to the candidates
 * with the largest remainders.  There are fewer left than candidates, or
 * the level was wrong: checked, as an internal error.
 */
static int
give_remainders(ApRow *rows, ApRank *rank, int64_t ncand, u128 T,
				u128 sumbase, const char *fname, CoreError *err)
{
	u128		left;

	if (sumbase > T || T - sumbase > (u128) ncand ||
		(T > sumbase && T - sumbase == (u128) ncand))
		return set_error(err, CORE_ERR_INTERNAL, NULL, NULL,
						 "%s: remainders do not add up", fname);
	left = T - sumbase;
	if (left > 0)
	{
		qsort(rank, (size_t) ncand, sizeof(ApRank), rank_cmp);
		for (int64_t k = 0; (u128) k < left; k++)
			rows[rank[k].row].result++;
	}
	return CORE_OK;
}

/*
 * ap_apportion_units
 *		The integer core; see the file header for the method.  The phases
 *		run in order, each on what the one before established.
 */
int
ap_apportion_units(ApRow *rows, int64_t n, int64_t total, void *work,
				   const ApNum *unit, const char *fname, const char *wname,
				   CoreError *err)
{
	ApSums		sums;
	ApLevel		level = {0, 1};
	u128		T = (u128) total,
				sumbase;
	int64_t		ncand;

	core_error_clear(err);
	if (total < 0)
		return set_error(err, CORE_ERR_INTERNAL, NULL, NULL,
						 "%s: negative total units", fname);
	if (sum_rows(rows, n, fname, &sums, err) != CORE_OK ||
		check_problem(&sums, T, unit, fname, wname, err) != CORE_OK ||
		find_level(rows, n, &sums, T, work, fname, &level, err) != CORE_OK ||
		floor_shares(rows, n, &level, (ApRank *) work, fname, &sumbase,
					 &ncand, err) != CORE_OK ||
		give_remainders(rows, (ApRank *) work, ncand, T, sumbase, fname,
						err) != CORE_OK)
		return err->code;
	return CORE_OK;
}

/* ---------------------------------------------------------------------
 * Level 2: decimal values in, checked and scaled
 * --------------------------------------------------------------------- */

/*
 * Check one bound of row i (what: "lower bound" / "upper bound"): a
 * non-negative multiple of the unit; *units receives it in units.
 */
static int
read_bound(const ApInput *in, const char *what, const ApValue *v, int64_t i,
		   const ApNum *unit, int64_t *units, CoreError *err)
{
	char		text[CORE_MSGLEN],
				u[CORE_MSGLEN],
				where[64];
	ApNum		b;
	int			rc;

	if (check_value(in->fname, what, v, i, &b, err) != CORE_OK)
		return err->code;
	rc = b.neg ? CORE_ERR_INVALID : div_units(&b, unit, units);
	if (rc == CORE_OK)
		return CORE_OK;
	where_text(i, where);
	ap_value_text(v, text, sizeof(text));
	ap_value_text(in->unit, u, sizeof(u));
	if (b.neg)
		return set_error(err, CORE_ERR_INVALID, NULL, NULL,
						 "%s %s must not be negative, got %s%s", in->fname,
						 what, text, where);
	if (rc == CORE_ERR_INVALID)
		return set_error(err, rc, NULL, NULL,
						 "%s %s %s%s is not a multiple of unit %s", in->fname,
						 what, text, where, u);
	return set_error(err, rc, NULL, NULL,
					 "%s %s %s%s is too large for unit %s", in->fname, what,
					 text, where, u);
}

/*
 * Check the weights (finite, >= 0) and park each one's mantissa in
 * rows[i].weight and its scale in rows[i].upper for scale_weights;
 * *maxscale receives the largest scale of a non-zero weight.  A NULL
 * weight skips its row and makes its answer NULL.
 */
static int
read_weights(const ApInput *in, ApRow *rows, bool *result_null,
			 int *maxscale, CoreError *err)
{
	char		text[CORE_MSGLEN],
				where[64];
	ApNum		w;

	*maxscale = INT32_MIN;
	for (int64_t i = 0; i < in->n; i++)
	{
		memset(&rows[i], 0, sizeof(ApRow));
		result_null[i] = (in->weights[i].status == AP_VALUE_NULL);
		rows[i].skip = result_null[i];
		if (rows[i].skip)
			continue;
		if (check_value(in->fname, in->wname, &in->weights[i], i, &w, err) != CORE_OK)
		{
			/* weights from a division (x / sum(x)) carry 20 digits */
			if (err->code == CORE_ERR_RANGE)
				core_error_hint(err, "Round the %ss, for example round(w, 12): a division such as x / sum(x) gives 20 significant digits.",
								in->wname);
			return err->code;
		}
		if (w.neg)
		{
			where_text(i, where);
			ap_value_text(&in->weights[i], text, sizeof(text));
			return set_error(err, CORE_ERR_INVALID, NULL, NULL,
							 "%s %s must not be negative, got %s%s", in->fname,
							 in->wname, text, where);
		}
		rows[i].weight = w.mant;
		rows[i].upper = w.scale;
		if (w.mant != 0 && w.scale > *maxscale)
			*maxscale = w.scale;
	}
	return CORE_OK;
}

/*
 * Bring the parked weights to the common scale maxscale: integers in the
 * same proportion.  A weight that would pass 2^63 is a range error.
 */
static int
scale_weights(const ApInput *in, ApRow *rows, int maxscale, CoreError *err)
{
	char		text[CORE_MSGLEN];

	for (int64_t i = 0; i < in->n; i++)
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
			ap_value_text(&in->weights[i], text, sizeof(text));
			return set_error(err, CORE_ERR_RANGE,
							 "Weights are scaled to integers by a common power of ten, which must keep each below 2^63.",
							 "Round the smallest weights, or drop digits that do not matter.",
							 "%s %s %s at position %lld spans too many digits next to the other %ss",
							 in->fname, in->wname, text, (long long) i + 1,
							 in->wname);
		}
		r->weight = (int64_t) ((u128) r->weight * pow10_u128(shift));
	}
	return CORE_OK;
}

/* The error for a row whose lower bound is above its upper bound. */
static int
crossed_bounds(const ApInput *in, int64_t i, CoreError *err)
{
	char		lo[CORE_MSGLEN],
				up[CORE_MSGLEN];

	ap_value_text(&in->lower[i], lo, sizeof(lo));
	ap_value_text(&in->upper[i], up, sizeof(up));
	set_error(err, CORE_ERR_INVALID, NULL,
			  "Give every row a lower bound at most its upper bound.",
			  "%s has infeasible bounds: lower bound %s is above upper bound %s at position %lld",
			  in->fname, lo, up, (long long) i + 1);
	core_error_detail(err, "Row %lld has lower bound %s and upper bound %s.",
					  (long long) i + 1, lo, up);
	return err->code;
}

/*
 * Check the bounds of every row that takes a share and store them in
 * units; a NULL lower bound is 0, a NULL upper bound none.
 */
static int
read_bounds(const ApInput *in, ApRow *rows, const ApNum *unit, CoreError *err)
{
	for (int64_t i = 0; i < in->n; i++)
	{
		ApRow	   *r = &rows[i];
		const ApValue *lo = in->lower ? &in->lower[i] : NULL;
		const ApValue *up = in->upper ? &in->upper[i] : NULL;

		if (r->skip)
			continue;
		if (lo && lo->status != AP_VALUE_NULL &&
			read_bound(in, "lower bound", lo, i, unit, &r->lower, err) != CORE_OK)
			return err->code;
		if (up && up->status != AP_VALUE_NULL)
		{
			if (read_bound(in, "upper bound", up, i, unit, &r->upper, err) != CORE_OK)
				return err->code;
			r->has_upper = true;
			if (r->upper < r->lower)
				return crossed_bounds(in, i, err);
		}
	}
	return CORE_OK;
}

/*
 * ap_allocate
 *		Check and scale the values, apportion, return units per row.
 */
int
ap_allocate(const ApInput *in, ApRow *rows, void *work, int64_t *units,
			bool *result_null, ApNum *unit_out, CoreError *err)
{
	int64_t		total;
	int			maxscale;

	core_error_clear(err);
	if (in->n <= 0)
		return set_error(err, CORE_ERR_INVALID, NULL, NULL,
						 "%s %ss must not be empty", in->fname, in->wname);
	if (ap_total_units(in->fname, in->total, in->unit, unit_out, &total, err) != CORE_OK ||
		read_weights(in, rows, result_null, &maxscale, err) != CORE_OK ||
		scale_weights(in, rows, maxscale, err) != CORE_OK ||
		read_bounds(in, rows, unit_out, err) != CORE_OK ||
		ap_apportion_units(rows, in->n, total, work, unit_out, in->fname,
						   in->wname, err) != CORE_OK)
		return err->code;
	for (int64_t i = 0; i < in->n; i++)
		units[i] = rows[i].skip ? 0 : rows[i].result;
	return CORE_OK;
}

/*
 * ap_share_scaled
 *		units * unit as share * 10^dscale in int64, when it fits.
 */
bool
ap_share_scaled(int64_t units, const ApNum *unit, int dscale, int64_t *scaled)
{
	int			shift = dscale - unit->scale;
	u128		v;

	if (units < 0)
		return false;
	v = (u128) units * (u128) unit->mant;
	if (shift >= 0 && shift <= 18 &&
		(v == 0 || pow10_u128(shift) <= (u128) INT64_MAX / v) &&
		v * pow10_u128(shift) <= (u128) INT64_MAX)
	{
		*scaled = (int64_t) (v * pow10_u128(shift));
		return true;
	}
	return false;
}

/*-------------------------------------------------------------------------
 *
 * tier_table.c
 *	  Pure-C core of the tier_table type (see tier_table.h).
 *
 * Text form:	mode[(threshold,rate),...] [cap N]
 *	  mode is "marginal" or "flat", any case; "cap" in any case; blanks are
 *	  allowed around every token; numbers are plain decimals (optional sign,
 *	  digits, optional point and digits), no exponent, so the digits written
 *	  are the digits kept.
 *
 * Evaluation is integer arithmetic on scaled 128-bit values with overflow
 * checks: no float anywhere, and a result that cannot be represented is
 * reported (TT_OVERFLOW) rather than wrapped.
 *
 *-------------------------------------------------------------------------
 */
#include "tier_table.h"

#include <stdio.h>
#include <string.h>

#include "lex.h"
#include "pow10.h"

typedef __int128 i128;

_Static_assert(TT_DEC_BUFLEN <= LEX_NUM_BUFLEN,
			   "a number's text must fit lex_format_pairs' buffers");

/* the mode names, by mode code */
static const char *const tt_modes[] = {"marginal", "flat"};

#define TT_NMODES	2

/* a * 10^k with overflow check (k >= 0) */
static int
tt_scale_up(i128 a, int k, i128 *out)
{
	while (k-- > 0)
	{
		if (__builtin_mul_overflow(a, (i128) 10, &a))
			return 0;
	}
	*out = a;
	return 1;
}

/* a decimal at a scale >= its own, 0..TT_MAX_SCALE, as a 128-bit integer */
static inline i128
tt_at(tt_dec d, int scale)
{
	return (i128) d.m * pow10_i64(scale - d.scale);
}

/* The name of a mode code, or NULL for an unknown code. */
static const char *
tt_mode_name(int mode)
{
	return mode >= 0 && mode < TT_NMODES ? tt_modes[mode] : NULL;
}

/* the digits of one number read so far (see tt_digits) */
typedef struct TtDigits
{
	int64_t		m;				/* mantissa */
	int			ndigits;		/* digits seen */
	int			sig;			/* significant digits (after leading zeros) */
	int			scale;			/* digits after the point */
} TtDigits;

/*
 * Read a run of digits at *i into acc: the integer part, or with frac the
 * part after the point.  More significant digits or decimals than the
 * type keeps is a range error showing the number (up to 40 bytes) from
 * start to the end of its digits -- and points, in the integer part.
 */
static int
tt_digits(LexState *p, size_t start, size_t *i, int frac, TtDigits *acc)
{
	while (*i < p->len && lex_is_digit((unsigned char) p->s[*i]))
	{
		int			d = p->s[*i] - '0';

		acc->ndigits++;
		acc->scale += frac;
		if (acc->sig > 0 || d != 0)
			acc->sig++;
		if (acc->sig > TT_MAX_DIGITS || acc->scale > TT_MAX_SCALE)
		{
			size_t		e = *i;
			int			show;

			while (e < p->len && (lex_is_digit((unsigned char) p->s[e]) ||
								  (!frac && p->s[e] == '.')))
				e++;
			show = (int) (e - start) > 40 ? 40 : (int) (e - start);
			return lex_error(p->err, CORE_ERR_RANGE,
							 "tier_table value \"%.*s\" is out of range: at most %d significant digits and %d decimal places",
							 show, p->s + start, TT_MAX_DIGITS, TT_MAX_SCALE);
		}
		acc->m = acc->m * 10 + d;
		(*i)++;
	}
	return CORE_OK;
}

/*
 * Read one decimal, keeping its digits: "0.020" is m = 20, scale 3.
 * Leading zeros of the integer part carry no information and are dropped.
 * A LexNumberFn: out is a tt_dec.
 */
static int
tt_number(LexState *p, void *out)
{
	tt_dec	   *d = (tt_dec *) out;
	TtDigits	acc = {0, 0, 0, 0};
	size_t		start,
				i;
	int			neg,
				rc;

	if ((rc = lex_number_start(p, "tier_table", &start, &i, &neg)) != CORE_OK ||
		(rc = tt_digits(p, start, &i, 0, &acc)) != CORE_OK)
		return rc;
	if (i < p->len && p->s[i] == '.')
	{
		i++;
		if ((rc = tt_digits(p, start, &i, 1, &acc)) != CORE_OK)
			return rc;
	}
	if (acc.ndigits == 0)
		return lex_syntax(p, "a number");
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E'))
	{
		p->pos = i;
		return lex_error(p->err, CORE_ERR_SYNTAX,
						 "Exponents are not allowed in a tier_table, found \"%.*s\"; write the decimal digits.",
						 (int) (i - start + 1), p->s + start);
	}
	p->pos = i;
	d->m = neg ? -acc.m : acc.m;
	d->scale = acc.scale;
	d->pad = 0;
	return CORE_OK;
}

/*
 * Parse the text form (see tier_table.h): the mode, the tiers, then an
 * optional "cap N" and nothing else.
 */
int
tt_parse(const char *str, size_t len, tt_table *t, CoreError *err)
{
	LexPairList list = {"tier_table", "tier", TT_MAX_TIERS, tt_number,
	sizeof(tt_dec), t->thr, t->rate};
	LexState	p;
	size_t		w;
	int			rc;

	lex_init(&p, str, len, err);
	t->ntiers = 0;
	t->has_cap = 0;
	t->cap.m = 0;
	t->cap.scale = 0;
	t->cap.pad = 0;
	if ((rc = lex_mode(&p, "tier_table", tt_modes, TT_NMODES, &t->mode)) != CORE_OK ||
		(rc = lex_pair_list(&p, &list, &t->ntiers)) != CORE_OK)
		return rc;
	lex_skip_space(&p);
	w = p.pos;
	while (w < len && lex_is_alpha((unsigned char) str[w]))
		w++;
	if (w > p.pos && lex_word_eq(str + p.pos, w - p.pos, "cap"))
	{
		p.pos = w;
		if ((rc = tt_number(&p, &t->cap)) != CORE_OK)
			return rc;
		t->has_cap = 1;
		lex_skip_space(&p);
	}
	if (p.pos < len)
		return lex_syntax(&p, t->has_cap ? "the end of the input" :
						  "\"cap\" or the end of the input after \"]\"");
	return tt_validate(t, err);
}

/* a decimal within the limits of the type (binary input is not trusted) */
static int
tt_dec_ok(tt_dec d)
{
	return d.pad == 0 && d.scale >= 0 && d.scale <= TT_MAX_SCALE &&
		d.m > -1000000000000000000LL && d.m < 1000000000000000000LL;
}

/*
 * Check every rule of a table (see tier_table.h): the header first (mode,
 * tier count, cap flag and cap), then each tier in order, so the message
 * names the first thing wrong.
 */
int
tt_validate(const tt_table *t, CoreError *err)
{
	char		a[TT_DEC_BUFLEN],
				b[TT_DEC_BUFLEN];
	int			i;

	if (tt_mode_name(t->mode) == NULL)
		return lex_error(err, CORE_ERR_INVALID,
						"unknown tier_table mode code %d", t->mode);
	if (t->ntiers < 1)
		return lex_error(err, CORE_ERR_INVALID,
						"tier_table must have at least 1 tier, got %d", t->ntiers);
	if (t->ntiers > TT_MAX_TIERS)
		return lex_error(err, CORE_ERR_INVALID,
						"tier_table has %d tiers, more than the maximum of %d",
						t->ntiers, TT_MAX_TIERS);
	if (t->has_cap != 0 && t->has_cap != 1)
		return lex_error(err, CORE_ERR_INVALID,
						"invalid tier_table cap flag %d", t->has_cap);
	if (!t->has_cap && (t->cap.m != 0 || t->cap.scale != 0 || t->cap.pad != 0))
		return lex_error(err, CORE_ERR_INVALID,
						"tier_table without a cap must store a zero cap, got mantissa %lld scale %d",
						(long long) t->cap.m, (int) t->cap.scale);
	if (!tt_dec_ok(t->cap))
		return lex_error(err, CORE_ERR_RANGE,
						"tier_table cap is out of range: at most %d significant digits and %d decimal places",
						TT_MAX_DIGITS, TT_MAX_SCALE);
	if (t->has_cap && t->cap.m < 0)
	{
		tt_dec_format(t->cap, a);
		return lex_error(err, CORE_ERR_INVALID,
						"tier_table cap must not be negative, got %s", a);
	}
	for (i = 0; i < t->ntiers; i++)
	{
		if (!tt_dec_ok(t->thr[i]) || !tt_dec_ok(t->rate[i]))
			return lex_error(err, CORE_ERR_RANGE,
							"tier_table tier %d is out of range: at most %d significant digits and %d decimal places",
							i + 1, TT_MAX_DIGITS, TT_MAX_SCALE);
		if (t->thr[i].m < 0)
		{
			tt_dec_format(t->thr[i], a);
			return lex_error(err, CORE_ERR_INVALID,
							"tier_table thresholds must not be negative, got %s", a);
		}
		if (t->rate[i].m < 0)
		{
			tt_dec_format(t->rate[i], a);
			tt_dec_format(t->thr[i], b);
			return lex_error(err, CORE_ERR_INVALID,
							"tier_table rates must not be negative, got %s at threshold %s",
							a, b);
		}
		if (i > 0 && tt_dec_cmp(t->thr[i], t->thr[i - 1]) <= 0)
		{
			tt_dec_format(t->thr[i], a);
			tt_dec_format(t->thr[i - 1], b);
			return lex_error(err, CORE_ERR_INVALID,
							"tier_table thresholds must be strictly increasing, got %s after %s",
							a, b);
		}
	}
	return CORE_OK;
}

/* Compare two decimals by value, at their common scale, exactly. */
int
tt_dec_cmp(tt_dec a, tt_dec b)
{
	int			s = a.scale > b.scale ? a.scale : b.scale;
	i128		x = tt_at(a, s);
	i128		y = tt_at(b, s);

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * The canonical text of a decimal: its digits with the point "scale" digits
 * from the right, a leading "0." when there is no integer digit, so 0.020
 * stays 0.020.
 */
int
tt_dec_format(tt_dec d, char *buf)
{
	char		digits[24];
	int			nd,
				len = 0,
				i;
	uint64_t	u = d.m < 0 ? (uint64_t) 0 - (uint64_t) d.m : (uint64_t) d.m;

	nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long) u);
	if (d.m < 0)
		buf[len++] = '-';
	if (nd <= d.scale)
	{
		buf[len++] = '0';
		buf[len++] = '.';
		for (i = 0; i < d.scale - nd; i++)
			buf[len++] = '0';
		memcpy(buf + len, digits, nd);
		len += nd;
	}
	else
	{
		memcpy(buf + len, digits, nd - d.scale);
		len += nd - d.scale;
		if (d.scale > 0)
		{
			buf[len++] = '.';
			memcpy(buf + len, digits + nd - d.scale, d.scale);
			len += d.scale;
		}
	}
	buf[len] = '\0';
	return len;
}

/* lex_format_pairs callback: threshold (which 0) or rate (1) of tier i */
static int
tt_format_number(const void *arg, int i, int which, char *buf)
{
	const tt_table *t = (const tt_table *) arg;

	return tt_dec_format(which == 0 ? t->thr[i] : t->rate[i], buf);
}

/* The canonical text of a table (see tier_table.h). */
long
tt_format(const tt_table *t, char *buf, size_t buflen)
{
	char		a[TT_DEC_BUFLEN];
	long		len = lex_format_pairs(buf, buflen, tt_mode_name(t->mode),
									   t->ntiers, tt_format_number, t);
	int			wa;

	if (len < 0 || !t->has_cap)
		return len;
	wa = tt_dec_format(t->cap, a);
	if ((size_t) len + wa + 6 > buflen)
		return -1;
	return len + snprintf(buf + len, buflen - len, " cap %s", a);
}

/* Same commission function (see tier_table.h): mode, cap, tiers by value. */
int
tt_equal(const tt_table *a, const tt_table *b)
{
	int			i;

	if (a->mode != b->mode || a->ntiers != b->ntiers || a->has_cap != b->has_cap)
		return 0;
	if (a->has_cap && tt_dec_cmp(a->cap, b->cap) != 0)
		return 0;
	for (i = 0; i < a->ntiers; i++)
		if (tt_dec_cmp(a->thr[i], b->thr[i]) != 0 ||
			tt_dec_cmp(a->rate[i], b->rate[i]) != 0)
			return 0;
	return 1;
}

/* The btree order of two tables (see tier_table.h). */
int
tt_compare(const tt_table *a, const tt_table *b)
{
	int			n = a->ntiers < b->ntiers ? a->ntiers : b->ntiers;
	int			c,
				i;

	if (a->mode != b->mode)
		return a->mode < b->mode ? -1 : 1;
	for (i = 0; i < n; i++)
	{
		if ((c = tt_dec_cmp(a->thr[i], b->thr[i])) != 0)
			return c;
		if ((c = tt_dec_cmp(a->rate[i], b->rate[i])) != 0)
			return c;
	}
	if (a->ntiers != b->ntiers)
		return a->ntiers < b->ntiers ? -1 : 1;
	if (a->has_cap != b->has_cap)
		return a->has_cap < b->has_cap ? -1 : 1;
	return a->has_cap ? tt_dec_cmp(a->cap, b->cap) : 0;
}

/* max(amount scale, threshold scales) and max(rate scales) */
static void
tt_scales(const tt_table *t, int amount_scale, int *w, int *r)
{
	int			i;

	*w = amount_scale;
	*r = 0;
	for (i = 0; i < t->ntiers; i++)
	{
		if (t->thr[i].scale > *w)
			*w = t->thr[i].scale;
		if (t->rate[i].scale > *r)
			*r = t->rate[i].scale;
	}
}

/* The scale of every result of t for amounts of amount_scale (see tier_table.h). */
int
tt_result_scale(const tt_table *t, int amount_scale)
{
	int			w,
				r;

	tt_scales(t, amount_scale, &w, &r);
	if (t->has_cap && t->cap.scale > w + r)
		return t->cap.scale;
	return w + r;
}

/*
 * Flat: the whole amount a (at scale w) earns the rate (at scale r) of the
 * last threshold it reached; *sum at scale w + r.
 */
static int
tt_eval_flat(const tt_table *t, i128 a, int w, int r, i128 *sum)
{
	int			k = -1,
				i;

	for (i = 0; i < t->ntiers; i++)
	{
		if (tt_at(t->thr[i], w) > a)
			break;
		k = i;
	}
	*sum = 0;
	if (k >= 0 && __builtin_mul_overflow(a, tt_at(t->rate[k], r), sum))
		return TT_OVERFLOW;
	return CORE_OK;
}

/*
 * Marginal: each slice of a (at scale w) between two thresholds earns the
 * rate of the lower one; *sum at scale w + r.
 */
static int
tt_eval_marginal(const tt_table *t, i128 a, int w, int r, i128 *sum)
{
	int			i;

	*sum = 0;
	for (i = 0; i < t->ntiers; i++)
	{
		i128		ti = tt_at(t->thr[i], w);
		i128		top = a,
					part;

		if (ti >= a)
			break;
		if (i + 1 < t->ntiers && tt_at(t->thr[i + 1], w) < top)
			top = tt_at(t->thr[i + 1], w);
		if (__builtin_mul_overflow(top - ti, tt_at(t->rate[i], r), &part) ||
			__builtin_add_overflow(*sum, part, sum))
			return TT_OVERFLOW;
	}
	return CORE_OK;
}

/*
 * Commission on am / 10^ascale (see tier_table.h): the amount at the
 * working scale, the mode's sum, then the result scale and the cap.
 */
int
tt_eval(const tt_table *t, i128 am, int ascale, i128 *res, int *rscale)
{
	int			w,
				r,
				f;
	i128		a,
				sum;

	tt_scales(t, ascale, &w, &r);
	f = tt_result_scale(t, ascale);
	*rscale = f;
	if (ascale < 0 || ascale > TT_MAX_SCALE)
		return TT_OVERFLOW;
	if (am <= 0)
	{
		*res = 0;
		return CORE_OK;
	}
	/* the amount at scale w; thresholds at w and rates at r fit easily */
	if (!tt_scale_up(am, w - ascale, &a))
		return TT_OVERFLOW;
	if ((t->mode == TT_MODE_FLAT ? tt_eval_flat(t, a, w, r, &sum) :
		 tt_eval_marginal(t, a, w, r, &sum)) != CORE_OK)
		return TT_OVERFLOW;
	/* to the result scale, then the cap */
	if (!tt_scale_up(sum, f - (w + r), &sum))
		return TT_OVERFLOW;
	if (t->has_cap)
	{
		i128		cap;

		/* a cap too large for 128 bits at scale f is above any sum */
		if (tt_scale_up((i128) t->cap.m, f - t->cap.scale, &cap) && sum > cap)
			sum = cap;
	}
	*res = sum;
	return CORE_OK;
}

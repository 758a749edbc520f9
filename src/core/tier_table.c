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
#include "lex.h"

#include <stdio.h>
#include <string.h>

typedef __int128 i128;

/* 10^k for 0 <= k <= 38 as a 128-bit integer */
static i128
tt_pow10(int k)
{
	i128		p = 1;

	while (k-- > 0)
		p *= 10;
	return p;
}

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

const char *
tt_mode_name(int mode)
{
	switch (mode)
	{
		case TT_MODE_MARGINAL:
			return "marginal";
		case TT_MODE_FLAT:
			return "flat";
	}
	return NULL;
}

int
tt_mode_from_name(const char *name, size_t len)
{
	if (lex_word_eq(name, len, "marginal"))
		return TT_MODE_MARGINAL;
	if (lex_word_eq(name, len, "flat"))
		return TT_MODE_FLAT;
	return -1;
}

/*
 * Read one decimal, keeping its digits: "0.020" is m = 20, scale 3.
 * Leading zeros of the integer part carry no information and are dropped.
 */
static int
tt_number(LexState *p, tt_dec *out)
{
	size_t		start,
				i;
	int			neg = 0,
				ndigits = 0,	/* digits seen */
				sig = 0,		/* significant digits (after leading zeros) */
				scale = 0;
	int64_t		m = 0;
	int			show;

	lex_skip_space(p);
	start = p->pos;
	i = start;
	if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
	{
		neg = p->s[i] == '-';
		i++;
	}
	if (i < p->len && lex_is_alpha((unsigned char) p->s[i]))
	{
		size_t		w = i;

		while (w < p->len && lex_is_alpha((unsigned char) p->s[w]))
			w++;
		if (lex_word_eq(p->s + i, w - i, "nan") ||
			lex_word_eq(p->s + i, w - i, "inf") ||
			lex_word_eq(p->s + i, w - i, "infinity"))
			return lex_error(p->err, p->errlen, TT_ERR_INVALID,
							"tier_table values must be finite numbers, got \"%.*s\"",
							(int) (w - start), p->s + start);
		return lex_syntax(p, "a number");
	}
	while (i < p->len && lex_is_digit((unsigned char) p->s[i]))
	{
		int			d = p->s[i] - '0';

		ndigits++;
		if (sig > 0 || d != 0)
			sig++;
		if (sig > TT_MAX_DIGITS)
		{
			size_t		e = i;

			while (e < p->len && (lex_is_digit((unsigned char) p->s[e]) || p->s[e] == '.'))
				e++;
			show = (int) (e - start) > 40 ? 40 : (int) (e - start);
			return lex_error(p->err, p->errlen, TT_ERR_RANGE,
							"tier_table value \"%.*s\" is out of range: at most %d significant digits and %d decimal places",
							show, p->s + start, TT_MAX_DIGITS, TT_MAX_SCALE);
		}
		m = m * 10 + d;
		i++;
	}
	if (i < p->len && p->s[i] == '.')
	{
		i++;
		while (i < p->len && lex_is_digit((unsigned char) p->s[i]))
		{
			int			d = p->s[i] - '0';

			ndigits++;
			scale++;
			if (sig > 0 || d != 0)
				sig++;
			if (sig > TT_MAX_DIGITS || scale > TT_MAX_SCALE)
			{
				size_t		e = i;

				while (e < p->len && lex_is_digit((unsigned char) p->s[e]))
					e++;
				show = (int) (e - start) > 40 ? 40 : (int) (e - start);
				return lex_error(p->err, p->errlen, TT_ERR_RANGE,
								"tier_table value \"%.*s\" is out of range: at most %d significant digits and %d decimal places",
								show, p->s + start, TT_MAX_DIGITS, TT_MAX_SCALE);
			}
			m = m * 10 + d;
			i++;
		}
	}
	if (ndigits == 0)
		return lex_syntax(p, "a number");
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E'))
	{
		p->pos = i;
		return lex_error(p->err, p->errlen, TT_ERR_SYNTAX,
						"Exponents are not allowed in a tier_table, found \"%.*s\"; write the decimal digits.",
						(int) (i - start + 1), p->s + start);
	}
	p->pos = i;
	out->m = neg ? -m : m;
	out->scale = scale;
	out->pad = 0;
	return TT_OK;
}

int
tt_parse(const char *str, size_t len, tt_table *t, char *err, size_t errlen)
{
	LexState	p;
	size_t		w;
	int			n = 0;
	int			rc;

	p.s = str;
	p.len = len;
	p.pos = 0;
	p.err = err;
	p.errlen = errlen;

	t->ntiers = 0;
	t->has_cap = 0;
	t->cap.m = 0;
	t->cap.scale = 0;
	t->cap.pad = 0;

	lex_skip_space(&p);
	w = p.pos;
	while (w < len && lex_is_alpha((unsigned char) str[w]))
		w++;
	if (w == p.pos)
		return lex_syntax(&p, "\"marginal\" or \"flat\"");
	t->mode = tt_mode_from_name(str + p.pos, w - p.pos);
	if (t->mode < 0)
		return lex_error(err, errlen, TT_ERR_SYNTAX,
						"Unknown tier_table mode \"%.*s\"; the mode is \"marginal\" or \"flat\".",
						(int) (w - p.pos > 40 ? 40 : w - p.pos), str + p.pos);
	p.pos = w;
	if ((rc = lex_expect(&p, '[', "\"[\"")) != TT_OK)
		return rc;
	lex_skip_space(&p);
	if (p.pos < len && str[p.pos] == ']')
		return lex_error(err, errlen, TT_ERR_INVALID,
						"tier_table must have at least 1 tier, got an empty list");
	for (;;)
	{
		tt_dec		thr,
					rate;

		if ((rc = lex_expect(&p, '(', "\"(\"")) != TT_OK)
			return rc;
		if ((rc = tt_number(&p, &thr)) != TT_OK)
			return rc;
		if ((rc = lex_expect(&p, ',', "\",\"")) != TT_OK)
			return rc;
		if ((rc = tt_number(&p, &rate)) != TT_OK)
			return rc;
		if ((rc = lex_expect(&p, ')', "\")\"")) != TT_OK)
			return rc;
		if (n >= TT_MAX_TIERS)
			return lex_error(err, errlen, TT_ERR_INVALID,
							"tier_table has more than %d tiers", TT_MAX_TIERS);
		t->thr[n] = thr;
		t->rate[n] = rate;
		n++;
		lex_skip_space(&p);
		if (p.pos < len && str[p.pos] == ',')
		{
			p.pos++;
			continue;
		}
		if (p.pos < len && str[p.pos] == ']')
		{
			p.pos++;
			break;
		}
		return lex_syntax(&p, "\",\" or \"]\"");
	}
	t->ntiers = n;
	lex_skip_space(&p);
	w = p.pos;
	while (w < len && lex_is_alpha((unsigned char) str[w]))
		w++;
	if (w > p.pos && lex_word_eq(str + p.pos, w - p.pos, "cap"))
	{
		p.pos = w;
		if ((rc = tt_number(&p, &t->cap)) != TT_OK)
			return rc;
		t->has_cap = 1;
		lex_skip_space(&p);
	}
	if (p.pos < len)
		return lex_syntax(&p, t->has_cap ? "the end of the input" :
						 "\"cap\" or the end of the input after \"]\"");
	return tt_validate(t, err, errlen);
}

/* a decimal within the limits of the type (binary input is not trusted) */
static int
tt_dec_ok(tt_dec d)
{
	return d.pad == 0 && d.scale >= 0 && d.scale <= TT_MAX_SCALE &&
		d.m > -1000000000000000000LL && d.m < 1000000000000000000LL;
}

int
tt_validate(const tt_table *t, char *err, size_t errlen)
{
	char		a[TT_DEC_BUFLEN],
				b[TT_DEC_BUFLEN];
	int			i;

	if (tt_mode_name(t->mode) == NULL)
		return lex_error(err, errlen, TT_ERR_INVALID,
						"unknown tier_table mode code %d", t->mode);
	if (t->ntiers < 1)
		return lex_error(err, errlen, TT_ERR_INVALID,
						"tier_table must have at least 1 tier, got %d", t->ntiers);
	if (t->ntiers > TT_MAX_TIERS)
		return lex_error(err, errlen, TT_ERR_INVALID,
						"tier_table has %d tiers, more than the maximum of %d",
						t->ntiers, TT_MAX_TIERS);
	if (t->has_cap != 0 && t->has_cap != 1)
		return lex_error(err, errlen, TT_ERR_INVALID,
						"invalid tier_table cap flag %d", t->has_cap);
	if (!t->has_cap && (t->cap.m != 0 || t->cap.scale != 0 || t->cap.pad != 0))
		return lex_error(err, errlen, TT_ERR_INVALID,
						"tier_table without a cap must store a zero cap, got mantissa %lld scale %d",
						(long long) t->cap.m, (int) t->cap.scale);
	if (!tt_dec_ok(t->cap))
		return lex_error(err, errlen, TT_ERR_RANGE,
						"tier_table cap is out of range: at most %d significant digits and %d decimal places",
						TT_MAX_DIGITS, TT_MAX_SCALE);
	if (t->has_cap && t->cap.m < 0)
	{
		tt_dec_format(t->cap, a);
		return lex_error(err, errlen, TT_ERR_INVALID,
						"tier_table cap must not be negative, got %s", a);
	}
	for (i = 0; i < t->ntiers; i++)
	{
		if (!tt_dec_ok(t->thr[i]) || !tt_dec_ok(t->rate[i]))
			return lex_error(err, errlen, TT_ERR_RANGE,
							"tier_table tier %d is out of range: at most %d significant digits and %d decimal places",
							i + 1, TT_MAX_DIGITS, TT_MAX_SCALE);
		if (t->thr[i].m < 0)
		{
			tt_dec_format(t->thr[i], a);
			return lex_error(err, errlen, TT_ERR_INVALID,
							"tier_table thresholds must not be negative, got %s", a);
		}
		if (t->rate[i].m < 0)
		{
			tt_dec_format(t->rate[i], a);
			tt_dec_format(t->thr[i], b);
			return lex_error(err, errlen, TT_ERR_INVALID,
							"tier_table rates must not be negative, got %s at threshold %s",
							a, b);
		}
		if (i > 0 && tt_dec_cmp(t->thr[i], t->thr[i - 1]) <= 0)
		{
			tt_dec_format(t->thr[i], a);
			tt_dec_format(t->thr[i - 1], b);
			return lex_error(err, errlen, TT_ERR_INVALID,
							"tier_table thresholds must be strictly increasing, got %s after %s",
							a, b);
		}
	}
	return TT_OK;
}

int
tt_dec_cmp(tt_dec a, tt_dec b)
{
	int			s = a.scale > b.scale ? a.scale : b.scale;
	i128		x = (i128) a.m * tt_pow10(s - a.scale);
	i128		y = (i128) b.m * tt_pow10(s - b.scale);

	return x < y ? -1 : (x > y ? 1 : 0);
}

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

long
tt_format(const tt_table *t, char *buf, size_t buflen)
{
	char		a[TT_DEC_BUFLEN],
				b[TT_DEC_BUFLEN];
	const char *name = tt_mode_name(t->mode);
	size_t		len;
	int			i;

	if (name == NULL || buflen < strlen(name) + 3)
		return -1;
	len = (size_t) snprintf(buf, buflen, "%s[", name);
	for (i = 0; i < t->ntiers; i++)
	{
		int			wa = tt_dec_format(t->thr[i], a);
		int			wb = tt_dec_format(t->rate[i], b);

		if (len + wa + wb + 6 > buflen)
			return -1;
		len += (size_t) snprintf(buf + len, buflen - len, "%s(%s,%s)",
								 i > 0 ? "," : "", a, b);
	}
	if (len + 2 > buflen)
		return -1;
	buf[len++] = ']';
	buf[len] = '\0';
	if (t->has_cap)
	{
		int			wa = tt_dec_format(t->cap, a);

		if (len + wa + 6 > buflen)
			return -1;
		len += (size_t) snprintf(buf + len, buflen - len, " cap %s", a);
	}
	return (long) len;
}

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

int
tt_eval(const tt_table *t, i128 am, int ascale, i128 *res, int *rscale)
{
	int			w,
				r,
				f,
				i;
	i128		a,
				sum = 0;

	tt_scales(t, ascale, &w, &r);
	f = tt_result_scale(t, ascale);
	*rscale = f;
	if (ascale < 0 || ascale > TT_MAX_SCALE)
		return TT_OVERFLOW;
	if (am <= 0)
	{
		*res = 0;
		return TT_OK;
	}
	/* the amount at scale w; thresholds at w and rates at r fit easily */
	if (!tt_scale_up(am, w - ascale, &a))
		return TT_OVERFLOW;

	if (t->mode == TT_MODE_FLAT)
	{
		int			k = -1;

		for (i = 0; i < t->ntiers; i++)
		{
			i128		ti = (i128) t->thr[i].m * tt_pow10(w - t->thr[i].scale);

			if (ti > a)
				break;
			k = i;
		}
		if (k >= 0)
		{
			i128		rk = (i128) t->rate[k].m * tt_pow10(r - t->rate[k].scale);

			if (__builtin_mul_overflow(a, rk, &sum))
				return TT_OVERFLOW;
		}
	}
	else
	{
		for (i = 0; i < t->ntiers; i++)
		{
			i128		ti = (i128) t->thr[i].m * tt_pow10(w - t->thr[i].scale);
			i128		top,
						slice,
						ri,
						part;

			if (ti >= a)
				break;
			top = a;
			if (i + 1 < t->ntiers)
			{
				i128		tn = (i128) t->thr[i + 1].m * tt_pow10(w - t->thr[i + 1].scale);

				if (tn < top)
					top = tn;
			}
			slice = top - ti;
			ri = (i128) t->rate[i].m * tt_pow10(r - t->rate[i].scale);
			if (__builtin_mul_overflow(slice, ri, &part) ||
				__builtin_add_overflow(sum, part, &sum))
				return TT_OVERFLOW;
		}
	}
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
	return TT_OK;
}

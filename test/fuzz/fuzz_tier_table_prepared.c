/*
 * fuzz_tier_table_prepared.c -- differential libFuzzer target: the
 * prepared integer evaluator (core/tier_table_prepared.c, the fast path of
 * tiered_commission) against the general one, tt_eval (core/tier_table.c).
 *
 * The bytes build a valid tier table -- mode, 1 to 40 tiers (enough for
 * the binary search), thresholds strictly increasing with scales 0..18,
 * rates and an optional cap with their own scales -- and then amounts of
 * scales 0..18: around each threshold, random ones from tiny to far beyond
 * 64 bits, zero and negative.  Whenever the prepared evaluator answers,
 * tt_eval must answer too, with the same commission at the same scale;
 * anything else is a mismatch and aborts.  (The prepared evaluator may
 * decline an amount tt_eval takes: the glue then calls tt_eval.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pow10.h"
#include "tier_table_prepared.h"

#define MAX_TIERS	40

typedef __int128 i128;

/* the bytes, read from the front; zeros once they run out */
typedef struct Bytes
{
	const uint8_t *p;
	size_t		left;
} Bytes;

static uint64_t
take(Bytes *b, int nbytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < nbytes; i++)
	{
		v <<= 8;
		if (b->left > 0)
		{
			v |= *b->p++;
			b->left--;
		}
	}
	return v;
}

/* a mantissa below 10^18 of a magnitude the bytes pick (1 to 18 digits) */
static int64_t
take_mantissa(Bytes *b)
{
	int			digits = 1 + (int) (take(b, 1) % 18);

	return (int64_t) (take(b, 8) % (uint64_t) pow10_i64(digits));
}

/*
 * Thresholds strictly increasing by value: each the one before plus a
 * step, at a scale of its own, rounded up to that scale.  Returns how many
 * fit below 10^18 at their scale.
 */
static int
take_thresholds(Bytes *b, tt_dec *thr, int n)
{
	i128		prev = -1;		/* value at scale 18 */
	int			k;

	for (k = 0; k < n; k++)
	{
		int			s = (int) (take(b, 1) % (TT_MAX_SCALE + 1));
		i128		unit = (i128) pow10_i64(TT_MAX_SCALE - s);
		i128		want = prev + 1 + (i128) take_mantissa(b) * (i128) pow10_i64((int) (take(b, 1) % 19));
		i128		m = (want + unit - 1) / unit;

		if (k == 0 && take(b, 1) % 4 == 0)
			m = 0;				/* a table starting at 0, as most do */
		if (m >= (i128) pow10_i64(18))
			break;
		thr[k].m = (int64_t) m;
		thr[k].scale = s;
		thr[k].pad = 0;
		prev = m * unit;
	}
	return k;
}

/* a decimal of the type's range: mantissa below 10^18, scale 0..18 */
static tt_dec
take_decimal(Bytes *b)
{
	tt_dec		d;

	d.m = take_mantissa(b);
	d.scale = (int32_t) (take(b, 1) % (TT_MAX_SCALE + 1));
	d.pad = 0;
	return d;
}

/* The amount to try next: near a threshold, random, huge, zero or < 0. */
static i128
take_amount(Bytes *b, const tt_table *t, int ascale)
{
	uint64_t	kind = take(b, 1) % 8;
	int			k = (int) (take(b, 1) % (uint64_t) t->ntiers);
	i128		am = t->thr[k].m;

	switch (kind)
	{
		case 0:
		case 1:
		case 2:
			/* a threshold at the amount's scale, and a unit either side */
			for (int i = t->thr[k].scale; i < ascale; i++)
				am *= 10;
			for (int i = ascale; i < t->thr[k].scale; i++)
				am /= 10;
			return am + (i128) (take(b, 1) % 3) - 1;
		case 3:
		case 4:
			return (i128) take_mantissa(b);
		case 5:
			/* beyond 64 bits, and up to 2^127 - 1 */
			return (i128) ((((unsigned __int128) take(b, 8) << (take(b, 1) % 64)) +
							take(b, 8)) >> 1);
		case 6:
			return 0;
		default:
			return -(i128) take_mantissa(b);
	}
}

/* Compare the two evaluators on one amount; abort on a mismatch. */
static void
compare(const tt_prepared *p, const tt_table *t, i128 am, int ascale)
{
	i128		fast,
				slow;
	int			rscale;

	if (!tt_eval_prepared(p, am, &fast))
		return;
	if (tt_eval(t, am, ascale, &slow, &rscale) != CORE_OK)
		abort();				/* prepared answered, general overflowed */
	if (rscale != p->f || fast != slow)
		abort();
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tt_dec thr[MAX_TIERS],
				rate[MAX_TIERS];
	static int64_t pthr[MAX_TIERS],
				prate[MAX_TIERS];
	static tt_i128_stored cum[MAX_TIERS];
	Bytes		b = {data, size};
	tt_table	t = {0, 0, 0, {0, 0, 0}, thr, rate};
	tt_prepared p;
	CoreError	err;

	t.mode = (int) (take(&b, 1) % 2);
	t.ntiers = take_thresholds(&b, thr, 1 + (int) (take(&b, 1) % MAX_TIERS));
	if (t.ntiers < 1)
		return 0;
	for (int i = 0; i < t.ntiers; i++)
		rate[i] = take_decimal(&b);
	if (take(&b, 1) % 2)
	{
		t.has_cap = 1;
		t.cap = take_decimal(&b);
	}
	if (tt_validate(&t, &err) != CORE_OK)
		abort();				/* the builder above makes valid tables */
	for (int round = 0; round < 4; round++)
	{
		int			ascale = (int) (take(&b, 1) % (TT_MAX_SCALE + 1));

		p.thr = pthr;
		p.rate = prate;
		p.cum = cum;
		tt_prepare(&p, &t, ascale);
		if (p.fast && p.f != tt_result_scale(&t, ascale))
			abort();
		for (int i = 0; i < 16; i++)
			compare(&p, &t, take_amount(&b, &t, ascale), ascale);
	}
	return 0;
}

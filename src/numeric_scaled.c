/*-------------------------------------------------------------------------
 *
 * numeric_scaled.c
 *	  numeric <-> scaled 128-bit integers; see numeric_scaled.h, which also
 *	  holds the on-disk format and the reader tiered_commission() calls per
 *	  row (numeric_to_scaled, inline).
 *
 * Here: numeric_decimal, the reader of the apportionment glue, and the
 * writer, scaled_to_numeric, which builds the same form as numeric.c's
 * make_result(), so a value made here is bit for bit the value numeric
 * arithmetic makes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/numeric.h"

#include "numeric_scaled.h"
#include "pow10.h"

typedef __int128 i128;
typedef unsigned __int128 u128;

/* A numeric as coef * 10^exp10 (see numeric_scaled.h). */
NumericScaledKind
numeric_decimal(Datum num, NumericDecimal *out)
{
	NumericParts p;
	NumericScaledKind kind = numeric_parts(numeric_readable(num), &p);

	if (kind != NUMERIC_SCALED_OK)
		return kind;
	out->neg = p.neg;
	out->dscale = p.dscale;
	out->coef = 0;
	out->exp10 = 0;
	if (p.ndigits == 0)
		return NUMERIC_SCALED_OK;
	if (p.ndigits > NUM_MAX_DIGITS)
		return NUMERIC_SCALED_BIG;
	out->coef = numeric_digits_value(&p, p.ndigits);
	out->exp10 = 4 * (p.weight - p.ndigits + 1);
	return NUMERIC_SCALED_OK;
}

/*
 * |m| / 10^dscale as base-10000 digits into digits[], least significant
 * first, the digit of weight 0 at index (dscale + 3) / 4; returns how many.
 */
static int
scaled_nbase_digits(u128 u, int dscale, int16 *digits)
{
	static const int pow10[4] = {1, 10, 100, 1000};
	int			n = 0,
				r = dscale % 4;

	/* the lowest r decimals fill the top of the last fractional digit */
	if (r > 0)
	{
		digits[n++] = (int16) ((u % pow10[r]) * pow10[4 - r]);
		u /= pow10[r];
	}
	while (u > (u128) UINT64_MAX)
	{
		digits[n++] = (int16) (u % NUM_NBASE);
		u /= NUM_NBASE;
	}
	for (uint64 v = (uint64) u; v > 0; v /= NUM_NBASE)
		digits[n++] = (int16) (v % NUM_NBASE);
	return n;
}

/*
 * A palloc'd numeric of ndigits digits (most significant first at msd,
 * stored at decreasing indexes: msd[0], msd[-1], ...), in the short form
 * when dscale and weight allow it, as make_result() chooses.
 */
static Numeric
numeric_build(bool neg, int weight, int dscale, const int16 *msd, int ndigits)
{
	bool		is_short = dscale <= NUM_SHORT_DSCALE_MAX &&
		weight <= NUM_SHORT_WEIGHT_MAX && weight >= NUM_SHORT_WEIGHT_MIN;
	Size		hdrlen = is_short ? sizeof(uint16) : 2 * sizeof(uint16);
	Size		len = VARHDRSZ + hdrlen + ndigits * sizeof(int16);
	Numeric		result = (Numeric) palloc(len);
	char	   *p = (char *) result + VARHDRSZ;
	uint16		header;
	int16		w = (int16) weight;
	int			i;

	if (is_short)
		header = NUM_SHORT | (neg ? NUM_SHORT_SIGN_MASK : 0) |
			(dscale << NUM_SHORT_DSCALE_SHIFT) |
			(weight < 0 ? NUM_SHORT_WEIGHT_SIGN_MASK : 0) |
			(weight & NUM_SHORT_WEIGHT_MASK);
	else
		header = (neg ? NUM_NEG : 0) | (dscale & NUM_DSCALE_MASK);
	memcpy(p, &header, sizeof(uint16));
	if (!is_short)
		memcpy(p + sizeof(uint16), &w, sizeof(int16));
	p += hdrlen;
	SET_VARSIZE(result, len);
	for (i = 0; i < ndigits; i++)
	{
		int16		d = msd[-i];

		memcpy(p + i * sizeof(int16), &d, sizeof(int16));
	}
	return result;
}

/* m / 10^dscale as a numeric (see numeric_scaled.h). */
Numeric
scaled_to_numeric(i128 m, int dscale)
{
	int16		digits[16];		/* least significant first */
	bool		neg = m < 0;
	int			n = scaled_nbase_digits(neg ? (u128) 0 - (u128) m : (u128) m,
										dscale, digits),
				first = 0,
				last = n - 1,
				ndigits;

	/* strip zero digits at both ends (digits[] is least significant first) */
	while (first < n && digits[first] == 0)
		first++;
	while (last >= first && digits[last] == 0)
		last--;
	ndigits = last >= first ? last - first + 1 : 0;
	if (ndigits == 0)
		return numeric_build(false, 0, dscale, digits, 0);
	/* weight of digits[last]: digits[(dscale + 3) / 4] has weight 0 */
	return numeric_build(neg, last - (dscale + 3) / 4, dscale, &digits[last],
						 ndigits);
}

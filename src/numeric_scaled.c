/*-------------------------------------------------------------------------
 *
 * numeric_scaled.c
 *	  numeric <-> scaled 128-bit integers; see numeric_scaled.h.
 *
 * The readers take the on-disk format of numeric apart (it is defined in
 * utils/adt/numeric.c, not in a header, but it is stable: pg_upgrade keeps
 * numeric data as is, so every release must read it; the special values
 * NaN/±Infinity date from 14).  Digits are base 10000 (NBASE), most
 * significant first, without leading or trailing zero digits, and a
 * numeric stores at most ceil(dscale / 4) fractional digits.
 *
 * The writer builds the same form as numeric.c's make_result(), so a
 * value made here is bit for bit the value numeric arithmetic makes.
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

#define NUM_SIGN_MASK		0xC000
#define NUM_NEG				0x4000
#define NUM_SHORT			0x8000
#define NUM_SPECIAL			0xC000
#define NUM_NAN				0xC000
#define NUM_PINF			0xD000
#define NUM_NINF			0xF000
#define NUM_SHORT_SIGN_MASK 0x2000
#define NUM_SHORT_DSCALE_MASK 0x1F80
#define NUM_SHORT_DSCALE_SHIFT 7
#define NUM_SHORT_DSCALE_MAX (NUM_SHORT_DSCALE_MASK >> NUM_SHORT_DSCALE_SHIFT)
#define NUM_SHORT_WEIGHT_SIGN_MASK 0x0040
#define NUM_SHORT_WEIGHT_MASK 0x003F
#define NUM_SHORT_WEIGHT_MAX NUM_SHORT_WEIGHT_MASK
#define NUM_SHORT_WEIGHT_MIN (-(NUM_SHORT_WEIGHT_MASK + 1))
#define NUM_DSCALE_MASK		0x3FFF
#define NUM_NBASE			10000

/* most base-10000 digits read into 128 bits: 10^36 < 2^127 */
#define NUM_MAX_DIGITS		9

/* the parts of a finite numeric, its digits left in place */
typedef struct NumericParts
{
	bool		neg;
	int			dscale;
	int			weight;			/* of the first digit */
	int			ndigits;
	const char *digits;			/* int16s, possibly unaligned */
} NumericParts;

/*
 * The numeric datum num as a varlena that can be read: short headers are
 * read in place, only compressed or out-of-line values are copied.
 */
static inline struct varlena *
numeric_readable(Datum num)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(num);

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		v = PG_DETOAST_DATUM_PACKED(num);
	return v;
}

/* Take a numeric's header apart (see NumericParts); special values too. */
static inline NumericScaledKind
numeric_parts(struct varlena *num, NumericParts *p)
{
	const char *data = VARDATA_ANY(num);
	int			datalen = VARSIZE_ANY_EXHDR(num);
	uint16		header;
	int			hdr;

	if (datalen < (int) sizeof(uint16))
		elog(ERROR, "invalid numeric datum of %d bytes", datalen);
	memcpy(&header, data, sizeof(uint16));
	if ((header & NUM_SIGN_MASK) == NUM_SPECIAL)
		return header == NUM_NAN ? NUMERIC_SCALED_NAN :
			header == NUM_NINF ? NUMERIC_SCALED_NINF : NUMERIC_SCALED_PINF;
	if (header & NUM_SHORT)
	{
		p->neg = (header & NUM_SHORT_SIGN_MASK) != 0;
		p->dscale = (header & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
		p->weight = ((header & NUM_SHORT_WEIGHT_SIGN_MASK) ? ~NUM_SHORT_WEIGHT_MASK : 0) |
			(header & NUM_SHORT_WEIGHT_MASK);
		hdr = sizeof(uint16);
	}
	else
	{
		int16		w;

		if (datalen < (int) (2 * sizeof(uint16)))
			elog(ERROR, "invalid numeric datum of %d bytes", datalen);
		p->neg = (header & NUM_SIGN_MASK) == NUM_NEG;
		p->dscale = header & NUM_DSCALE_MASK;
		memcpy(&w, data + sizeof(uint16), sizeof(int16));
		p->weight = w;
		hdr = 2 * sizeof(uint16);
	}
	p->ndigits = (datalen - hdr) / (int) sizeof(int16);
	p->digits = data + hdr;
	return NUMERIC_SCALED_OK;
}

/* The first n (<= NUM_MAX_DIGITS) digits as one integer. */
static inline u128
numeric_digits_value(const NumericParts *p, int n)
{
	u128		acc = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		int16		d;

		memcpy(&d, p->digits + i * sizeof(int16), sizeof(int16));
		acc = acc * NUM_NBASE + (u128) d;
	}
	return acc;
}

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
 * A numeric as m / 10^dscale (see numeric_scaled.h).  The digits times
 * 10^e, e = exponent of the last digit + dscale, are m.  e >= -3, because
 * a numeric keeps at most ceil(dscale / 4) fractional digits, and the
 * decimals a negative e drops are beyond dscale, hence zero (checked).
 */
NumericScaledKind
numeric_to_scaled(Datum num, int max_dscale, i128 *m, int *dscale)
{
	static const int16 pw[4] = {1, 10, 100, 1000};
	NumericParts p;
	NumericScaledKind kind = numeric_parts(numeric_readable(num), &p);
	u128		acc;
	int			e;

	if (kind != NUMERIC_SCALED_OK)
		return kind;
	*dscale = p.dscale;
	if (p.ndigits == 0)
	{
		*m = 0;
		return NUMERIC_SCALED_OK;
	}
	if (p.dscale > max_dscale || p.ndigits > NUM_MAX_DIGITS)
		return NUMERIC_SCALED_BIG;
	e = 4 * (p.weight - p.ndigits + 1) + p.dscale;
	if (e < 0)
	{
		int16		last;

		/* only the last digit is divided: by 10, 100 or 1000, in 16 bits */
		memcpy(&last, p.digits + (p.ndigits - 1) * sizeof(int16), sizeof(int16));
		if (e < -3 || last % pw[-e] != 0)
			return NUMERIC_SCALED_BIG;	/* not a form numeric.c produces */
		acc = numeric_digits_value(&p, p.ndigits - 1) * (NUM_NBASE / pw[-e]) +
			(u128) (last / pw[-e]);
	}
	else
	{
		/* fits: below 10^(4 ndigits + e) <= 10^38 < 2^127 */
		if (4 * p.ndigits + e > 38)
			return NUMERIC_SCALED_BIG;
		acc = numeric_digits_value(&p, p.ndigits) * pow10_u128(e);
	}
	*m = p.neg ? -(i128) acc : (i128) acc;
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

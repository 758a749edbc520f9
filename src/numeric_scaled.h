/*-------------------------------------------------------------------------
 *
 * numeric_scaled.h
 *	  The bridge between numeric and scaled 128-bit integers, shared by
 *	  tiered_commission() and the apportionment glue: a numeric read
 *	  straight from its base-10000 digits, and a numeric built straight
 *	  from an integer and a scale, without numeric_in / numeric_out and
 *	  without numeric arithmetic.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_NUMERIC_SCALED_H
#define SALES_SUPERVISOR_NUMERIC_SCALED_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/numeric.h"

#include "pow10.h"

/* what a numeric is, as far as the readers below can say */
typedef enum NumericScaledKind
{
	NUMERIC_SCALED_OK,			/* finite, and read */
	NUMERIC_SCALED_BIG,			/* finite, but beyond what the reader takes */
	NUMERIC_SCALED_NAN,
	NUMERIC_SCALED_PINF,
	NUMERIC_SCALED_NINF
} NumericScaledKind;

/*
 * A finite numeric as coef * 10^exp10 (sign apart), coef < 10^36, with
 * the display scale dscale and the sign neg.  Zero is coef 0, exp10 0.
 */
typedef struct NumericDecimal
{
	bool		neg;
	unsigned __int128 coef;
	int			exp10;
	int			dscale;
} NumericDecimal;

/*
 * Read a numeric datum (detoasted here if it must be; a short header is
 * read in place) as a NumericDecimal.  NUMERIC_SCALED_BIG when it has
 * more than 9 base-10000 digits (33 to 36 significant decimals, by alignment).
 */
extern NumericScaledKind numeric_decimal(Datum num, NumericDecimal *out);

/*
 * The on-disk format of numeric, as defined in utils/adt/numeric.c (not in
 * a header).  It is stable: pg_upgrade keeps numeric data as is, so every
 * release must read it; the special values NaN/±Infinity date from 14.
 * Digits are base 10000 (NBASE), most significant first, without leading
 * or trailing zero digits.
 */
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
 * The numeric datum num as a varlena that can be read: plain and short
 * headers are read in place, only compressed or out-of-line values are
 * fetched.  (Not "extended and not short": a TOAST pointer has a one-byte
 * header too, and read in place its 16 bytes would pass for a number.)
 */
static inline struct varlena *
numeric_readable(Datum num)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(num);

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
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
static inline unsigned __int128
numeric_digits_value(const NumericParts *p, int n)
{
	unsigned __int128		acc = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		int16		d;

		memcpy(&d, p->digits + i * sizeof(int16), sizeof(int16));
		acc = acc * NUM_NBASE + (unsigned __int128) d;
	}
	return acc;
}

/*
 * Read a numeric datum as *m / 10^(*dscale), its own display scale:
 * NUMERIC_SCALED_BIG when dscale > max_dscale or |m| would reach 10^38
 * (a zero is read whatever its scale).  The digits times 10^e, e =
 * exponent of the last digit + dscale, are m.  e >= -3, because a numeric
 * keeps at most ceil(dscale / 4) fractional digits, and the decimals a
 * negative e drops are beyond dscale, hence zero (checked).  Inline: it is
 * tiered_commission()'s per-row path.
 */
static inline NumericScaledKind
numeric_to_scaled(Datum num, int max_dscale, __int128 *m, int *dscale)
{
	static const int16 pw[4] = {1, 10, 100, 1000};
	NumericParts p;
	NumericScaledKind kind = numeric_parts(numeric_readable(num), &p);
	unsigned __int128 acc;
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
			(unsigned __int128) (last / pw[-e]);
	}
	else
	{
		/* fits: below 10^(4 ndigits + e) <= 10^38 < 2^127 */
		if (4 * p.ndigits + e > 38)
			return NUMERIC_SCALED_BIG;
		acc = numeric_digits_value(&p, p.ndigits) * pow10_u128(e);
	}
	*m = p.neg ? -(__int128) acc : (__int128) acc;
	return NUMERIC_SCALED_OK;
}


/*
 * The numeric m / 10^dscale (dscale >= 0) with display scale dscale, in
 * the form numeric.c's make_result() gives: no leading or trailing zero
 * digits, short header when it fits.  palloc'd.
 */
extern Numeric scaled_to_numeric(__int128 m, int dscale);

#endif

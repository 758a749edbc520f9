/*-------------------------------------------------------------------------
 *
 * apportion_value.c
 *	  The exact decimal values the apportionment takes (ApValue, see
 *	  apportion.h): read from decimal text, or made from the digits of a
 *	  numeric, and printed back for messages exactly as numeric_out prints
 *	  them.
 *
 * The text reader is the reference: a value made from digits is the value
 * the reader would make of numeric_out's text for it (the unit tests and
 * fuzz_apportion check the two against each other), so the glue need not
 * print a numeric to pass it on, yet every message and every refusal is
 * what it was when it did.
 *
 *-------------------------------------------------------------------------
 */
#include "apportion.h"

#include <stdio.h>
#include <string.h>

#include "pow10.h"

typedef unsigned __int128 u128;

#define AP_MAX_DIGITS	18		/* significant digits a value may have */
#define AP_MAX_EXP		100000	/* |exponent| accepted by the parser */

/* what ap_parse_decimal has read of the digits so far */
typedef struct ApScan
{
	uint64_t	mant;			/* significant digits, trailing zeros held */
	int			ndigits;		/* digits in mant */
	int			pending;		/* zeros after the last non-zero digit */
	long		frac;			/* digits after the point */
	bool		seen_digit;
	bool		in_frac;
} ApScan;

/*
 * Take one digit: leading zeros are dropped, zeros after a non-zero digit
 * are held (pending) until a non-zero digit shows they are inside the
 * mantissa.  AP_PARSE_RANGE past AP_MAX_DIGITS significant digits.
 */
static int
scan_digit(ApScan *sc, int d)
{
	sc->seen_digit = true;
	if (sc->in_frac)
		sc->frac++;
	if (sc->frac > AP_MAX_EXP)
		return AP_PARSE_RANGE;
	if (d == 0)
	{
		if (sc->mant != 0 && ++sc->pending > AP_MAX_EXP)
			return AP_PARSE_RANGE;
		return AP_PARSE_OK;
	}
	if (sc->ndigits + sc->pending + 1 > AP_MAX_DIGITS)
		return AP_PARSE_RANGE;
	while (sc->pending > 0)
	{
		sc->mant *= 10;
		sc->pending--;
		sc->ndigits++;
	}
	sc->mant = sc->mant * 10 + (uint64_t) d;
	sc->ndigits++;
	return AP_PARSE_OK;
}

/* The exponent after "e" at s[*i..len): [+-]digits, to the end. */
static int
scan_exponent(const char *s, size_t len, size_t i, long *exp)
{
	bool		eneg = false;
	bool		edigit = false;

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
		*exp = *exp * 10 + (s[i] - '0');
		if (*exp > AP_MAX_EXP)
			return AP_PARSE_RANGE;
	}
	if (!edigit)
		return AP_PARSE_SYNTAX;
	if (eneg)
		*exp = -*exp;
	return AP_PARSE_OK;
}

/*
 * ap_parse_decimal
 *		Parse [+-]digits[.digits][e[+-]digits], "NaN", "[+-]Infinity".
 *
 * numeric_out's grammar, plus an exponent for callers that write literals.
 * The value is normalised (trailing zeros move into the scale), and
 * refused with AP_PARSE_RANGE when it has more than 18 significant digits.
 */
int
ap_parse_decimal(const char *s, size_t len, ApNum *out)
{
	ApScan		sc = {0, 0, 0, 0, false, false};
	size_t		i = 0;
	bool		neg = false;
	long		exp = 0;
	int			rc;

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
			rc = scan_digit(&sc, c - '0');
		else if (c == '.' && !sc.in_frac)
			rc = (sc.in_frac = true, AP_PARSE_OK);
		else if ((c == 'e' || c == 'E') && sc.seen_digit)
		{
			if ((rc = scan_exponent(s, len, i + 1, &exp)) != AP_PARSE_OK)
				return rc;
			break;
		}
		else
			rc = AP_PARSE_SYNTAX;
		if (rc != AP_PARSE_OK)
			return rc;
	}
	if (!sc.seen_digit)
		return AP_PARSE_SYNTAX;
	out->dscale = (int) (sc.frac - exp > 0 ? sc.frac - exp : 0);
	if (sc.mant == 0)
		return AP_PARSE_OK;		/* zero: mant 0, scale 0, not negative */
	out->neg = neg;
	out->mant = (int64_t) sc.mant;
	out->scale = (int) (sc.frac - sc.pending - exp);
	return AP_PARSE_OK;
}

/* text as a value, or NULL as a NULL value (see apportion.h) */
void
ap_value_parse(const char *text, ApValue *out)
{
	memset(out, 0, sizeof(*out));
	out->text = text;
	out->status = text == NULL ? AP_VALUE_NULL :
		ap_parse_decimal(text, strlen(text), &out->num);
}

/*
 * An exact decimal as the value ap_parse_decimal reads from numeric_out's
 * text for it (see apportion.h): that text has the integer digits and
 * dscale decimals, so its significant digits are coef's without trailing
 * zeros, and its trailing zeros are those dscale adds below the last
 * significant digit.
 */
bool
ap_value_from_decimal(bool neg, u128 coef, int exp10, int dscale,
					  ApValue *out)
{
	uint64_t	c;

	memset(out, 0, sizeof(*out));
	out->status = AP_PARSE_OK;
	if (dscale < 0 || dscale > AP_MAX_EXP)
		return false;
	out->num.dscale = dscale;
	if (coef == 0)
		return true;			/* zero: mant 0, scale 0, not negative */
	/* more than 19 digits: more than 18 significant ones, or zeros to drop */
	while (coef > (u128) UINT64_MAX)
	{
		if (coef % 10 != 0)
			return false;
		coef /= 10;
		exp10++;
	}
	/* the common case, in 64 bits: 128-bit division is a library call */
	for (c = (uint64_t) coef; c % 10 == 0; c /= 10)
		exp10++;
	if (c >= (uint64_t) pow10_i64(AP_MAX_DIGITS) ||
		-exp10 > dscale || (long) dscale + exp10 > AP_MAX_EXP)
		return false;
	out->num.neg = neg;
	out->num.mant = (int64_t) c;
	out->num.scale = -exp10;
	return true;
}

/* append c to buf while there is room (keeping one byte for the NUL) */
static inline void
put_char(char *buf, size_t buflen, size_t *len, char c)
{
	if (*len + 1 < buflen)
		buf[(*len)++] = c;
}

/*
 * v->num as numeric_out prints it: sign, the integer digits ("0" below
 * one), then dscale decimals; cut to buflen - 1 bytes (a message that
 * quotes it is cut shorter still).
 */
static void
num_to_text(const ApNum *v, char *buf, size_t buflen)
{
	char		digits[24];
	long		nd = 0,
				total,
				width,
				pad,
				j;
	size_t		len = 0;

	if (v->mant != 0)
		nd = snprintf(digits, sizeof(digits), "%lld", (long long) v->mant);
	/* the digits at scale dscale: mant's, then dscale - scale zeros */
	total = v->mant != 0 ? nd + (long) v->dscale - v->scale : 0;
	/* left-padded with zeros to one digit before the point */
	width = total > v->dscale ? total : (long) v->dscale + 1;
	pad = width - total;
	if (v->neg && v->mant != 0)
		put_char(buf, buflen, &len, '-');
	for (j = 0; j < width && len + 1 < buflen; j++)
	{
		long		k = j - pad;

		if (v->dscale > 0 && j == width - v->dscale)
			put_char(buf, buflen, &len, '.');
		put_char(buf, buflen, &len, k < 0 || k >= nd ? '0' : digits[k]);
	}
	buf[len] = '\0';
}

/* The text of a value for messages (see apportion.h). */
void
ap_value_text(const ApValue *v, char *buf, size_t buflen)
{
	if (v->text != NULL)
		snprintf(buf, buflen, "%s", v->text);
	else if (v->status == AP_PARSE_OK)
		num_to_text(&v->num, buf, buflen);
	else
		snprintf(buf, buflen, "%s",
				 v->status == AP_PARSE_NAN ? "NaN" :
				 v->status == AP_PARSE_INF ? (v->num.neg ? "-Infinity" : "Infinity") :
				 v->status == AP_VALUE_NULL ? "NULL" : "?");
}

/*-------------------------------------------------------------------------
 *
 * numeric_cents.c
 *	  A numeric of at most two decimals as a whole number of hundredths (see
 *	  numeric_cents.h).
 *
 *-------------------------------------------------------------------------
 */
#include "numeric_cents.h"

#include <stdio.h>

#define CENTS_LIMIT		((int64_t) 1 << 62)

static unsigned
word16(const unsigned char *p)
{
	/* the stored words are in the machine's order: read them as it does */
	uint16_t	w;

	__builtin_memcpy(&w, p, 2);
	return w;
}

int
numeric_cents_read(const unsigned char *data, size_t len, int64_t *cents, int *dscale)
{
	unsigned	head;
	int			negative, weight, scale, ndigits, i;
	const unsigned char *digits;
	int64_t		v = 0;

	if (len < 2)
		return 0;
	head = word16(data);
	if ((head & 0xC000) == 0xC000)
		return 0;				/* NaN, Infinity */
	if ((head & 0xC000) == 0x8000)
	{
		negative = (head & 0x2000) != 0;
		scale = (head & 0x1F80) >> 7;
		weight = (head & 0x0040) ? (int) (head & 0x003F) - 64 : (int) (head & 0x003F);
		digits = data + 2;
		ndigits = (int) ((len - 2) / 2);
	}
	else
	{
		if (len < 4)
			return 0;
		negative = (head & 0xC000) == 0x4000;
		scale = head & 0x3FFF;
		weight = (int16_t) word16(data + 2);
		digits = data + 4;
		ndigits = (int) ((len - 4) / 2);
	}
	if (scale > 2 || weight > 3 || (ndigits > 0 && weight - (ndigits - 1) < -1))
		return 0;
	for (i = 0; i < ndigits; i++)
	{
		unsigned	d = word16(digits + 2 * i);
		int			w = weight - i;

		if (d > 9999)
			return 0;
		if (w == -1)
		{
			if (d % 100 != 0)
				return 0;
			v += d / 100;
		}
		else
		{
			int64_t		m = 100;
			int			k;

			for (k = 0; k < w; k++)
				m *= 10000;
			v += (int64_t) d * m;
		}
	}
	*cents = negative ? -v : v;
	*dscale = scale;
	return 1;
}

int
cents_add(int64_t *a, int64_t b)
{
	int64_t		s = *a + b;		/* both within +-2^62: no overflow */

	if (s <= -CENTS_LIMIT || s >= CENTS_LIMIT)
		return 0;
	*a = s;
	return 1;
}

char *
cents_text(int64_t cents, int dscale, char *buf)
{
	uint64_t	u = cents < 0 ? (uint64_t) 0 - (uint64_t) cents : (uint64_t) cents;
	const char *sign = cents < 0 ? "-" : "";

	if (dscale <= 0)
		snprintf(buf, 24, "%s%llu", sign, (unsigned long long) (u / 100));
	else if (dscale == 1)
		snprintf(buf, 24, "%s%llu.%llu", sign, (unsigned long long) (u / 100), (unsigned long long) (u % 100 / 10));
	else
		snprintf(buf, 24, "%s%llu.%02llu", sign, (unsigned long long) (u / 100), (unsigned long long) (u % 100));
	return buf;
}

/*
 * fuzz_apportion.c -- libFuzzer target over the apportionment core.
 *
 * The first byte picks a mode:
 *   0: ap_parse_decimal on the rest (any bytes): must not crash; an accepted
 *      value is normalised (no trailing zero in the mantissa, < 10^18).
 *   1: the integer core on a problem built from the bytes (weights up to
 *      2^56, bounds, a total near the feasible range): when it succeeds the
 *      shares must sum to the total, lie within their bounds, weight-0 rows
 *      get their lower bound, and a larger weight with the same bounds never
 *      gets less.
 *   2: ap_allocate on '|'-separated text fields: total|unit|w1|w2|...;
 *      when it succeeds the units must sum to total / unit.  Every field
 *      read as a value must also come out the same when built from its
 *      digits (ap_value_from_decimal, the glue's way) and print as text
 *      that reads back as itself.
 * A violated invariant calls abort(), which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apportion.h"

#define MAXN 64

static uint64_t
take(const uint8_t **p, size_t *left, int nbytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < nbytes; i++)
	{
		v <<= 8;
		if (*left > 0)
		{
			v |= **p;
			(*p)++;
			(*left)--;
		}
	}
	return v;
}

static void
fuzz_parse(const uint8_t *data, size_t size)
{
	ApNum		v;

	if (ap_parse_decimal((const char *) data, size, &v) == AP_PARSE_OK)
	{
		if (v.mant < 0 || v.mant >= INT64_C(1000000000000000000))
			abort();
		if (v.mant != 0 && v.mant % 10 == 0)
			abort();
		if (v.mant == 0 && (v.neg || v.scale != 0))
			abort();
		if (v.dscale < 0)
			abort();
	}
}

static void
fuzz_units(const uint8_t *data, size_t size)
{
	ApRow		rows[MAXN];
	char		work[MAXN * 64];
	CoreError		err;
	int			n;
	int			shift;
	int64_t		total = 0;
	__int128	sum = 0;

	if (size < 2)
		return;
	n = 1 + data[0] % MAXN;
	shift = data[1] % 57;		/* weights and bounds up to 2^shift */
	data += 2;
	size -= 2;
	for (int i = 0; i < n; i++)
	{
		uint64_t	mask = shift == 0 ? 0 : ((UINT64_C(1) << shift) - 1);
		uint64_t	flags = take(&data, &size, 1);

		rows[i].weight = (int64_t) (take(&data, &size, 8) & mask);
		if (flags & 1)
			rows[i].weight = (int64_t) (flags >> 4);	/* small, for ties */
		rows[i].lower = (flags & 2) ? (int64_t) (take(&data, &size, 8) & mask) : 0;
		rows[i].has_upper = (flags & 4) != 0;
		rows[i].upper = rows[i].lower +
			(rows[i].has_upper ? (int64_t) (take(&data, &size, 8) & mask) : 0);
		rows[i].skip = (flags & 8) && (flags & 0x80);
		rows[i].result = -1;
	}
	{
		/* mostly a feasible total: sum of lower bounds + a slice of the room */
		uint64_t	pick = take(&data, &size, 8);
		__int128	lo = 0,
					hi = 0;
		bool		unb = false;

		for (int i = 0; i < n; i++)
		{
			if (rows[i].skip)
				continue;
			lo += rows[i].lower;
			if (rows[i].weight == 0)
				hi += rows[i].lower;
			else if (rows[i].has_upper)
				hi += rows[i].upper;
			else
				unb = true;
		}
		if (unb)
			hi = lo + ((__int128) 1 << (shift + 6));
		if ((pick & 7) == 0 || hi < lo)
			total = (int64_t) ((pick >> 3) & ((UINT64_C(1) << (shift + 6)) - 1));
		else
			total = (int64_t) (lo + (__int128) (pick >> 3) % (hi - lo + 1));
	}

	if (ap_apportion_units(rows, n, total, work, NULL, "fuzz", "weight", &err) != CORE_OK)
	{
		if (err.code == CORE_ERR_INTERNAL)
			abort();
		return;
	}
	for (int i = 0; i < n; i++)
	{
		ApRow	   *r = &rows[i];

		if (r->skip)
			continue;
		sum += r->result;
		if (r->result < r->lower || (r->has_upper && r->result > r->upper))
			abort();
		if (r->weight == 0 && r->result != r->lower)
			abort();
		for (int j = 0; j < n; j++)
		{
			ApRow	   *s = &rows[j];

			if (!s->skip && s->lower == r->lower && s->has_upper == r->has_upper &&
				(!r->has_upper || s->upper == r->upper) &&
				r->weight > s->weight && r->result < s->result)
				abort();
		}
	}
	if (sum != total)
		abort();
}

/*
 * Check that a value read from text prints back as the text numeric_out
 * would give for it, and that the same value built from its digits (as the
 * glue builds it from a numeric) is the same value with the same text.
 */
static void
check_value_text(const ApValue *v)
{
	ApValue		d;
	char		a[128],
				b[128];

	if (v->status != AP_PARSE_OK)
		return;
	if (!ap_value_from_decimal(v->num.neg, (unsigned __int128) v->num.mant,
							   -v->num.scale, v->num.dscale, &d))
	{
		/*
		 * refused only for what numeric_out's text could not give back as
		 * this value: digits beyond the display scale, a display scale or
		 * a run of trailing zeros past the parser's limit of 100000
		 */
		if (v->num.scale <= v->num.dscale && v->num.dscale <= 100000 &&
			(long) v->num.dscale - v->num.scale <= 100000)
			abort();
		return;
	}
	if (d.num.neg != v->num.neg || d.num.mant != v->num.mant ||
		d.num.scale != v->num.scale || d.num.dscale != v->num.dscale)
		abort();
	/* printed from the digits, then read back: the same value */
	ap_value_text(&d, a, sizeof(a));
	ap_value_parse(a, &d);
	ap_value_text(&d, b, sizeof(b));
	if (strlen(a) < sizeof(a) - 1 &&
		(d.status != AP_PARSE_OK || d.num.neg != v->num.neg ||
		 d.num.mant != v->num.mant || d.num.scale != v->num.scale ||
		 d.num.dscale != v->num.dscale || strcmp(a, b) != 0))
		abort();
}

static void
fuzz_text(const uint8_t *data, size_t size)
{
	char		buf[2048];
	const char *field[MAXN + 2];
	ApValue		value[MAXN + 2];
	int			nf = 0;
	ApRow		rows[MAXN];
	char		work[MAXN * 64];
	int64_t		units[MAXN];
	bool		nul[MAXN];
	ApNum		unit;
	CoreError	err;
	int64_t		total;
	__int128	sum = 0;
	ApInput		in;

	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (strlen(buf) != size)
		return;					/* embedded NUL: texts come from numeric_out */
	field[nf++] = buf;
	for (char *c = buf; *c && nf < MAXN + 2; c++)
		if (*c == '|')
		{
			*c = '\0';
			field[nf++] = c + 1;
		}
	if (nf < 3)
		return;
	for (int i = 0; i < nf; i++)
	{
		ap_value_parse(field[i], &value[i]);
		check_value_text(&value[i]);
	}
	in.fname = "allocate_quota";
	in.wname = "weight";
	in.n = nf - 2;
	in.total = &value[0];
	in.unit = &value[1];
	in.weights = value + 2;
	in.lower = NULL;
	in.upper = NULL;
	if (ap_allocate(&in, rows, work, units, nul, &unit, &err) != CORE_OK)
	{
		if (err.code == CORE_ERR_INTERNAL)
			abort();
		return;
	}
	if (ap_total_units("t", &value[0], &value[1], &unit, &total, &err) != CORE_OK)
		abort();
	for (int i = 0; i < in.n; i++)
	{
		int64_t		scaled;

		if (units[i] < 0)
			abort();
		sum += units[i];
		if (ap_share_scaled(units[i], &unit, unit.dscale, &scaled) &&
			(scaled < 0 || (units[i] > 0 && scaled == 0)))
			abort();
	}
	if (sum != total)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3)
	{
		case 0:
			fuzz_parse(data + 1, size - 1);
			break;
		case 1:
			fuzz_units(data + 1, size - 1);
			break;
		default:
			fuzz_text(data + 1, size - 1);
			break;
	}
	return 0;
}

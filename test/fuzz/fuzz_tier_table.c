/*
 * fuzz_tier_table.c -- libFuzzer target for the tier_table parser.
 *
 * Any input must be refused with a known error code, or accepted as a valid
 * table whose canonical text parses back to the same decimals (digits and
 * scales) and formats identically; the evaluator must either give a result
 * between 0 and the cap or report overflow, never wrap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"
#include "tier_table.h"

static tt_dec thr[TT_MAX_TIERS],
			rate[TT_MAX_TIERS],
			thr2[TT_MAX_TIERS],
			rate2[TT_MAX_TIERS];
static char text[TT_TEXT_MAXLEN(TT_MAX_TIERS)],
			text2[TT_TEXT_MAXLEN(TT_MAX_TIERS)];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tt_table	t = {0, 0, 0, {0, 0, 0}, thr, rate};
	tt_table	t2 = {0, 0, 0, {0, 0, 0}, thr2, rate2};
	CoreError	err;
	char	   *copy = malloc(size ? size : 1);
	long		len;
	int			rc,
				i;

	memcpy(copy, data, size);
	rc = tt_parse(copy, size, &t, &err);
	free(copy);
	if (rc != CORE_OK)
	{
		if (rc != CORE_ERR_SYNTAX && rc != CORE_ERR_INVALID && rc != CORE_ERR_RANGE)
			abort();
		if (rc != err.code || strnlen(err.msg, sizeof(err.msg)) >= LEX_MSGLEN)
			abort();
		return 0;
	}
	if (tt_validate(&t, &err) != CORE_OK)
		abort();
	len = tt_format(&t, text, sizeof(text));
	if (len < 0)
		abort();
	if (tt_parse(text, (size_t) len, &t2, &err) != CORE_OK)
		abort();
	if (t2.mode != t.mode || t2.ntiers != t.ntiers || t2.has_cap != t.has_cap ||
		memcmp(&t2.cap, &t.cap, sizeof(tt_dec)) != 0 ||
		memcmp(thr2, thr, t.ntiers * sizeof(tt_dec)) != 0 ||
		memcmp(rate2, rate, t.ntiers * sizeof(tt_dec)) != 0 ||
		!tt_equal(&t, &t2))
		abort();
	if (tt_format(&t2, text2, sizeof(text2)) != len || strcmp(text, text2) != 0)
		abort();
	/* evaluate at each threshold and around it, at several scales */
	for (i = 0; i < t.ntiers; i++)
	{
		int			s;

		for (s = 0; s <= TT_MAX_SCALE; s += 6)
		{
			__int128	am = (__int128) t.thr[i].m;
			__int128	res;
			int			rs,
						k;

			for (k = t.thr[i].scale; k < s; k++)
				am *= 10;
			for (k = s; k < t.thr[i].scale; k++)
				am /= 10;
			for (k = -1; k <= 1; k++)
			{
				rc = tt_eval(&t, am + k, s, &res, &rs);
				if (rc == TT_OVERFLOW)
					continue;
				if (rc != CORE_OK || res < 0 || rs != tt_result_scale(&t, s))
					abort();
			}
		}
	}
	return 0;
}

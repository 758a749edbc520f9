/*
 * fuzz_score_curve.c -- libFuzzer target for the score_curve parser.
 *
 * Any input must be either refused with a known error code and a
 * NUL-terminated message, or accepted as a valid curve whose canonical text
 * parses back to the very same points (bit for bit) and formats the same
 * way again; evaluating it anywhere must give a finite number.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"
#include "score_curve.h"

static double xs[SC_MAX_POINTS],
			ys[SC_MAX_POINTS],
			xs2[SC_MAX_POINTS],
			ys2[SC_MAX_POINTS];
static char text[SC_TEXT_MAXLEN(SC_MAX_POINTS)],
			text2[SC_TEXT_MAXLEN(SC_MAX_POINTS)];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CoreError	err;
	int			mode,
				mode2,
				n,
				n2,
				rc,
				i;
	long		len;

	/* the parser takes a counted string: hand it exactly the bytes */
	char	   *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	rc = sc_parse(copy, size, &mode, xs, ys, &n, &err);
	free(copy);
	if (rc != CORE_OK)
	{
		if (rc != CORE_ERR_SYNTAX && rc != CORE_ERR_INVALID && rc != CORE_ERR_RANGE)
			abort();
		if (rc != err.code || strnlen(err.msg, sizeof(err.msg)) >= LEX_MSGLEN)
			abort();
		return 0;
	}
	if (n < 1 || n > SC_MAX_POINTS)
		abort();
	len = sc_format(mode, xs, ys, n, text, sizeof(text));
	if (len < 0)
		abort();
	if (sc_parse(text, (size_t) len, &mode2, xs2, ys2, &n2, &err) != CORE_OK)
		abort();
	if (mode2 != mode || n2 != n ||
		memcmp(xs, xs2, n * sizeof(double)) != 0 ||
		memcmp(ys, ys2, n * sizeof(double)) != 0)
		abort();
	if (sc_format(mode2, xs2, ys2, n2, text2, sizeof(text2)) != len ||
		strcmp(text, text2) != 0)
		abort();
	for (i = 0; i < n; i++)
	{
		double		probes[3] = {xs[i], nextafter(xs[i], -INFINITY), nextafter(xs[i], INFINITY)};
		int			k;

		for (k = 0; k < 3; k++)
			if (!isfinite(sc_eval(mode, xs, ys, n, probes[k])))
				abort();
	}
	if (!isfinite(sc_eval(mode, xs, ys, n, INFINITY)) ||
		!isfinite(sc_eval(mode, xs, ys, n, -INFINITY)))
		abort();
	return 0;
}

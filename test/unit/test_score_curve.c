/*
 * test_score_curve.c -- unit tests of the pure-C score_curve core: parser,
 * validator, canonical formatter and evaluator.  Expected values are worked
 * out by hand in the comments.
 */
#include <float.h>
#include <stdlib.h>

#include "score_curve.h"
#include "unit.h"

static double xs[SC_MAX_POINTS + 1],
			ys[SC_MAX_POINTS + 1];
static CoreError err;
static char out[SC_TEXT_MAXLEN(SC_MAX_POINTS)];

static int
parse(const char *s, int *mode, int *n)
{
	core_error_clear(&err);
	return sc_parse(s, strlen(s), mode, xs, ys, n, &err);
}

/* parse s, format it, and return the canonical text (or "ERR <code>") */
static const char *
canon(const char *s)
{
	int			mode,
				n,
				rc = parse(s, &mode, &n);

	if (rc != CORE_OK)
	{
		snprintf(out, sizeof(out), "ERR %d", rc);
		return out;
	}
	if (sc_format(mode, xs, ys, n, out, sizeof(out)) < 0)
		return "FORMAT FAILED";
	return out;
}

static const char *
fmt(double v)
{
	static char b[SC_NUM_BUFLEN];

	sc_format_double(v, b);
	return b;
}

static double
eval(const char *s, double a)
{
	int			mode,
				n;

	if (parse(s, &mode, &n) != CORE_OK)
		return -12345.0;
	return sc_eval(mode, xs, ys, n, a);
}

int
main(int argc, char **argv)
{
	int			mode,
				n,
				i;
	char	   *big;
	size_t		pos;

	(void) argc;

	/* shortest float8 text, in float8out's layout */
	CHECK_EQ_STR(fmt(0.1), "0.1");
	CHECK_EQ_STR(fmt(1.5), "1.5");
	CHECK_EQ_STR(fmt(100), "100");
	CHECK_EQ_STR(fmt(-2.25), "-2.25");
	CHECK_EQ_STR(fmt(1e15), "1e+15");
	CHECK_EQ_STR(fmt(123456789012345.0), "123456789012345");
	CHECK_EQ_STR(fmt(0.0001), "0.0001");
	CHECK_EQ_STR(fmt(0.00001), "1e-05");
	CHECK_EQ_STR(fmt(1.0 / 3.0), "0.3333333333333333");
	CHECK_EQ_STR(fmt(0.1 + 0.2), "0.30000000000000004");
	CHECK_EQ_STR(fmt(DBL_MAX), "1.7976931348623157e+308");
	CHECK_EQ_STR(fmt(5e-324), "5e-324");
	CHECK_EQ_STR(fmt(-1.5e300), "-1.5e+300");
	CHECK_EQ_STR(fmt(0.0), "0");

	/* canonical output: no blanks, lower-case mode, shortest numbers */
	CHECK_EQ_STR(canon("linear[(0.5,0),(1,100),(1.5,150)]"),
				 "linear[(0.5,0),(1,100),(1.5,150)]");
	CHECK_EQ_STR(canon("  LINEAR [ ( 0.50 , 0 ) ,(1.0,1e2), (1.5, 150.000)]  "),
				 "linear[(0.5,0),(1,100),(1.5,150)]");
	CHECK_EQ_STR(canon("Step[(0.8,60),(1,100),(1.2,120)]"),
				 "step[(0.8,60),(1,100),(1.2,120)]");
	CHECK_EQ_STR(canon("linear[(-0,-0)]"), "linear[(0,0)]");
	CHECK_EQ_STR(canon("linear[(+.5,-3.)]"), "linear[(0.5,-3)]");
	CHECK_EQ_STR(canon("linear[(1,0),(1,100)]"), "linear[(1,0),(1,100)]");
	CHECK_EQ_STR(canon("linear[(1e-310,2)]"), "linear[(1e-310,2)]");

	/* errors and their codes */
	CHECK_EQ_INT(parse("linear[]", &mode, &n), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse("linear[ ]", &mode, &n), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse("", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(1,2)", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(1,2)]x", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(1,2)] ]", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(1,2),]", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(1 2)]", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(1,2,3)]", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(0x10,2)]", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(1e,2)]", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("linear[(.,2)]", &mode, &n), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("cubic[(1,2)]", &mode, &n), CORE_ERR_SYNTAX);
	CHECK(strstr(err.msg, "cubic") != NULL);
	CHECK_EQ_INT(parse("linear[(NaN,2)]", &mode, &n), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "NaN") != NULL);
	CHECK_EQ_INT(parse("linear[(1,-Infinity)]", &mode, &n), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "-Infinity") != NULL);
	CHECK_EQ_INT(parse("linear[(1,inf)]", &mode, &n), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse("linear[(1e400,2)]", &mode, &n), CORE_ERR_RANGE);
	CHECK(strstr(err.msg, "1e400") != NULL);
	CHECK_EQ_INT(parse("linear[(1e-400,2)]", &mode, &n), CORE_ERR_RANGE);
	CHECK_EQ_INT(parse("linear[(2,0),(1,100)]", &mode, &n), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "got 1 after 2") != NULL);
	CHECK_EQ_INT(parse("linear[(1,0),(1,50),(1,100)]", &mode, &n), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "x = 1") != NULL);
	CHECK_EQ_INT(parse("step[(1,0),(1,100)]", &mode, &n), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse("step[(2,0),(1,100)]", &mode, &n), CORE_ERR_INVALID);

	/* 1000 points parse, 1001 do not */
	big = malloc(30 * 1002 + 16);
	pos = (size_t) sprintf(big, "step[");
	for (i = 0; i < 1001; i++)
		pos += (size_t) sprintf(big + pos, "%s(%d,%d)", i ? "," : "", i, i);
	sprintf(big + pos, "]");
	CHECK_EQ_INT(parse(big, &mode, &n), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "1000") != NULL);
	pos = (size_t) sprintf(big, "step[");
	for (i = 0; i < 1000; i++)
		pos += (size_t) sprintf(big + pos, "%s(%d,%d)", i ? "," : "", i, i);
	sprintf(big + pos, "]");
	CHECK_EQ_INT(parse(big, &mode, &n), CORE_OK);
	CHECK_EQ_INT(n, 1000);
	CHECK_EQ_STR(canon(big), big);
	/* binary search over 1000 steps: y of the last x <= a */
	CHECK_NEAR(sc_eval(mode, xs, ys, n, 500.5), 500, 0);
	CHECK_NEAR(sc_eval(mode, xs, ys, n, 999), 999, 0);
	CHECK_NEAR(sc_eval(mode, xs, ys, n, 0), 0, 0);
	free(big);

	/* validate on arrays (recv and the constructor path) */
	xs[0] = 1;
	ys[0] = NAN;
	CHECK_EQ_INT(sc_validate(SC_MODE_LINEAR, xs, ys, 1, &err), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "NaN") != NULL);
	ys[0] = 2;
	CHECK_EQ_INT(sc_validate(SC_MODE_LINEAR, xs, ys, 0, &err), CORE_ERR_INVALID);
	CHECK_EQ_INT(sc_validate(7, xs, ys, 1, &err), CORE_ERR_INVALID);
	CHECK_EQ_INT(sc_validate(SC_MODE_LINEAR, xs, ys, 1001, &err), CORE_ERR_INVALID);

	/* linear: the documented example */
	{
		const char *c = "linear[(0.5,0),(1,100),(1.5,150)]";

		CHECK_NEAR(eval(c, 0.2), 0, 0);			/* below the first x: first y */
		CHECK_NEAR(eval(c, 0.5), 0, 0);
		CHECK_NEAR(eval(c, 0.75), 50, 1e-12);	/* halfway 0..100 */
		CHECK_NEAR(eval(c, 1), 100, 0);
		CHECK_NEAR(eval(c, 1.25), 125, 1e-12);	/* halfway 100..150 */
		CHECK_NEAR(eval(c, 1.5), 150, 0);
		CHECK_NEAR(eval(c, 7), 150, 0);			/* the cap */
		CHECK_NEAR(eval(c, INFINITY), 150, 0);
		CHECK_NEAR(eval(c, -INFINITY), 0, 0);
	}
	/* a gate: nothing below 80 %, then a jump to 50 that holds at x = 0.8 */
	{
		const char *c = "linear[(0.8,0),(0.8,50),(1.2,130)]";

		CHECK_NEAR(eval(c, 0.79999), 0, 0);
		CHECK_NEAR(eval(c, 0.8), 50, 0);		/* right-continuous */
		CHECK_NEAR(eval(c, 1.0), 90, 1e-12);	/* 50 + 80 * 0.5 */
		CHECK_NEAR(eval(c, 2.0), 130, 0);
	}
	/* a jump at the last x: the later point holds there and beyond */
	CHECK_NEAR(eval("linear[(0,0),(1,100),(1,120)]", 1), 120, 0);
	CHECK_NEAR(eval("linear[(0,0),(1,100),(1,120)]", 0.5), 50, 1e-12);
	/* step: the documented example */
	{
		const char *c = "step[(0.8,60),(1,100),(1.2,120)]";

		CHECK_NEAR(eval(c, 0.5), 0, 0);			/* below the first x: 0 */
		CHECK_NEAR(eval(c, 0.8), 60, 0);
		CHECK_NEAR(eval(c, 0.99), 60, 0);
		CHECK_NEAR(eval(c, 1), 100, 0);
		CHECK_NEAR(eval(c, 1.19), 100, 0);
		CHECK_NEAR(eval(c, 1.2), 120, 0);
		CHECK_NEAR(eval(c, INFINITY), 120, 0);
		CHECK_NEAR(eval(c, -INFINITY), 0, 0);
	}
	/* one point */
	CHECK_NEAR(eval("linear[(1,5)]", -3), 5, 0);
	CHECK_NEAR(eval("linear[(1,5)]", 3), 5, 0);
	CHECK_NEAR(eval("step[(1,5)]", 0.5), 0, 0);
	/* extreme values never give inf or NaN */
	{
		double		r = eval("linear[(-1.7e308,-1.7e308),(1.7e308,1.7e308)]", 1e308);

		CHECK(isfinite(r));
		CHECK_NEAR(r / 1e308, 1, 1e-9);
		r = eval("linear[(-1.7e308,-1.7e308),(1.7e308,1.7e308)]", 0);
		CHECK(isfinite(r) && fabs(r) < 1e300);
	}

	/* round trip: random curves, format, parse, compare bits */
	srand(7);
	for (i = 0; i < 2000; i++)
	{
		double		x0[50],
					y0[50];
		int			k,
					m = 1 + rand() % 50,
					mode2,
					n2;
		int			md = rand() % 2;
		double		x = -1000.0 * rand() / RAND_MAX;
		char		txt[SC_TEXT_MAXLEN(50)];

		for (k = 0; k < m; k++)
		{
			x += (md == SC_MODE_STEP || rand() % 4) ? 1e-3 + (double) rand() / RAND_MAX * 10 : 0;
			if (md == SC_MODE_LINEAR && k >= 2 && x == x0[k - 2])
				x += 1;
			x0[k] = x;
			y0[k] = ((double) rand() / RAND_MAX - 0.5) * pow(10, rand() % 40 - 20);
		}
		CHECK_EQ_INT(sc_validate(md, x0, y0, m, &err), CORE_OK);
		CHECK(sc_format(md, x0, y0, m, txt, sizeof(txt)) > 0);
		CHECK_EQ_INT(sc_parse(txt, strlen(txt), &mode2, xs, ys, &n2, &err), CORE_OK);
		CHECK_EQ_INT(n2, m);
		CHECK_EQ_INT(mode2, md);
		CHECK(memcmp(xs, x0, m * sizeof(double)) == 0);
		CHECK(memcmp(ys, y0, m * sizeof(double)) == 0);
	}

	/*
	 * sc_eval (branch-free search) against a naive scan, bit for bit, on
	 * random curves with jumps, at every x, next to it, and outside.
	 */
	for (i = 0; i < 3000; i++)
	{
		int			m = 1 + rand() % 40,
					md = rand() % 2,
					k,
					j;
		double		x = (double) (rand() % 100) / 10.0;

		for (k = 0; k < m; k++)
		{
			if (k == 0 || md == SC_MODE_STEP || rand() % 3 || (k >= 2 && xs[k - 1] == xs[k - 2]))
				x += 0.01 + (double) (rand() % 100) / 50.0;
			xs[k] = x;
			ys[k] = (double) (rand() % 2000) / 7.0;
		}
		CHECK_EQ_INT(sc_validate(md, xs, ys, m, &err), CORE_OK);
		for (j = -1; j <= m; j++)
		{
			double		probes[3];
			int			p;

			probes[0] = j < 0 ? xs[0] - 1 : (j == m ? xs[m - 1] + 1 : xs[j]);
			probes[1] = nextafter(probes[0], -INFINITY);
			probes[2] = (j >= 0 && j < m - 1) ? (xs[j] + xs[j + 1]) / 2 : probes[0];
			for (p = 0; p < 3; p++)
			{
				double		a = probes[p],
							want;
				int			last = -1;

				for (k = 0; k < m; k++)
					if (xs[k] <= a)
						last = k;
				if (md == SC_MODE_STEP)
					want = last < 0 ? 0 : ys[last];
				else if (last < 0)
					want = ys[0];
				else if (last == m - 1)
					want = ys[m - 1];
				else
					want = ys[last] + (ys[last + 1] - ys[last]) * (a - xs[last]) /
						(xs[last + 1] - xs[last]);
				CHECK(sc_eval(md, xs, ys, m, a) == want);
			}
		}
	}

	/* a too-small output buffer is refused, not overrun */
	CHECK_EQ_INT(parse("linear[(0.5,0),(1,100)]", &mode, &n), CORE_OK);
	CHECK(sc_format(mode, xs, ys, n, out, 10) == -1);

	return unit_summary(argv[0]);
}

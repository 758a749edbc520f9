/*
 * test_apportion.c -- unit tests of the exact apportionment core.
 *
 * Worked examples are computed by hand in the comments.  The random part
 * checks ap_apportion_units against an independent reference written here:
 * the "fix the larger violation" water-filling iteration (a different
 * algorithm from the core's breakpoint sweep) followed by a plain
 * largest-remainder pass, both in exact __int128 rationals.
 */
#include <stdint.h>
#include <stdlib.h>

#include "apportion.h"
#include "unit.h"

typedef __int128 i128;

/* texts[0..n) as values (NULL: NULL values), malloc'd; NULL for NULL */
static ApValue *
values(const char *const *texts, int n)
{
	ApValue    *v;

	if (texts == NULL)
		return NULL;
	v = malloc(sizeof(ApValue) * (n > 0 ? n : 1));
	for (int i = 0; i < n; i++)
		ap_value_parse(texts[i], &v[i]);
	return v;
}

/* run ap_allocate on text inputs; units into out; returns the status */
static int
alloc(const char *total, const char *unit, int n, const char *const *w,
	  const char *const *lo, const char *const *up, int64_t *out, bool *nul,
	  CoreError *err)
{
	ApValue		t,
				u1;
	ApValue    *wv = values(w, n),
			   *lv = values(lo, n),
			   *uv = values(up, n);
	ApInput		in = {"allocate_quota", "weight", n, &t, &u1, wv, lv, uv};
	ApRow	   *rows = malloc(sizeof(ApRow) * (n > 0 ? n : 1));
	void	   *work = malloc(ap_workspace_size(n));
	ApNum		u;
	int			rc;

	ap_value_parse(total, &t);
	ap_value_parse(unit, &u1);
	rc = ap_allocate(&in, rows, work, out, nul, &u, err);
	free(rows);
	free(work);
	free(wv);
	free(lv);
	free(uv);
	return rc;
}

static void
test_parse(void)
{
	ApNum		v;

	CHECK_EQ_INT(ap_parse_decimal("99.99", 5, &v), AP_PARSE_OK);
	CHECK_EQ_INT(v.mant, 9999);
	CHECK_EQ_INT(v.scale, 2);
	CHECK_EQ_INT(v.dscale, 2);
	CHECK_EQ_INT(ap_parse_decimal("1000", 4, &v), AP_PARSE_OK);
	CHECK_EQ_INT(v.mant, 1);
	CHECK_EQ_INT(v.scale, -3);
	CHECK_EQ_INT(v.dscale, 0);
	CHECK_EQ_INT(ap_parse_decimal("0.7500", 6, &v), AP_PARSE_OK);
	CHECK_EQ_INT(v.mant, 75);
	CHECK_EQ_INT(v.scale, 2);
	CHECK_EQ_INT(v.dscale, 4);
	CHECK_EQ_INT(ap_parse_decimal("-0.00", 5, &v), AP_PARSE_OK);
	CHECK(v.mant == 0 && !v.neg && v.scale == 0);
	CHECK_EQ_INT(ap_parse_decimal("-3.5", 4, &v), AP_PARSE_OK);
	CHECK(v.neg && v.mant == 35 && v.scale == 1);
	CHECK_EQ_INT(ap_parse_decimal("1.5e3", 5, &v), AP_PARSE_OK);
	CHECK(v.mant == 15 && v.scale == -2 && v.dscale == 0);
	CHECK_EQ_INT(ap_parse_decimal("NaN", 3, &v), AP_PARSE_NAN);
	CHECK_EQ_INT(ap_parse_decimal("Infinity", 8, &v), AP_PARSE_INF);
	CHECK_EQ_INT(ap_parse_decimal("-Infinity", 9, &v), AP_PARSE_INF);
	CHECK_EQ_INT(ap_parse_decimal("", 0, &v), AP_PARSE_SYNTAX);
	CHECK_EQ_INT(ap_parse_decimal(".", 1, &v), AP_PARSE_SYNTAX);
	CHECK_EQ_INT(ap_parse_decimal("1.2.3", 5, &v), AP_PARSE_SYNTAX);
	CHECK_EQ_INT(ap_parse_decimal("12x", 3, &v), AP_PARSE_SYNTAX);
	CHECK_EQ_INT(ap_parse_decimal("1e", 2, &v), AP_PARSE_SYNTAX);
	/* 18 significant digits fit, 19 do not; trailing zeros are free */
	CHECK_EQ_INT(ap_parse_decimal("123456789012345678", 18, &v), AP_PARSE_OK);
	CHECK_EQ_INT(ap_parse_decimal("1234567890123456789", 19, &v), AP_PARSE_RANGE);
	CHECK_EQ_INT(ap_parse_decimal("100000000000000000000000000.000", 31, &v), AP_PARSE_OK);
	CHECK(v.mant == 1 && v.scale == -26 && v.dscale == 3);
}

static void
test_examples(void)
{
	int64_t		out[8];
	bool		nul[8];
	CoreError		err;

	/* 75/25 of 99.99 at 0.01: 9999 units; 7499.25 and 2499.75 -> floors
	 * 7499 + 2499 = 9998, one unit left, to the larger remainder (0.75):
	 * 74.99 and 25.00 */
	{
		const char *w[] = {"75", "25"};

		CHECK_EQ_INT(alloc("99.99", "0.01", 2, w, NULL, NULL, out, nul, &err), CORE_OK);
		CHECK_EQ_INT(out[0], 7499);
		CHECK_EQ_INT(out[1], 2500);
	}
	/* 100 by 1:1:1 -> 33.33.. each, one unit left, tie on remainder and
	 * weight -> earliest row: 34, 33, 33 */
	{
		const char *w[] = {"1", "1", "1"};

		CHECK_EQ_INT(alloc("100", "1", 3, w, NULL, NULL, out, nul, &err), CORE_OK);
		CHECK(out[0] == 34 && out[1] == 33 && out[2] == 33);
	}
	/* ties on remainder go to the larger weight: 10 by 1, 2 with unit 3?
	 * no: unit must divide; 10 by weights 1 and 3 at unit 1: 2.5, 7.5;
	 * floors 2 + 7, remainders equal, larger weight (row 2) gets it */
	{
		const char *w[] = {"1", "3"};

		CHECK_EQ_INT(alloc("10", "1", 2, w, NULL, NULL, out, nul, &err), CORE_OK);
		CHECK(out[0] == 2 && out[1] == 8);
	}
	/* upper bound: 100 by 1,1,1, row 1 at most 20 -> 20, 40, 40 */
	{
		const char *w[] = {"1", "1", "1"};
		const char *up[] = {"20", NULL, NULL};

		CHECK_EQ_INT(alloc("100", "1", 3, w, NULL, up, out, nul, &err), CORE_OK);
		CHECK(out[0] == 20 && out[1] == 40 && out[2] == 40);
	}
	/* lower bound: 100 by 1, 9; row 1 at least 30 -> 30, 70 */
	{
		const char *w[] = {"1", "9"};
		const char *lo[] = {"30", NULL};

		CHECK_EQ_INT(alloc("100", "1", 2, w, lo, NULL, out, nul, &err), CORE_OK);
		CHECK(out[0] == 30 && out[1] == 70);
	}
	/* weight 0 gets its lower bound; NULL weight gets nothing */
	{
		const char *w[] = {"0", NULL, "2"};
		const char *lo[] = {"5", "7", NULL};

		CHECK_EQ_INT(alloc("12", "1", 3, w, lo, NULL, out, nul, &err), CORE_OK);
		CHECK(out[0] == 5 && nul[1] && out[2] == 7);
	}
	/* unit 1000: 10000 by 1,1,1 -> 3333.33 units of... 10 units: 4,3,3 */
	{
		const char *w[] = {"1", "1", "1"};

		CHECK_EQ_INT(alloc("10000", "1000", 3, w, NULL, NULL, out, nul, &err), CORE_OK);
		CHECK(out[0] == 4 && out[1] == 3 && out[2] == 3);
	}
	/* 10^15 at 0.01 by 10^6 and 2*10^6 + 1: exact */
	{
		const char *w[] = {"1000000", "2000001"};

		CHECK_EQ_INT(alloc("1000000000000000.00", "0.01", 2, w, NULL, NULL, out, nul, &err), CORE_OK);
		/* 10^17 units * 10^6 / 3000001 = 33333322222225925.9247..., the other
		 * row 66666677777774074.0740...; one unit left, to the larger
		 * fraction (.9247): 33333322222225926 and 66666677777774074 */
		CHECK_EQ_INT(out[0] + out[1], INT64_C(100000000000000000));
		CHECK_EQ_INT(out[0], (int64_t) ((i128) INT64_C(100000000000000000) * 1000000 / 3000001) + 1);
		CHECK_EQ_INT(out[1], INT64_C(66666677777774074));
	}
}

static void
test_errors(void)
{
	int64_t		out[4];
	bool		nul[4];
	CoreError		err;
	const char *w2[] = {"1", "1"};

	CHECK_EQ_INT(alloc("10", "0", 2, w2, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
	CHECK_EQ_STR(err.msg, "allocate_quota unit must be greater than zero, got 0");
	CHECK_EQ_INT(alloc("10", "-1", 2, w2, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
	CHECK_EQ_INT(alloc("-10", "1", 2, w2, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
	CHECK_EQ_STR(err.msg, "allocate_quota total must not be negative, got -10");
	CHECK_EQ_INT(alloc("10.005", "0.01", 2, w2, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
	CHECK_EQ_STR(err.msg, "allocate_quota total 10.005 is not a multiple of unit 0.01");
	CHECK_EQ_INT(alloc("NaN", "1", 2, w2, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
	{
		const char *w[] = {"1", "-2"};

		CHECK_EQ_INT(alloc("10", "1", 2, w, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
		CHECK_EQ_STR(err.msg, "allocate_quota weight must not be negative, got -2 at position 2");
	}
	{
		const char *w[] = {"NaN", "2"};

		CHECK_EQ_INT(alloc("10", "1", 2, w, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
		CHECK_EQ_STR(err.msg, "allocate_quota weight must be a number, got NaN at position 1");
	}
	{
		const char *w[] = {"0", "0.000"};

		CHECK_EQ_INT(alloc("10", "1", 2, w, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
		CHECK_EQ_STR(err.msg, "allocate_quota weights are all zero");
	}
	{
		const char *lo[] = {"6", "6"};

		CHECK_EQ_INT(alloc("10", "1", 2, w2, lo, NULL, out, nul, &err), CORE_ERR_INVALID);
		CHECK_EQ_STR(err.msg, "allocate_quota has infeasible bounds for total 10");
	}
	{
		const char *up[] = {"4", "5"};

		CHECK_EQ_INT(alloc("10", "1", 2, w2, NULL, up, out, nul, &err), CORE_ERR_INVALID);
		CHECK_EQ_STR(err.detail, "The lower bounds sum to 0; the rows can reach 9 (the upper bounds of the rows with weight > 0 plus the lower bounds of the rows with weight 0); the total is 10.");
	}
	{
		const char *lo[] = {"5", NULL};
		const char *up[] = {"4", NULL};

		CHECK_EQ_INT(alloc("10", "1", 2, w2, lo, up, out, nul, &err), CORE_ERR_INVALID);
		CHECK_EQ_STR(err.msg, "allocate_quota has infeasible bounds: lower bound 5 is above upper bound 4 at position 1");
	}
	{
		const char *lo[] = {"0.5", NULL};

		CHECK_EQ_INT(alloc("10", "1", 2, w2, lo, NULL, out, nul, &err), CORE_ERR_INVALID);
		CHECK_EQ_STR(err.msg, "allocate_quota lower bound 0.5 at position 1 is not a multiple of unit 1");
	}
	CHECK_EQ_INT(alloc("10", "1", 0, w2, NULL, NULL, out, nul, &err), CORE_ERR_INVALID);
	CHECK_EQ_STR(err.msg, "allocate_quota weights must not be empty");
	{
		const char *w[] = {"1000000000000000000", "0.000000000000000001"};

		CHECK_EQ_INT(alloc("10", "1", 2, w, NULL, NULL, out, nul, &err), CORE_ERR_RANGE);
	}
	CHECK_EQ_INT(alloc("100000000000000000", "0.01", 2, w2, NULL, NULL, out, nul, &err), CORE_ERR_RANGE);
}

/* ---- independent reference ------------------------------------------ */

typedef struct Ref
{
	int64_t		w,
				lo,
				up;
	bool		hasup;
} Ref;

/*
 * Water-filling by fixing violators: with the rows not yet fixed free,
 * lambda = P/Q; rows below their lower (D_l = total shortfall) or above
 * their upper (D_u = total excess); if D_l >= D_u the lower violators are at
 * their lower bound in the solution (lambda* <= lambda), else the upper
 * violators at their upper.  Then floors, then largest remainders.
 */
static void
reference(const Ref *r, int n, int64_t T, int64_t *out)
{
	int			fixed[256];		/* 0 free, 1 at lower, 2 at upper */
	i128		P = 0,
				Q = 1;
	i128		rem[256];
	i128		left;

	for (int i = 0; i < n; i++)
		fixed[i] = r[i].w == 0 ? 1 : 0;
	for (;;)
	{
		i128		Dl = 0,
					Du = 0;
		i128		sfix = 0,
					sw = 0;

		for (int i = 0; i < n; i++)
		{
			if (fixed[i] == 1)
				sfix += r[i].lo;
			else if (fixed[i] == 2)
				sfix += r[i].up;
			else
				sw += r[i].w;
		}
		if (sw == 0)
			break;
		P = T - sfix;
		Q = sw;
		for (int i = 0; i < n; i++)
		{
			i128		x = P * r[i].w;

			if (fixed[i])
				continue;
			if (x < (i128) r[i].lo * Q)
				Dl += (i128) r[i].lo * Q - x;
			else if (r[i].hasup && x > (i128) r[i].up * Q)
				Du += x - (i128) r[i].up * Q;
		}
		if (Dl == 0 && Du == 0)
			break;
		for (int i = 0; i < n; i++)
		{
			i128		x = P * r[i].w;

			if (fixed[i])
				continue;
			if (Dl >= Du && x < (i128) r[i].lo * Q)
				fixed[i] = 1;
			else if (Dl < Du && r[i].hasup && x > (i128) r[i].up * Q)
				fixed[i] = 2;
		}
	}
	left = T;
	for (int i = 0; i < n; i++)
	{
		rem[i] = 0;
		if (fixed[i] == 1)
			out[i] = r[i].lo;
		else if (fixed[i] == 2)
			out[i] = r[i].up;
		else
		{
			out[i] = (int64_t) (P * r[i].w / Q);
			rem[i] = P * r[i].w % Q;
		}
		left -= out[i];
	}
	while (left-- > 0)
	{
		int			best = -1;

		for (int i = 0; i < n; i++)
			if (rem[i] > 0 &&
				(best < 0 || rem[i] > rem[best] ||
				 (rem[i] == rem[best] && r[i].w > r[best].w)))
				best = i;
		out[best]++;
		rem[best] = 0;
	}
}

static void
test_random(void)
{
	srand(12345);
	for (int iter = 0; iter < 20000; iter++)
	{
		int			n = 1 + rand() % 12;
		Ref			r[16];
		ApRow		rows[16];
		int64_t		want[16];
		char		work[4096];
		int64_t		sumlo = 0,
					reach = 0;
		bool		unb = false,
					anyw = false;
		int64_t		T;
		CoreError		err;
		int			rc;
		int			mismatch = 0;

		for (int i = 0; i < n; i++)
		{
			r[i].w = rand() % 4 == 0 ? 0 : rand() % 7;
			r[i].lo = rand() % 3 == 0 ? rand() % 20 : 0;
			r[i].hasup = rand() % 3 == 0;
			r[i].up = r[i].lo + (r[i].hasup ? rand() % 30 : 0);
			anyw |= r[i].w > 0;
			sumlo += r[i].lo;
			if (r[i].w == 0)
				reach += r[i].lo;
			else if (r[i].hasup)
				reach += r[i].up;
			else
				unb = true;
		}
		if (!anyw)
			continue;
		if (!unb && reach < sumlo)
			continue;
		T = sumlo + rand() % ((unb ? 200 : reach - sumlo) + 1);
		for (int i = 0; i < n; i++)
		{
			rows[i].weight = r[i].w;
			rows[i].lower = r[i].lo;
			rows[i].upper = r[i].up;
			rows[i].has_upper = r[i].hasup;
			rows[i].skip = false;
			rows[i].result = -1;
		}
		rc = ap_apportion_units(rows, n, T, work, NULL, "t", "weight", &err);
		CHECK_EQ_INT(rc, CORE_OK);
		if (rc != CORE_OK)
		{
			fprintf(stderr, "  %s\n", err.msg);
			continue;
		}
		reference(r, n, T, want);
		for (int i = 0; i < n; i++)
			if (rows[i].result != want[i])
				mismatch++;
		CHECK_EQ_INT(mismatch, 0);
		if (mismatch)
		{
			fprintf(stderr, "  T=%lld:", (long long) T);
			for (int i = 0; i < n; i++)
				fprintf(stderr, " [w%lld lo%lld up%s%lld got %lld want %lld]",
						(long long) r[i].w, (long long) r[i].lo,
						r[i].hasup ? "" : "-", (long long) r[i].up,
						(long long) rows[i].result, (long long) want[i]);
			fprintf(stderr, "\n");
		}
	}
}

/*
 * The text numeric_out prints for (neg) mant * 10^-scale with dscale
 * decimals (scale <= dscale), built by string surgery -- independently of
 * the core's printer: the digits, dscale - scale zeros, left-padded to one
 * digit before the point, then the point.
 */
static void
numeric_out_text(bool neg, long long mant, int scale, int dscale, char *buf)
{
	char		d[256];
	size_t		len = (size_t) snprintf(d, sizeof(d), "%lld", mant);
	size_t		intlen;

	if (mant == 0)
		len = 0;
	for (int i = 0; mant != 0 && i < dscale - scale; i++)
		d[len++] = '0';
	d[len] = '\0';
	while (len <= (size_t) dscale)
	{
		memmove(d + 1, d, len + 1);
		d[0] = '0';
		len++;
	}
	intlen = len - (size_t) dscale;
	sprintf(buf, "%s%.*s%s%s", neg && mant != 0 ? "-" : "", (int) intlen, d,
			dscale > 0 ? "." : "", d + intlen);
}

/* decimals from digits (the glue's way) against decimals from text */
static void
test_values(void)
{
	ApValue		v,
				t;
	char		buf[256],
				want[256];

	CHECK(ap_value_from_decimal(false, 15, -1, 2, &v));
	ap_value_text(&v, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "1.50");
	CHECK(ap_value_from_decimal(true, 2, 0, 0, &v));
	ap_value_text(&v, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "-2");
	CHECK(ap_value_from_decimal(false, 1000, 0, 0, &v));
	CHECK_EQ_INT(v.num.mant, 1);
	CHECK_EQ_INT(v.num.scale, -3);
	ap_value_text(&v, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "1000");
	CHECK(ap_value_from_decimal(true, 0, 0, 3, &v));
	CHECK(!v.num.neg);
	ap_value_text(&v, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "0.000");
	CHECK(ap_value_from_decimal(false, 5, -3, 3, &v));
	ap_value_text(&v, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "0.005");
	/* 19 significant digits: the text is refused, so is the decimal */
	CHECK(!ap_value_from_decimal(false, (unsigned __int128) 1234567890123456789LL, 0, 0, &v));
	CHECK(ap_value_from_decimal(false, (unsigned __int128) 1000000000000000000LL * 100, 0, 0, &v));
	/* digits beyond the display scale: no numeric has them */
	CHECK(!ap_value_from_decimal(false, 15, -2, 1, &v));
	/* a printed text is cut to the buffer, never overrun */
	CHECK(ap_value_from_decimal(false, 1, 40, 0, &v));
	ap_value_text(&v, buf, 8);
	CHECK_EQ_STR(buf, "1000000");
	/* special values print as numeric_out prints them */
	ap_value_parse("-Infinity", &v);
	CHECK_EQ_INT(v.status, AP_PARSE_INF);
	ap_value_text(&v, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "-Infinity");
	ap_value_parse(NULL, &v);
	CHECK_EQ_INT(v.status, AP_VALUE_NULL);

	srand(777);
	for (int iter = 0; iter < 50000; iter++)
	{
		bool		neg = rand() % 2;
		long long	mant = 0;
		int			nd = rand() % 19,
					dscale = rand() % 30,
					scale = dscale - rand() % 25;

		for (int i = 0; i < nd; i++)
			mant = mant * 10 + (i == 0 ? 1 + rand() % 9 : rand() % 10);
		while (mant != 0 && mant % 10 == 0)
		{
			mant /= 10;
			scale--;
		}
		numeric_out_text(neg, mant, scale, dscale, want);
		ap_value_parse(want, &t);
		CHECK_EQ_INT(t.status, AP_PARSE_OK);
		CHECK(ap_value_from_decimal(neg, (unsigned __int128) mant, -scale,
									dscale, &v));
		CHECK(v.num.neg == t.num.neg && v.num.mant == t.num.mant &&
			  v.num.scale == t.num.scale && v.num.dscale == t.num.dscale);
		ap_value_text(&v, buf, sizeof(buf));
		CHECK_EQ_STR(buf, want);
	}
}

int
main(int argc, char **argv)
{
	(void) argc;
	test_parse();
	test_values();
	test_examples();
	test_errors();
	test_random();
	return unit_summary(argv[0]);
}

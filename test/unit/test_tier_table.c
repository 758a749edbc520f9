/*
 * test_tier_table.c -- unit tests of the pure-C tier_table core: parser,
 * validator, canonical formatter, equality and the exact evaluator.
 * Expected commissions are worked out by hand in the comments.
 */
#include <stdlib.h>

#include "tier_table.h"
#include "unit.h"

static tt_dec thr[TT_MAX_TIERS],
			rate[TT_MAX_TIERS];
static tt_table tab = {0, 0, 0, {0, 0, 0}, thr, rate};
static CoreError err;
static char out[TT_TEXT_MAXLEN(TT_MAX_TIERS)];

static int
parse(const char *s)
{
	core_error_clear(&err);
	return tt_parse(s, strlen(s), &tab, &err);
}

static const char *
canon(const char *s)
{
	int			rc = parse(s);

	if (rc != CORE_OK)
	{
		snprintf(out, sizeof(out), "ERR %d", rc);
		return out;
	}
	if (tt_format(&tab, out, sizeof(out)) < 0)
		return "FORMAT FAILED";
	return out;
}

/* commission on amount (mantissa am, scale as) as text "m/scale" */
static const char *
commission(const char *table, long long am, int as)
{
	static char buf[96];
	__int128	res;
	int			rscale,
				rc;
	unsigned long long hi,
				lo;

	if (parse(table) != CORE_OK)
		return "PARSE FAILED";
	rc = tt_eval(&tab, am, as, &res, &rscale);
	if (rc != CORE_OK)
		return "OVERFLOW";
	/* print a 128-bit value: split at 10^18 */
	hi = (unsigned long long) (res / 1000000000000000000LL);
	lo = (unsigned long long) (res % 1000000000000000000LL);
	if (hi)
		snprintf(buf, sizeof(buf), "%llu%018llu/%d", hi, lo, rscale);
	else
		snprintf(buf, sizeof(buf), "%llu/%d", lo, rscale);
	return buf;
}

int
main(int argc, char **argv)
{
	const char *doc = "marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000";
	char	   *big;
	size_t		pos;
	int			i;

	(void) argc;

	/* canonical output keeps the digits written */
	CHECK_EQ_STR(canon(doc), doc);
	CHECK_EQ_STR(canon(" FLAT [ (0 , 0.020) , (100000.00,.03) ] Cap 7.50 "),
				 "flat[(0,0.020),(100000.00,0.03)] cap 7.50");
	CHECK_EQ_STR(canon("flat[(007,+1.5)]"), "flat[(7,1.5)]");
	CHECK_EQ_STR(canon("flat[(0,-0.00)]"), "flat[(0,0.00)]");
	CHECK_EQ_STR(canon("flat[(5.,0.000000000000000001)]"), "flat[(5,0.000000000000000001)]");
	CHECK_EQ_STR(canon("flat[(999999999999999999,0.1)]cap 0"), "flat[(999999999999999999,0.1)] cap 0");

	/* errors and their codes */
	CHECK_EQ_INT(parse("marginal[]"), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse(""), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("marginal[(0,0.02)] junk"), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("marginal[(0,0.02)] cap"), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("marginal[(0,0.02)] cap 1 2"), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("tax[(0,0.02)]"), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("flat[(0,1e2)]"), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("flat[(0,.)]"), CORE_ERR_SYNTAX);
	CHECK_EQ_INT(parse("flat[(0,NaN)]"), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse("flat[(-Infinity,1)]"), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse("flat[(0,-0.01)]"), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "-0.01") != NULL);
	CHECK_EQ_INT(parse("flat[(0,0.01)] cap -5"), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "-5") != NULL);
	CHECK_EQ_INT(parse("flat[(-1,0.01)]"), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse("flat[(10,0.01),(5,0.02)]"), CORE_ERR_INVALID);
	CHECK(strstr(err.msg, "5 after 10") != NULL);
	CHECK_EQ_INT(parse("flat[(10,0.01),(10.000,0.02)]"), CORE_ERR_INVALID);
	CHECK_EQ_INT(parse("flat[(1234567890123456789,1)]"), CORE_ERR_RANGE);
	CHECK_EQ_INT(parse("flat[(0,0.0000000000000000001)]"), CORE_ERR_RANGE);
	CHECK_EQ_INT(parse("flat[(000000000000000000000000001,1)]"), CORE_OK);

	/* 1000 tiers parse, 1001 do not */
	big = malloc(32 * 1002 + 16);
	pos = (size_t) sprintf(big, "flat[");
	for (i = 0; i < 1001; i++)
		pos += (size_t) sprintf(big + pos, "%s(%d,0.01)", i ? "," : "", i);
	sprintf(big + pos, "]");
	CHECK_EQ_INT(parse(big), CORE_ERR_INVALID);
	pos = (size_t) sprintf(big, "flat[");
	for (i = 0; i < 1000; i++)
		pos += (size_t) sprintf(big + pos, "%s(%d,0.01)", i ? "," : "", i);
	sprintf(big + pos, "]");
	CHECK_EQ_INT(parse(big), CORE_OK);
	CHECK_EQ_STR(canon(big), big);
	free(big);

	/* comparisons and equality by value */
	CHECK_EQ_INT(tt_dec_cmp((tt_dec) {20, 3, 0}, (tt_dec) {2, 2, 0}), 0);
	CHECK_EQ_INT(tt_dec_cmp((tt_dec) {1, 18, 0}, (tt_dec) {0, 0, 0}), 1);
	CHECK_EQ_INT(tt_dec_cmp((tt_dec) {999999999999999999LL, 0, 0}, (tt_dec) {999999999999999999LL, 18, 0}), 1);

	/* the documented marginal example (amounts with scale 2 or 0) */
	CHECK_EQ_STR(commission(doc, 5000000, 2), "10000000/4");	/* 50 000.00 -> 1 000.0000 */
	CHECK_EQ_STR(commission(doc, 100000, 0), "200000/2");		/* 2 000.00 */
	CHECK_EQ_STR(commission(doc, 250000, 0), "650000/2");		/* 2 000 + 4 500 */
	CHECK_EQ_STR(commission(doc, 600000, 0), "1900000/2");		/* + 12 000 + 5 000 */
	CHECK_EQ_STR(commission(doc, 2000000, 0), "5000000/2");	/* 89 000 capped */
	CHECK_EQ_STR(commission(doc, 0, 0), "0/2");
	CHECK_EQ_STR(commission(doc, -5, 0), "0/2");
	/* flat: whole amount at the highest reached rate */
	CHECK_EQ_STR(commission("flat[(0,0.02),(100000,0.03)]", 9999999, 2), "19999998/4");
	CHECK_EQ_STR(commission("flat[(0,0.02),(100000,0.03)]", 100000, 0), "300000/2");
	/* below the first threshold: 0, both modes */
	CHECK_EQ_STR(commission("flat[(1000,0.1)]", 999, 0), "0/1");
	CHECK_EQ_STR(commission("marginal[(1000,0.1)]", 1000, 0), "0/1");
	CHECK_EQ_STR(commission("marginal[(1000,0.1)]", 1500, 0), "500/1");
	/* threshold decimals widen the working scale: 200.1 - 100.005 = 100.095 */
	CHECK_EQ_STR(commission("marginal[(100.005,1)]", 2001, 1), "100095/3");
	/* a cap with more decimals than the product sets the scale */
	CHECK_EQ_STR(commission("marginal[(0,2)] cap 150.000", 100, 0), "150000/3");
	/* big values: 999999999999999999.99 x 999999999999999999 */
	CHECK_EQ_STR(commission("flat[(0,999999999999999999)]", 99999999999999999LL, 0),
				 "99999999999999998900000000000000001/0");
	/* beyond 128 bits: reported, not wrapped */
	{
		__int128	res;
		int			rs;
		__int128	huge = (__int128) 1000000000000000000LL * 1000000000000000000LL;

		CHECK_EQ_INT(parse("flat[(0,999999999999999999)]"), CORE_OK);
		CHECK_EQ_INT(tt_eval(&tab, huge, 0, &res, &rs), TT_OVERFLOW);
		CHECK_EQ_INT(tt_eval(&tab, 5, 19, &res, &rs), TT_OVERFLOW);
		CHECK_EQ_INT(parse("marginal[(0,0.5),(1,999999999999999999)] cap 999999999999999999"), CORE_OK);
		CHECK_EQ_INT(tt_eval(&tab, huge * 100, 0, &res, &rs), TT_OVERFLOW);
	}
	/* result scale rule */
	CHECK_EQ_INT(parse(doc), CORE_OK);
	CHECK_EQ_INT(tt_result_scale(&tab, 2), 4);
	CHECK_EQ_INT(tt_result_scale(&tab, 0), 2);

	/*
	 * Random tables: evaluator against a slow reference written
	 * differently (every amount slice unit by unit is too slow, so:
	 * marginal = sum over tiers of rate x clamp(amount - t_i, 0, t_{i+1} -
	 * t_i), flat = rate of the last t_i <= amount).  Integers only, small.
	 */
	srand(11);
	for (i = 0; i < 20000; i++)
	{
		char		txt[512];
		int			n = 1 + rand() % 5,
					k,
					md = rand() % 2,
					p = 0;
		long long	t[6],
					r[6],
					amount = rand() % 3000 - 200,
					cap = rand() % 400,
					want = 0;
		int			has_cap = rand() % 2;
		__int128	res;
		int			rs;

		t[0] = rand() % 300;
		for (k = 1; k < n; k++)
			t[k] = t[k - 1] + 1 + rand() % 700;
		for (k = 0; k < n; k++)
			r[k] = rand() % 20;		/* rate in hundredths */
		p = snprintf(txt, sizeof(txt), "%s[", md ? "flat" : "marginal");
		for (k = 0; k < n; k++)
			p += snprintf(txt + p, sizeof(txt) - p, "%s(%lld,0.%02lld)", k ? "," : "", t[k], r[k]);
		p += snprintf(txt + p, sizeof(txt) - p, "]");
		if (has_cap)
			snprintf(txt + p, sizeof(txt) - p, " cap %lld", cap);
		if (amount > 0)
		{
			if (md)
			{
				for (k = 0; k < n; k++)
					if (t[k] <= amount)
						want = amount * r[k];
			}
			else
			{
				for (k = 0; k < n; k++)
				{
					long long	lo = amount - t[k];
					long long	width = k + 1 < n ? t[k + 1] - t[k] : 1000000000LL;

					if (lo < 0)
						lo = 0;
					if (lo > width)
						lo = width;
					want += lo * r[k];
				}
			}
		}
		if (has_cap && want > cap * 100)
			want = cap * 100;
		CHECK_EQ_INT(parse(txt), CORE_OK);
		CHECK_EQ_INT(tt_eval(&tab, amount, 0, &res, &rs), CORE_OK);
		CHECK_EQ_INT(rs, 2);
		CHECK_EQ_INT((long long) res, want);
		/* text round trip */
		CHECK(tt_format(&tab, out, sizeof(out)) > 0);
		CHECK_EQ_STR(out, txt);
	}

	/* equality by value across spellings */
	{
		tt_dec		t2[2],
					r2[2];
		tt_table	other = {0, 0, 0, {0, 0, 0}, t2, r2};

		CHECK_EQ_INT(tt_parse("flat[(0,0.020)] cap 5.0", 23, &other, &err), CORE_OK);
		CHECK_EQ_INT(parse("FLAT[(0.00,0.02)]cap 5"), CORE_OK);
		CHECK(tt_equal(&tab, &other));
		CHECK_EQ_INT(parse("marginal[(0.00,0.02)]cap 5"), CORE_OK);
		CHECK(!tt_equal(&tab, &other));
	}

	/* a too-small output buffer is refused, not overrun */
	CHECK_EQ_INT(parse(doc), CORE_OK);
	CHECK(tt_format(&tab, out, 20) == -1);

	return unit_summary(argv[0]);
}

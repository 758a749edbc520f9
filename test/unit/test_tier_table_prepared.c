/*
 * test_tier_table_prepared.c -- unit tests of the prepared integer
 * evaluator (core/tier_table_prepared.c): worked examples, the amounts it
 * must decline, and random tables checked against tt_eval (the general
 * evaluator) amount by amount.
 */
#include <stdlib.h>

#include "tier_table_prepared.h"
#include "unit.h"

static tt_dec thr[TT_MAX_TIERS],
			rate[TT_MAX_TIERS];
static tt_table tab = {0, 0, 0, {0, 0, 0}, thr, rate};
static int64_t pthr[TT_MAX_TIERS],
			prate[TT_MAX_TIERS];
static tt_i128_stored cum[TT_MAX_TIERS];
static tt_prepared prep = {.thr = pthr,.rate = prate,.cum = cum};

/* parse text into tab and prepare it for amounts of scale ascale */
static int
prepare(const char *text, int ascale)
{
	CoreError	err;

	if (tt_parse(text, strlen(text), &tab, &err) != CORE_OK)
		return 0;
	tt_prepare(&prep, &tab, ascale);
	return 1;
}

/* the prepared commission on am as "m/scale", or "DECLINED" */
static const char *
prepared(long long am)
{
	static char buf[96];
	__int128	res;

	if (!tt_eval_prepared(&prep, am, &res))
		return "DECLINED";
	snprintf(buf, sizeof(buf), "%lld/%d", (long long) res, prep.f);
	return buf;
}

/* the worked examples of test_tier_table.c, through the prepared path */
static void
test_examples(void)
{
	const char *doc = "marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000";

	CHECK(prepare(doc, 2));
	CHECK(prep.fast);
	CHECK_EQ_STR(prepared(5000000), "10000000/4");	/* 50 000.00 -> 1 000 */
	CHECK(prepare(doc, 0));
	CHECK_EQ_STR(prepared(250000), "650000/2");	/* 2 000 + 4 500 */
	CHECK_EQ_STR(prepared(600000), "1900000/2");	/* + 12 000 + 5 000 */
	CHECK_EQ_STR(prepared(2000000), "5000000/2");	/* 89 000 capped */
	CHECK_EQ_STR(prepared(0), "0/2");
	CHECK_EQ_STR(prepared(-5), "0/2");
	CHECK(prepare("flat[(0,0.02),(100000,0.03)]", 2));
	CHECK_EQ_STR(prepared(9999999), "19999998/4");
	CHECK(prepare("flat[(1000,0.1)]", 0));
	CHECK_EQ_STR(prepared(999), "0/1");
	CHECK(prepare("marginal[(100.005,1)]", 1));
	CHECK_EQ_STR(prepared(2001), "100095/3");	/* 200.1 - 100.005 */
	CHECK(prepare("marginal[(0,2)] cap 150.000", 0));
	CHECK_EQ_STR(prepared(100), "150000/3");
}

/* what the 64-bit integers cannot hold is declined, never wrapped */
static void
test_declines(void)
{
	/* an amount beyond int64 at the working scale */
	CHECK(prepare("flat[(0,1)]", 0));
	CHECK(prep.fast);
	CHECK_EQ_STR(prepared(9223372036854775807LL), "9223372036854775807/0");
	CHECK(prepare("flat[(0.5,1)]", 0));
	CHECK_EQ_STR(prepared(1000000000000000000LL), "DECLINED");	/* x10 */
	/* an 18-digit threshold at the scale of another's decimal: no table */
	CHECK(prepare("flat[(0.5,1),(999999999999999999,2)]", 0));
	CHECK(!prep.fast);
	CHECK_EQ_STR(prepared(5), "DECLINED");
	/* beyond the scales a prepared table takes */
	CHECK(prepare("flat[(0,1)]", 0));
	tt_prepare(&prep, &tab, TT_MAX_SCALE + 1);
	CHECK(!prep.fast);
	CHECK_EQ_STR(prepared(0), "DECLINED");
}

/* a random decimal below 10^digits at a random scale */
static tt_dec
random_decimal(int digits)
{
	tt_dec		d = {0, 0, 0};

	for (int i = 0; i < digits; i++)
		d.m = d.m * 10 + rand() % 10;
	d.scale = rand() % 4 == 0 ? rand() % (TT_MAX_SCALE + 1) : rand() % 4;
	return d;
}

/* random tables, long enough for the binary search, against tt_eval */
static void
test_random(void)
{
	long		answered = 0;

	srand(20240613);
	for (int iter = 0; iter < 4000; iter++)
	{
		int			n = 1 + rand() % 20;
		CoreError	err;

		tab.mode = rand() % 2;
		tab.ntiers = n;
		tab.has_cap = rand() % 2;
		tab.cap = tab.has_cap ? random_decimal(1 + rand() % 8) : (tt_dec) {0, 0, 0};
		thr[0] = random_decimal(rand() % 4);
		for (int i = 1; i < n; i++)
		{
			/* increasing: the one before, one more digit on the left */
			thr[i] = thr[i - 1];
			thr[i].m += (int64_t) (1 + rand() % 1000) * (thr[i].scale < 3 ? 1 : 1000);
		}
		for (int i = 0; i < n; i++)
			rate[i] = random_decimal(1 + rand() % 6);
		if (tt_validate(&tab, &err) != CORE_OK)
			continue;
		for (int ascale = 0; ascale <= TT_MAX_SCALE; ascale += 1 + rand() % 6)
		{
			tt_prepare(&prep, &tab, ascale);
			for (int k = 0; k < 40; k++)
			{
				__int128	am = (__int128) (rand() % 2000000) - 1000,
							fast,
							slow;
				int			rs;

				if (k % 4 == 0)
					am = (__int128) thr[rand() % n].m + rand() % 3 - 1;
				if (!tt_eval_prepared(&prep, am, &fast))
					continue;
				answered++;
				CHECK_EQ_INT(tt_eval(&tab, am, ascale, &slow, &rs), CORE_OK);
				CHECK_EQ_INT(rs, prep.f);
				CHECK(fast == slow);
			}
		}
	}
	/* the comparison must have been made, and often */
	CHECK(answered > 100000);
}

int
main(int argc, char **argv)
{
	(void) argc;
	test_examples();
	test_declines();
	test_random();
	return unit_summary(argv[0]);
}

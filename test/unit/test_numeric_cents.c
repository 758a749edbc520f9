/*
 * test_numeric_cents.c -- unit tests of src/core/numeric_cents.c: numerics
 * in PostgreSQL's stored form (built here word by word, as numeric.c lays
 * them out) read as hundredths, the ones it must leave to numeric arithmetic,
 * the bounded addition and the text of a sum.
 */
#include <stdint.h>
#include <string.h>

#include "numeric_cents.h"
#include "unit.h"

/* reads n 16-bit words as a numeric's bytes */
static int
read_words(const uint16_t *w, int n, int64_t *cents, int *dscale)
{
	unsigned char buf[32];

	memcpy(buf, w, 2 * n);
	return numeric_cents_read(buf, 2 * n, cents, dscale);
}

static void
test_read(void)
{
	int64_t		c = -1;
	int			d = -1;
	/* short format: 0x8000 | dscale << 7 | weight (7-bit two's complement) */
	uint16_t	hundred[] = {0x8100, 100};		/* 100.00: weight 0, digit 100 */
	uint16_t	refund[] = {0xA100, 30};			/* -30.00: sign 0x2000 */
	uint16_t	five_cents[] = {0x817F, 500};	/* 0.05: weight -1, digit 0500 */
	uint16_t	big[] = {0x8101, 123, 4567, 8900};	/* 1234567.89: weight 1 */
	uint16_t	zero[] = {0x8100};				/* 0.00: no digit */
	uint16_t	tiny[] = {0x827F, 1};			/* 0.0001: dscale 4 */
	uint16_t	half_cent[] = {0x817F, 5};		/* 0.0005 written with dscale 2: not whole cents */
	uint16_t	nan[] = {0xC000};
	uint16_t	huge[] = {0x8104, 1};			/* 10^16: weight 4 */
	/* long format: sign and dscale word, then a 16-bit weight */
	uint16_t	long_neg[] = {0x4000, 0, 5};		/* -5, dscale 0 */
	uint16_t	long_scale[] = {0x0003, 0, 5};	/* 5.000: dscale 3 */

	CHECK_EQ_INT(read_words(hundred, 2, &c, &d), 1);
	CHECK_EQ_INT(c, 10000);
	CHECK_EQ_INT(d, 2);
	CHECK_EQ_INT(read_words(refund, 2, &c, &d), 1);
	CHECK_EQ_INT(c, -3000);
	CHECK_EQ_INT(read_words(five_cents, 2, &c, &d), 1);
	CHECK_EQ_INT(c, 5);
	CHECK_EQ_INT(read_words(big, 4, &c, &d), 1);
	CHECK_EQ_INT(c, 123456789);
	CHECK_EQ_INT(read_words(zero, 1, &c, &d), 1);
	CHECK_EQ_INT(c, 0);
	CHECK_EQ_INT(d, 2);
	CHECK_EQ_INT(read_words(long_neg, 3, &c, &d), 1);
	CHECK_EQ_INT(c, -500);
	CHECK_EQ_INT(d, 0);
	/* left to numeric arithmetic */
	CHECK_EQ_INT(read_words(tiny, 2, &c, &d), 0);
	CHECK_EQ_INT(read_words(half_cent, 2, &c, &d), 0);
	CHECK_EQ_INT(read_words(nan, 1, &c, &d), 0);
	CHECK_EQ_INT(read_words(huge, 2, &c, &d), 0);
	CHECK_EQ_INT(read_words(long_scale, 3, &c, &d), 0);
	CHECK_EQ_INT(numeric_cents_read((const unsigned char *) "", 0, &c, &d), 0);
}

static void
test_add_and_text(void)
{
	int64_t		a = ((int64_t) 1 << 62) - 2;
	char		buf[24];

	CHECK_EQ_INT(cents_add(&a, 1), 1);
	CHECK_EQ_INT(cents_add(&a, 1), 0);		/* would reach 2^62 */
	CHECK_EQ_INT(a, ((int64_t) 1 << 62) - 1);
	a = 100;
	CHECK_EQ_INT(cents_add(&a, -250), 1);
	CHECK_EQ_INT(a, -150);
	CHECK_EQ_STR(cents_text(-1230, 2, buf), "-12.30");
	CHECK_EQ_STR(cents_text(5, 2, buf), "0.05");
	CHECK_EQ_STR(cents_text(-5, 2, buf), "-0.05");
	CHECK_EQ_STR(cents_text(700, 0, buf), "7");
	CHECK_EQ_STR(cents_text(-50, 1, buf), "-0.5");
	CHECK_EQ_STR(cents_text(0, 2, buf), "0.00");
	CHECK_EQ_STR(cents_text(123456789, 2, buf), "1234567.89");
}

int
main(int argc, char **argv)
{
	(void) argc;
	test_read();
	test_add_and_text();
	return unit_summary(argv[0]);
}

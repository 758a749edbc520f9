/*
 * unit.h -- a minimal test harness for the pure-C core (src/core).
 *
 * Each test program includes this header, calls CHECK/CHECK_EQ_* as often as it
 * likes, and ends main() with "return unit_summary(argv[0]);", which prints one
 * line "unit: <name>: <n> checks, <f> failed" and returns non-zero on failure.
 * Failures print file:line and the expression, and the run continues so that
 * one broken case does not hide the others.
 */
#ifndef SALES_SUPERVISOR_UNIT_H
#define SALES_SUPERVISOR_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int	unit_checks = 0;
static int	unit_failures = 0;

#define CHECK(cond) \
	do { \
		unit_checks++; \
		if (!(cond)) { \
			unit_failures++; \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_EQ_INT(got, want) \
	do { \
		long long unit_g_ = (long long) (got), unit_w_ = (long long) (want); \
		unit_checks++; \
		if (unit_g_ != unit_w_) { \
			unit_failures++; \
			fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, unit_g_, unit_w_); \
		} \
	} while (0)

#define CHECK_EQ_STR(got, want) \
	do { \
		const char *unit_g_ = (got), *unit_w_ = (want); \
		unit_checks++; \
		if (unit_g_ == NULL || strcmp(unit_g_, unit_w_) != 0) { \
			unit_failures++; \
			fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
					unit_g_ ? unit_g_ : "(null)", unit_w_); \
		} \
	} while (0)

#define CHECK_NEAR(got, want, tol) \
	do { \
		double unit_g_ = (got), unit_w_ = (want); \
		unit_checks++; \
		if (!(fabs(unit_g_ - unit_w_) <= (tol))) { \
			unit_failures++; \
			fprintf(stderr, "%s:%d: %s = %.17g, want %.17g\n", __FILE__, __LINE__, #got, unit_g_, unit_w_); \
		} \
	} while (0)

static int
unit_summary(const char *name)
{
	const char *base = strrchr(name, '/');

	printf("unit: %s: %d checks, %d failed\n", base ? base + 1 : name,
		   unit_checks, unit_failures);
	return unit_failures == 0 ? 0 : 1;
}

#endif

/*-------------------------------------------------------------------------
 *
 * numeric_cents.h
 *	  A numeric of at most two decimals as a whole number of hundredths
 *	  (cents), read from its stored form, and back to its text: the sums of
 *	  customer_sales_scan (src/customer_sales.c) add sales amounts, which are
 *	  numeric(14,2), as 64-bit integers instead of calling numeric addition
 *	  per line.  Pure C (no postgres.h); test/unit/test_numeric_cents.c.
 *
 * The stored form (PostgreSQL's numeric on disk, src/backend/utils/adt/
 * numeric.c, unchanged since 9.1 apart from the special values added in
 * 14, because pg_upgrade keeps data files as they are): after the varlena
 * header, a 16-bit word; its two top bits 10 say the short format (the
 * word also holds the sign 0x2000, the display scale (word & 0x1F80) >> 7
 * and a 7-bit signed weight), 11 a special value (NaN, +-Infinity), 00 or
 * 01 the long format (sign 0x4000, display scale word & 0x3FFF, then a
 * 16-bit signed weight).  The digits follow: 16-bit, base 10000, the first
 * one worth 10000^weight.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_NUMERIC_CENTS_H
#define SALES_SUPERVISOR_NUMERIC_CENTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the len bytes after a numeric's varlena header (unaligned is fine).
 * Returns 1 and sets *cents and *dscale when the value is finite, has a
 * display scale of at most 2, and its hundredths fit an int64 with room to
 * add 2^62 more (|cents| < 2^62); returns 0 otherwise (the caller then uses
 * numeric arithmetic).
 */
extern int	numeric_cents_read(const unsigned char *data, size_t len, int64_t *cents, int *dscale);

/*
 * Adds b to *a unless the sum leaves (-2^62, 2^62): returns 1, or 0 with *a
 * unchanged.
 */
extern int	cents_add(int64_t *a, int64_t b);

/*
 * Writes cents as numeric text with dscale (0..2) decimals ("-12.30",
 * "0.05", "7"); cents must be a multiple of 10^(2 - dscale).  buf needs 24
 * bytes.  Returns buf.
 */
extern char *cents_text(int64_t cents, int dscale, char *buf);

#endif

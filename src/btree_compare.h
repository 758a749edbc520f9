/*-------------------------------------------------------------------------
 *
 * btree_compare.h
 *	  The five SQL-callable functions of a btree operator class -- name_cmp
 *	  (support function 1) and name_lt, name_le, name_gt, name_ge (the
 *	  operators) -- from one comparison of a call's two arguments.
 *
 * fmgr needs one C function per operator, and for every type they differ
 * only in how they read the comparison; score_curve and tier_table write
 * them once, here, instead of once each.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_BTREE_COMPARE_H
#define SALES_SUPERVISOR_BTREE_COMPARE_H

#include "postgres.h"

#include "fmgr.h"

/*
 * Define name_cmp, name_lt, name_le, name_gt and name_ge on
 * "static int cmp_args(FunctionCallInfo fcinfo)", which returns < 0, 0 or
 * > 0 as the first argument sorts before, equal to or after the second.
 */
#define BTREE_COMPARE_FUNCTIONS(name, cmp_args) \
	PG_FUNCTION_INFO_V1(name##_cmp); \
	PG_FUNCTION_INFO_V1(name##_lt); \
	PG_FUNCTION_INFO_V1(name##_le); \
	PG_FUNCTION_INFO_V1(name##_gt); \
	PG_FUNCTION_INFO_V1(name##_ge); \
	Datum name##_cmp(PG_FUNCTION_ARGS) { PG_RETURN_INT32(cmp_args(fcinfo)); } \
	Datum name##_lt(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmp_args(fcinfo) < 0); } \
	Datum name##_le(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmp_args(fcinfo) <= 0); } \
	Datum name##_gt(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmp_args(fcinfo) > 0); } \
	Datum name##_ge(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmp_args(fcinfo) >= 0); } \
	extern int	no_such_variable

#endif							/* SALES_SUPERVISOR_BTREE_COMPARE_H */

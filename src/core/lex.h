/*-------------------------------------------------------------------------
 *
 * lex.h
 *	  Lexer and parser helpers shared by the pure-C parsers of the text
 *	  forms (score_curve, tier_table): character classes, ASCII case
 *	  folding, a cursor over a counted string, and the pieces both text
 *	  forms are made of -- "mode[(a,b),(a,b),...]" -- so the two parsers
 *	  differ only in how they read a number and what follows the list.
 *
 * Errors go into the cursor's CoreError (core_error.h) with the CORE_ERR_*
 * codes; messages are cut at LEX_MSGLEN - 1 bytes, as the parsers always
 * cut them.
 *
 * No PostgreSQL header here: test/unit and test/fuzz drive this directly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_LEX_H
#define SALES_SUPERVISOR_CORE_LEX_H

#include <stddef.h>

#include "core_error.h"

/* the parsers' messages are at most this long, terminating NUL included */
#define LEX_MSGLEN		256

/* a cursor over a counted string, with the caller's error report */
typedef struct LexState
{
	const char *s;
	size_t		len;
	size_t		pos;
	CoreError  *err;
} LexState;

/* ASCII only: the words are ASCII, and the locale must not matter */
static inline int
lex_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* the blanks allowed between tokens: ASCII white space */
static inline int
lex_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

/* an ASCII decimal digit */
static inline int
lex_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* an ASCII letter: mode words, "cap", NaN and infinities */
static inline int
lex_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A cursor at the start of s[0..len), reporting into err (cleared). */
extern void lex_init(LexState *p, const char *s, size_t len, CoreError *err);

/* Set err (message cut at LEX_MSGLEN - 1 bytes) and return code. */
extern int	lex_error(CoreError *err, int code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* s[0..len) equals the lower-case word, ASCII case-insensitively */
extern int	lex_word_eq(const char *s, size_t len, const char *word);

/* index of the word s[0..len) among names[0..n) (lower case), or -1 */
extern int	lex_lookup(const char *const *names, int n, const char *s,
					   size_t len);

extern void lex_skip_space(LexState *p);

/*
 * A syntax error at the cursor: a full sentence naming what was expected
 * and showing up to 20 bytes of what was found (control bytes cut off).
 */
extern int	lex_syntax(LexState *p, const char *expected);

/* Skip blanks, then consume c or report a syntax error expecting 'what'. */
extern int	lex_expect(LexState *p, char c, const char *what);

/*
 * The mode word that starts a text form, and the "[" after it.  *mode is
 * its index among names[0..nnames); an unknown word is a syntax error
 * naming type_name and the known modes.
 */
extern int	lex_mode(LexState *p, const char *type_name,
					 const char *const *names, int nnames, int *mode);

/*
 * The start of a number: skips blanks and an optional sign.  A word where
 * the digits should be is refused: NaN, Inf and Infinity as "<type_name>
 * values must be finite numbers" (22023), any other as a syntax error.
 * On success *start is where the number (its sign) begins, *digits the
 * first byte after the sign, and *neg whether the sign is '-'; the cursor
 * has not moved past the blanks.
 */
extern int	lex_number_start(LexState *p, const char *type_name,
							 size_t *start, size_t *digits, int *neg);

/* reads one number at the cursor into *out (see LexPairList) */
typedef int (*LexNumberFn) (LexState *p, void *out);

/* how lex_pair_list reads and stores "(a,b),(a,b),...]" */
typedef struct LexPairList
{
	const char *type_name;		/* "tier_table", in messages */
	const char *item;			/* "tier", in messages */
	int			max;			/* most pairs allowed */
	LexNumberFn number;			/* reads one number */
	size_t		size;			/* bytes of one number (at most 32) */
	void	   *first;			/* room for max numbers: each pair's first */
	void	   *second;			/* room for max numbers: each pair's second */
} LexPairList;

/*
 * The list of pairs after the "[", up to and including the "]": at least
 * one pair, at most list->max; *n receives how many.
 */
extern int	lex_pair_list(LexState *p, const LexPairList *list, int *n);

/*
 * Writes the text of number which (0: the first, 1: the second) of pair i
 * into buf (LEX_NUM_BUFLEN bytes), NUL-terminated; returns its length.
 */
typedef int (*LexFormatFn) (const void *arg, int i, int which, char *buf);

/* room for the text of one number in lex_format_pairs */
#define LEX_NUM_BUFLEN	64

/*
 * The canonical "mode[(a,b),(a,b),...]" of n pairs into buf, NUL-
 * terminated, each number written by fmt.  Returns its length, or -1 when
 * buflen is too small.
 */
extern long lex_format_pairs(char *buf, size_t buflen, const char *mode,
							 int n, LexFormatFn fmt, const void *arg);

#endif

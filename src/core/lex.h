/*-------------------------------------------------------------------------
 *
 * lex.h
 *	  Small lexer helpers shared by the pure-C parsers of the text forms
 *	  (score_curve, tier_table): character classes, ASCII case folding,
 *	  a cursor over a counted string, and error messages in a caller's
 *	  buffer.
 *
 * Result codes are shared too: every core maps them to the same SQLSTATEs
 * (see lex_sqlstate in the glue, sales_supervisor_report()).
 *
 * No PostgreSQL header here: test/unit and test/fuzz drive this directly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_LEX_H
#define SALES_SUPERVISOR_CORE_LEX_H

#include <stddef.h>

#define LEX_OK			0
#define LEX_ERR_SYNTAX	1		/* 22P02 invalid_text_representation */
#define LEX_ERR_INVALID	2		/* 22023 invalid_parameter_value */
#define LEX_ERR_RANGE	3		/* 22003 numeric_value_out_of_range */

/* a cursor over a counted string, with the caller's error buffer */
typedef struct LexState
{
	const char *s;
	size_t		len;
	size_t		pos;
	char	   *err;
	size_t		errlen;
} LexState;

/* ASCII only: the words are ASCII, and the locale must not matter */
static inline int
lex_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static inline int
lex_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

static inline int
lex_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int
lex_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Format a message into err (if any) and return code. */
extern int	lex_error(char *err, size_t errlen, int code, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* s[0..len) equals the lower-case word, ASCII case-insensitively */
extern int	lex_word_eq(const char *s, size_t len, const char *word);

extern void lex_skip_space(LexState *p);

/*
 * A syntax error at the cursor: a full sentence naming what was expected
 * and showing up to 20 bytes of what was found (control bytes cut off).
 */
extern int	lex_syntax(LexState *p, const char *expected);

/* Skip blanks, then consume c or report a syntax error expecting 'what'. */
extern int	lex_expect(LexState *p, char c, const char *what);

#endif

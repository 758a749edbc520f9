/*-------------------------------------------------------------------------
 *
 * lex.c
 *	  Lexer and parser helpers shared by the pure-C parsers (see lex.h).
 *
 *-------------------------------------------------------------------------
 */
#include "lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A cursor at the start of s[0..len), reporting into err (cleared). */
void
lex_init(LexState *p, const char *s, size_t len, CoreError *err)
{
	p->s = s;
	p->len = len;
	p->pos = 0;
	p->err = err;
	core_error_clear(err);
}

/*
 * Set err with a message cut at LEX_MSGLEN - 1 bytes: a message that
 * quotes a long input keeps the length it has always had.
 */
int
lex_error(CoreError *err, int code, const char *fmt,...)
{
	char		buf[LEX_MSGLEN];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return core_error(err, code, "%s", buf);
}

/* Does s[0..len) spell the lower-case word, in any ASCII case? */
int
lex_word_eq(const char *s, size_t len, const char *word)
{
	size_t		i;

	if (strlen(word) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (lex_lower((unsigned char) s[i]) != word[i])
			return 0;
	return 1;
}

/* The index of the word s[0..len) among names[0..n), or -1. */
int
lex_lookup(const char *const *names, int n, const char *s, size_t len)
{
	int			i;

	for (i = 0; i < n; i++)
		if (lex_word_eq(s, len, names[i]))
			return i;
	return -1;
}

/* Move the cursor past blanks. */
void
lex_skip_space(LexState *p)
{
	while (p->pos < p->len && lex_is_space((unsigned char) p->s[p->pos]))
		p->pos++;
}

/* A syntax error at the cursor (see lex.h). */
int
lex_syntax(LexState *p, const char *expected)
{
	size_t		rest = p->len - p->pos;
	int			show = rest > 20 ? 20 : (int) rest;
	int			i;

	/* do not print control bytes or a NUL inside the message */
	for (i = 0; i < show; i++)
	{
		unsigned char c = (unsigned char) p->s[p->pos + i];

		if (c < 0x20 || c == 0x7f)
		{
			show = i;
			break;
		}
	}
	if (p->pos >= p->len)
		return lex_error(p->err, CORE_ERR_SYNTAX,
						 "Expected %s at the end of the input.", expected);
	return lex_error(p->err, CORE_ERR_SYNTAX,
					 "Expected %s at position %zu, found \"%.*s\".",
					 expected, p->pos + 1, show, p->s + p->pos);
}

/* Skip blanks, then consume c or report a syntax error. */
int
lex_expect(LexState *p, char c, const char *what)
{
	lex_skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == c)
	{
		p->pos++;
		return CORE_OK;
	}
	return lex_syntax(p, what);
}

/* '"a" or "b"' (or '"a", "b" or "c"') for the names, into buf */
static void
lex_names_text(const char *const *names, int n, char *buf, size_t buflen)
{
	size_t		len = 0;
	int			i;

	buf[0] = '\0';
	for (i = 0; i < n && len < buflen; i++)
		len += (size_t) snprintf(buf + len, buflen - len, "%s\"%s\"",
								 i == 0 ? "" : (i == n - 1 ? " or " : ", "),
								 names[i]);
}

/* The mode word and the "[" after it (see lex.h). */
int
lex_mode(LexState *p, const char *type_name, const char *const *names,
		 int nnames, int *mode)
{
	char		known[128];
	size_t		w;

	lex_names_text(names, nnames, known, sizeof(known));
	lex_skip_space(p);
	w = p->pos;
	while (w < p->len && lex_is_alpha((unsigned char) p->s[w]))
		w++;
	if (w == p->pos)
		return lex_syntax(p, known);
	*mode = lex_lookup(names, nnames, p->s + p->pos, w - p->pos);
	if (*mode < 0)
		return lex_error(p->err, CORE_ERR_SYNTAX,
						 "Unknown %s mode \"%.*s\"; the mode is %s.", type_name,
						 (int) (w - p->pos > 40 ? 40 : w - p->pos),
						 p->s + p->pos, known);
	p->pos = w;
	return lex_expect(p, '[', "\"[\"");
}

/* The start of a number: blanks, sign, no word (see lex.h). */
int
lex_number_start(LexState *p, const char *type_name, size_t *start,
				 size_t *digits, int *neg)
{
	size_t		i,
				w;

	lex_skip_space(p);
	*start = i = p->pos;
	*neg = 0;
	if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
	{
		*neg = p->s[i] == '-';
		i++;
	}
	*digits = i;
	if (i >= p->len || !lex_is_alpha((unsigned char) p->s[i]))
		return CORE_OK;
	w = i;
	while (w < p->len && lex_is_alpha((unsigned char) p->s[w]))
		w++;
	if (lex_word_eq(p->s + i, w - i, "nan") ||
		lex_word_eq(p->s + i, w - i, "inf") ||
		lex_word_eq(p->s + i, w - i, "infinity"))
		return lex_error(p->err, CORE_ERR_INVALID,
						 "%s values must be finite numbers, got \"%.*s\"",
						 type_name, (int) (w - *start), p->s + *start);
	return lex_syntax(p, "a number");
}

/* One "(a,b)" into the scratch a and b. */
static int
lex_pair(LexState *p, const LexPairList *list, void *a, void *b)
{
	int			rc;

	if ((rc = lex_expect(p, '(', "\"(\"")) != CORE_OK ||
		(rc = list->number(p, a)) != CORE_OK ||
		(rc = lex_expect(p, ',', "\",\"")) != CORE_OK ||
		(rc = list->number(p, b)) != CORE_OK)
		return rc;
	return lex_expect(p, ')', "\")\"");
}

/*
 * The pairs after "[" up to "]" (see lex.h).  Each pair is read in full
 * before the count is checked, so a malformed pair past the limit is
 * reported as malformed.
 */
int
lex_pair_list(LexState *p, const LexPairList *list, int *n)
{
	unsigned char a[32],
				b[32];
	int			rc;

	*n = 0;
	lex_skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == ']')
		return lex_error(p->err, CORE_ERR_INVALID,
						 "%s must have at least 1 %s, got an empty list",
						 list->type_name, list->item);
	for (;;)
	{
		if ((rc = lex_pair(p, list, a, b)) != CORE_OK)
			return rc;
		if (*n >= list->max)
			return lex_error(p->err, CORE_ERR_INVALID,
							 "%s has more than %d %ss", list->type_name,
							 list->max, list->item);
		memcpy((char *) list->first + (size_t) *n * list->size, a, list->size);
		memcpy((char *) list->second + (size_t) *n * list->size, b, list->size);
		(*n)++;
		lex_skip_space(p);
		if (p->pos < p->len && p->s[p->pos] == ',')
			p->pos++;
		else if (p->pos < p->len && p->s[p->pos] == ']')
		{
			p->pos++;
			return CORE_OK;
		}
		else
			return lex_syntax(p, "\",\" or \"]\"");
	}
}

/* The canonical text of a list of pairs (see lex.h). */
long
lex_format_pairs(char *buf, size_t buflen, const char *mode, int n,
				 LexFormatFn fmt, const void *arg)
{
	char		a[LEX_NUM_BUFLEN],
				b[LEX_NUM_BUFLEN];
	size_t		len;
	int			i;

	if (mode == NULL || buflen < strlen(mode) + 3)
		return -1;
	len = (size_t) snprintf(buf, buflen, "%s[", mode);
	for (i = 0; i < n; i++)
	{
		int			wa = fmt(arg, i, 0, a);
		int			wb = fmt(arg, i, 1, b);

		/* ",(" is 1 or 2 bytes, then ",", ")", then room for "]" and NUL */
		if (len + wa + wb + 6 > buflen)
			return -1;
		len += (size_t) snprintf(buf + len, buflen - len, "%s(%s,%s)",
								 i > 0 ? "," : "", a, b);
	}
	if (len + 2 > buflen)
		return -1;
	buf[len++] = ']';
	buf[len] = '\0';
	return (long) len;
}

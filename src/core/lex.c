/*-------------------------------------------------------------------------
 *
 * lex.c
 *	  Lexer helpers shared by the pure-C parsers (see lex.h).
 *
 *-------------------------------------------------------------------------
 */
#include "lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
lex_error(char *err, size_t errlen, int code, const char *fmt,...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

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

void
lex_skip_space(LexState *p)
{
	while (p->pos < p->len && lex_is_space((unsigned char) p->s[p->pos]))
		p->pos++;
}

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
		return lex_error(p->err, p->errlen, LEX_ERR_SYNTAX,
						 "Expected %s at the end of the input.", expected);
	return lex_error(p->err, p->errlen, LEX_ERR_SYNTAX,
					 "Expected %s at position %zu, found \"%.*s\".",
					 expected, p->pos + 1, show, p->s + p->pos);
}

int
lex_expect(LexState *p, char c, const char *what)
{
	lex_skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == c)
	{
		p->pos++;
		return LEX_OK;
	}
	return lex_syntax(p, what);
}

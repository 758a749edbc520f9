/*-------------------------------------------------------------------------
 *
 * core_error.c
 *	  Filling the cores' one error report; see core_error.h.
 *
 *-------------------------------------------------------------------------
 */
#include "core_error.h"

#include <stdarg.h>
#include <stdio.h>

/* Clear err: no error, empty message, detail and hint. */
void
core_error_clear(CoreError *err)
{
	err->code = CORE_OK;
	err->msg[0] = '\0';
	err->detail[0] = '\0';
	err->hint[0] = '\0';
}

/* Set an error (see core_error.h); returns code. */
int
core_error(CoreError *err, int code, const char *fmt,...)
{
	va_list		ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->detail[0] = '\0';
	err->hint[0] = '\0';
	return code;
}

/* Set the detail of an error already set. */
void
core_error_detail(CoreError *err, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

/* Set the hint of an error already set. */
void
core_error_hint(CoreError *err, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

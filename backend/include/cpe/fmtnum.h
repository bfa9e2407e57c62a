/*
 * fmtnum.h — fast round-trip printing of doubles for large outputs (cpe features CSV, JSON
 * numbers).
 *
 * cpe_fmt_fast() writes the same kind of text as cpe_fmt_double() (core/num.h): an
 * integer below 1e15 as an integer, otherwise the shortest of 15, 16 or 17 significant
 * digits in "%g" style that parses back to the same double — but without snprintf/strtod
 * in the common case. Digits come from one long-double (64-bit mantissa) scaling by an
 * exact power of ten; a 15- or 16-digit candidate is used when it lies strictly inside
 * the double's rounding interval (its midpoints to the neighbours, scaled the same way,
 * with a margin of twice the scaling error), and 17 digits always round-trip because
 * the scaling error (< 2^-64 relative) stays far below half a unit of the last place.
 * Near an interval edge the fast path may print 17 digits where %.16g would have
 * round-tripped, or differ from glibc in the 17th digit: both still parse back exactly. Values
 * whose scale is outside the exact ranges
 * (|decimal exponent| too large) and platforms without an 80-bit long double fall back to
 * cpe_fmt_double(). NaN/inf write nan_text.
 */
#ifndef CPE_FMTNUM_H
#define CPE_FMTNUM_H

#include <stdint.h>

/* buf >= 32 bytes; returns the length written (no NUL guaranteed beyond it: it is
 * NUL-terminated). */
int cpe_fmt_fast(char *buf, double v, const char *nan_text);
/* v in decimal ("%lld"), buf >= 21 bytes, NUL-terminated; returns the length. */
int cpe_fmt_int(char *buf, int64_t v);

#endif

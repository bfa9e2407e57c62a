/*
 * num.h — exact number parsing and shortest round-trip printing.
 *
 * cpe_parse_double() is correctly rounded (the same bits as strtod) but takes a fast
 * path for the common case of <= 19 significant digits and a small decimal exponent
 * (Clinger's fast path: both operands exact in a double, one correctly rounded op);
 * everything else falls back to strtod on a NUL-terminated copy. It accepts an optional
 * sign, digits, '.', exponent, and "nan"/"inf" (which callers usually reject).
 *
 * cpe_fmt_double() writes the shortest "%.*g" (15..17 digits) that parses back to the
 * same double, so 42923.7 prints as 42923.7; NaN/inf print as given in `nan_text`.
 */
#ifndef CPE_NUM_H
#define CPE_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Parse s[0..len) entirely as a double. 0, or CPE_EPARSE when any byte is not part of it. */
int cpe_parse_double(const char *s, size_t len, double *out);
/* Parse s[0..len) entirely as a signed 64-bit integer. 0, CPE_EPARSE or CPE_ERANGE. */
int cpe_parse_i64(const char *s, size_t len, int64_t *out);

/* Shortest round-trip text of v into buf (>= 32 bytes); returns its length.
 * Non-finite values write nan_text (e.g. "null" for JSON, "" for CSV). */
int cpe_fmt_double(char *buf, double v, const char *nan_text);

#endif

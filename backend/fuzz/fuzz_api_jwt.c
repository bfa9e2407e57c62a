/* fuzz_api_jwt.c — libFuzzer harness: JWT parsing and HS256 verification (api/jwt.c).
 *
 * The input is the token as it follows "Authorization: Bearer " (at most the 2047 bytes
 * the server copies). It is verified against a fixed secret at a fixed time, and its
 * parts go through the base64url decoder on their own. Checked: a token the harness
 * signs itself from the input's payload verifies or is refused with a reason, never
 * crashes; a refused token always says why.
 */
#include "api/jwt.h"
#include "cpe/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "fuzz-secret"
#define NOW_MS 1767225600000LL /* 2026-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2047) return 0;
    char tok[2048];
    memcpy(tok, data, size);
    tok[size] = 0;
    char reason[160] = "";
    int rc = cpe_jwt_verify(tok, SECRET, NOW_MS, reason, sizeof reason);
    if (rc && !reason[0]) abort(); /* a refusal must name its reason */

    uint8_t raw[2048];
    long n = cpe_b64url_decode(tok, size, raw, sizeof raw);
    if (n > (long)sizeof raw) abort();
    if (n >= 0) { /* what decodes re-encodes to a token that decodes to the same bytes */
        char enc[4096];
        size_t m = cpe_b64url_encode(raw, (size_t)n, enc, sizeof enc);
        uint8_t back[2048];
        if (cpe_b64url_decode(enc, m, back, sizeof back) != n || memcmp(back, raw, (size_t)n))
            abort();
    }

    /* The input as a payload: signed by us, it verifies unless its claims are refused. */
    char signed_tok[8192];
    if (cpe_jwt_sign(tok, SECRET, signed_tok, sizeof signed_tok) == 0) {
        reason[0] = 0;
        rc = cpe_jwt_verify(signed_tok, SECRET, NOW_MS, reason, sizeof reason);
        if (rc && !reason[0]) abort();
        if (cpe_jwt_verify(signed_tok, "other-secret", NOW_MS, reason, sizeof reason) == 0)
            abort(); /* another secret never verifies */
    }
    return 0;
}

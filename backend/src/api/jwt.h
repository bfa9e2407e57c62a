/*
 * jwt.h — HS256 JSON Web Token verification (RFC 7519 / 7515), with the SHA-256,
 * HMAC and base64url it needs written here (no crypto library dependency).
 *
 * cpe_jwt_verify() accepts a compact token "header.payload.signature" when:
 *   - the header is JSON with "alg": "HS256" (any other alg, including "none", is refused);
 *   - the signature is HMAC-SHA256(secret, header "." payload), compared in constant time;
 *   - the payload is a JSON object with a numeric "exp" (seconds) in the future
 *     (a token without exp is refused: spec 15.2 wants expiring tokens), and "nbf",
 *     when present, not in the future.
 * On refusal it returns CPE_EINVAL / CPE_EPARSE / CPE_ESTALE (expired) and a reason.
 * Pure functions; any thread.
 */
#ifndef CPE_API_JWT_H
#define CPE_API_JWT_H

#include <stddef.h>
#include <stdint.h>

void cpe_sha256(const void *data, size_t len, uint8_t out[32]);
void cpe_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32]);
/* base64url (no padding; padding tolerated on decode). Decode returns the length or -1. */
long cpe_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap);
size_t cpe_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Verify token with secret at now_ms. 0, or a negative code with reason filled. */
int cpe_jwt_verify(const char *token, const char *secret, int64_t now_ms, char *reason,
                   size_t reason_cap);
/* The claims the server acts on: "sub" (the user) and "role" ("viewer" | "admin"; empty
 * when absent, which the server treats as viewer). Each is cut to its buffer. A login's
 * access token also has "typ":"access" and "gen", its account's creation time (ms): the
 * server checks that this account still exists (api/usermap.h); gen is 0 when absent. */
typedef struct cpe_jwt_claims {
    char sub[64];
    char role[16];
    char typ[16];
    int64_t gen;
} cpe_jwt_claims_t;
/* cpe_jwt_verify() and, on success, the claims. */
int cpe_jwt_verify_claims(const char *token, const char *secret, int64_t now_ms,
                          cpe_jwt_claims_t *out, char *reason, size_t reason_cap);
/* Make a token (for tests and `cpe serve --print-token`): payload JSON given. */
int cpe_jwt_sign(const char *payload_json, const char *secret, char *out, size_t cap);

#endif

/* jwt.c — SHA-256 (FIPS 180-4), HMAC (RFC 2104), base64url and HS256 JWTs (see jwt.h). */
#include "api/jwt.h"
#include "cpe/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

typedef struct sha_ctx {
    uint32_t h[8];
    uint8_t buf[64];
    size_t nbuf;
    uint64_t total;
} sha_ctx;

static void sha_init(sha_ctx *c)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->nbuf = 0;
    c->total = 0;
}

static void sha_update(sha_ctx *c, const uint8_t *p, size_t n)
{
    c->total += n;
    while (n > 0) {
        size_t take = 64 - c->nbuf < n ? 64 - c->nbuf : n;
        memcpy(c->buf + c->nbuf, p, take);
        c->nbuf += take;
        p += take;
        n -= take;
        if (c->nbuf == 64) {
            block(c->h, c->buf);
            c->nbuf = 0;
        }
    }
}

static void sha_final(sha_ctx *c, uint8_t out[32])
{
    uint64_t bits = c->total * 8;
    uint8_t pad = 0x80;
    sha_update(c, &pad, 1);
    uint8_t zero = 0;
    while (c->nbuf != 56)
        sha_update(c, &zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(c, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void cpe_sha256(const void *data, size_t len, uint8_t out[32])
{
    sha_ctx c;
    sha_init(&c);
    sha_update(&c, data, len);
    sha_final(&c, out);
}

void cpe_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    uint8_t k[64] = {0}, ipad[64], opad[64], inner[32];
    if (klen > 64)
        cpe_sha256(key, klen, k);
    else
        memcpy(k, key, klen);
    for (int i = 0; i < 64; i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    sha_ctx c;
    sha_init(&c);
    sha_update(&c, ipad, 64);
    sha_update(&c, msg, mlen);
    sha_final(&c, inner);
    sha_init(&c);
    sha_update(&c, opad, 64);
    sha_update(&c, inner, 32);
    sha_final(&c, out);
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

long cpe_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (n % 4 == 1) return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)in[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap) return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

size_t cpe_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            if (o + 1 < cap) out[o++] = tab[(acc >> bits) & 63];
        }
    }
    if (bits > 0 && o + 1 < cap) out[o++] = tab[(acc << (6 - bits)) & 63];
    if (cap) out[o < cap ? o : cap - 1] = 0;
    return o;
}

static json_t *decode_json(const char *p, size_t n)
{
    uint8_t buf[4096];
    long len = cpe_b64url_decode(p, n, buf, sizeof buf);
    if (len < 0) return NULL;
    return json_loadb((const char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
}

#define REASON(...) snprintf(reason, reason_cap, __VA_ARGS__)

/* Verify; on success *payload (when given) keeps the payload object for the caller. */
static int verify(const char *token, const char *secret, int64_t now_ms, char *reason,
                  size_t reason_cap, json_t **payload)
{
    int rc = CPE_EPARSE;
    json_t *hdr = NULL, *pl = NULL;
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.')) {
        REASON("token is not three base64url parts");
        goto out;
    }
    hdr = decode_json(token, (size_t)(d1 - token));
    pl = decode_json(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!json_is_object(hdr) || !json_is_object(pl)) {
        REASON("token header or payload is not base64url JSON");
        goto out;
    }
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    if (!alg || strcmp(alg, "HS256")) {
        rc = CPE_EINVAL;
        REASON("token alg '%s' is not HS256", alg ? alg : "(none)");
        goto out;
    }
    uint8_t want[32], got[64];
    cpe_hmac_sha256(secret, strlen(secret), token, (size_t)(d2 - token), want);
    long gl = cpe_b64url_decode(d2 + 1, strlen(d2 + 1), got, sizeof got);
    unsigned diff = gl == 32 ? 0 : 1;
    for (int i = 0; i < 32 && gl == 32; i++)
        diff |= (unsigned)(want[i] ^ got[i]);
    if (diff) {
        rc = CPE_EINVAL;
        REASON("token signature does not verify");
        goto out;
    }
    json_t *exp = json_object_get(pl, "exp");
    if (!json_is_number(exp)) {
        rc = CPE_EINVAL;
        REASON("token has no numeric 'exp'");
        goto out;
    }
    if ((double)now_ms >= json_number_value(exp) * 1000.0) {
        rc = CPE_ESTALE;
        REASON("token expired");
        goto out;
    }
    json_t *nbf = json_object_get(pl, "nbf");
    if (nbf && (!json_is_number(nbf) || (double)now_ms < json_number_value(nbf) * 1000.0)) {
        rc = CPE_EINVAL;
        REASON("token not valid yet (nbf)");
        goto out;
    }
    rc = 0;
    if (payload) {
        *payload = pl;
        pl = NULL;
    }
out:
    json_decref(hdr);
    json_decref(pl);
    return rc;
}

int cpe_jwt_verify(const char *token, const char *secret, int64_t now_ms, char *reason,
                   size_t reason_cap)
{
    return verify(token, secret, now_ms, reason, reason_cap, NULL);
}

static void claim(json_t *pl, const char *key, char *out, size_t cap)
{
    const char *v = json_string_value(json_object_get(pl, key));
    if (cap) snprintf(out, cap, "%s", v ? v : "");
}

int cpe_jwt_verify_claims(const char *token, const char *secret, int64_t now_ms,
                          cpe_jwt_claims_t *out, char *reason, size_t reason_cap)
{
    json_t *pl = NULL;
    memset(out, 0, sizeof *out);
    int rc = verify(token, secret, now_ms, reason, reason_cap, &pl);
    if (rc) return rc;
    claim(pl, "sub", out->sub, sizeof out->sub);
    claim(pl, "role", out->role, sizeof out->role);
    claim(pl, "typ", out->typ, sizeof out->typ);
    json_t *gen = json_object_get(pl, "gen");
    out->gen = json_is_integer(gen) ? (int64_t)json_integer_value(gen) : 0;
    json_decref(pl);
    return 0;
}

int cpe_jwt_sign(const char *payload_json, const char *secret, char *out, size_t cap)
{
    static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    size_t pn = strlen(payload_json);
    size_t need = (sizeof hdr * 4) / 3 + (pn * 4) / 3 + 64;
    if (cap < need) return CPE_ETOOBIG;
    size_t o = cpe_b64url_encode((const uint8_t *)hdr, sizeof hdr - 1, out, cap);
    out[o++] = '.';
    o += cpe_b64url_encode((const uint8_t *)payload_json, pn, out + o, cap - o);
    uint8_t mac[32];
    cpe_hmac_sha256(secret, strlen(secret), out, o, mac);
    out[o++] = '.';
    o += cpe_b64url_encode(mac, 32, out + o, cap - o);
    out[o] = 0;
    return 0;
}

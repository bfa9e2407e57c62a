/* test_security.c — SHA-256/HMAC test vectors, HS256 JWT checks, per-IP token buckets,
 * and the configuration loader. */
#include "api/jwt.h"
#include "api/ratelimit.h"
#include "cpe/api.h"
#include "test.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256_matches_fips_vectors(void)
{
    uint8_t h[32];
    char s[65];
    cpe_sha256("abc", 3, h);
    hex(h, 32, s);
    CHECK_STR(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cpe_sha256("", 0, h);
    hex(h, 32, s);
    CHECK_STR(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cpe_sha256(m, strlen(m), h);
    hex(h, 32, s);
    CHECK_STR(s, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_hmac_matches_rfc4231(void)
{
    uint8_t key[20], h[32];
    char s[65];
    memset(key, 0x0b, 20);
    cpe_hmac_sha256(key, 20, "Hi There", 8, h);
    hex(h, 32, s);
    CHECK_STR(s, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    cpe_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, h);
    hex(h, 32, s);
    CHECK_STR(s, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    uint8_t big[131];
    memset(big, 0xaa, sizeof big);
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    cpe_hmac_sha256(big, sizeof big, msg, strlen(msg), h);
    hex(h, 32, s);
    CHECK_STR(s, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_b64url_round_trip(void)
{
    uint8_t in[64], out[64];
    char enc[128];
    for (size_t n = 0; n < 40; n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)(i * 37 + n);
        cpe_b64url_encode(in, n, enc, sizeof enc);
        CHECK(!strchr(enc, '=') && !strchr(enc, '+') && !strchr(enc, '/'));
        long m = cpe_b64url_decode(enc, strlen(enc), out, sizeof out);
        CHECK_EQ_INT(m, (long)n);
        CHECK(!memcmp(in, out, n));
    }
    CHECK_EQ_INT(cpe_b64url_decode("a$bc", 4, out, sizeof out), -1);
}

static void test_jwt_accepts_valid_and_rejects_bad(void)
{
    const int64_t now = 1700000000000LL;
    char tok[1024], why[128];
    CHECK_EQ_INT(cpe_jwt_sign("{\"sub\":\"a\",\"exp\":1700003600}", "k", tok, sizeof tok), 0);
    CHECK_EQ_INT(cpe_jwt_verify(tok, "k", now, why, sizeof why), 0);
    CHECK(cpe_jwt_verify(tok, "other", now, why, sizeof why) != 0);
    CHECK_EQ_INT(cpe_jwt_verify(tok, "k", 1700003600000LL, why, sizeof why), CPE_ESTALE);
    /* tampered payload */
    char *dot = strchr(tok, '.');
    dot[2] = dot[2] == 'A' ? 'B' : 'A';
    CHECK(cpe_jwt_verify(tok, "k", now, why, sizeof why) != 0);
    /* no exp */
    cpe_jwt_sign("{\"sub\":\"a\"}", "k", tok, sizeof tok);
    CHECK(cpe_jwt_verify(tok, "k", now, why, sizeof why) != 0);
    /* not yet valid */
    cpe_jwt_sign("{\"exp\":1700003600,\"nbf\":1700001000}", "k", tok, sizeof tok);
    CHECK(cpe_jwt_verify(tok, "k", now, why, sizeof why) != 0);
    /* alg none is refused even with a correct-looking shape */
    CHECK(cpe_jwt_verify("eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDM2MDB9.", "k", now, why,
                         sizeof why) != 0);
    CHECK(cpe_jwt_verify("garbage", "k", now, why, sizeof why) != 0);
    CHECK(cpe_jwt_verify("a.b.c.d", "k", now, why, sizeof why) != 0);
}

static void test_jwt_verifies_a_known_token(void)
{
    /* jwt.io's HS256 example, secret "your-256-bit-secret", with exp 2^31-1 */
    char tok[1024], why[128];
    cpe_jwt_sign("{\"sub\":\"1234567890\",\"exp\":2147483647}", "your-256-bit-secret", tok,
                 sizeof tok);
    CHECK(!strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37));
    CHECK_EQ_INT(cpe_jwt_verify(tok, "your-256-bit-secret", 1700000000000LL, why, sizeof why), 0);
}

static void test_ratelimit_allows_burst_then_refuses_then_refills(void)
{
    cpe_ratelimit_t rl;
    CHECK_EQ_INT(cpe_ratelimit_init(&rl, 60, 64), 0); /* 60/min = 1 per second */
    int retry, ok = 0;
    for (int i = 0; i < 100; i++)
        ok += cpe_ratelimit_take(&rl, "1.2.3.4", 1000, &retry);
    CHECK_EQ_INT(ok, 60);
    CHECK(!cpe_ratelimit_take(&rl, "1.2.3.4", 1000, &retry));
    CHECK_EQ_INT(retry, 1);
    CHECK(cpe_ratelimit_take(&rl, "5.6.7.8", 1000, &retry)); /* other IPs unaffected */
    CHECK(cpe_ratelimit_take(&rl, "1.2.3.4", 2000, &retry)); /* a second later: one token */
    CHECK(!cpe_ratelimit_take(&rl, "1.2.3.4", 2000, &retry));
    cpe_ratelimit_free(&rl);
}

static void test_ratelimit_survives_more_clients_than_slots(void)
{
    cpe_ratelimit_t rl;
    cpe_ratelimit_init(&rl, 10, 16);
    int retry;
    char ip[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(ip, sizeof ip, "10.0.%d.%d", i / 256, i % 256);
        CHECK(cpe_ratelimit_take(&rl, ip, 1000 + i, &retry));
    }
    cpe_ratelimit_free(&rl);
    cpe_ratelimit_init(&rl, 0, 16); /* disabled */
    for (int i = 0; i < 100; i++)
        CHECK(cpe_ratelimit_take(&rl, "x", 0, &retry));
    cpe_ratelimit_free(&rl);
}

static void test_config_file_env_and_errors(void)
{
    cpe_api_config_t c;
    cpe_diag_t d = {0};
    cpe_api_config_defaults(&c);
    CHECK_EQ_INT(c.port, 8000);
    CHECK_EQ_INT((long)c.rate_limit_per_min, 1000);
    CHECK_STR(c.source, "auto");
    char path[600];
    snprintf(path, sizeof path, "%s/serve.env", test_tmpdir());
    FILE *f = fopen(path, "w");
    fprintf(f, "# comment\nCPE_PORT=9001\nexport "
               "CPE_CORS_ORIGINS=\"http://a.example\"\n\nCPE_SOURCE=store\n");
    fclose(f);
    CHECK_EQ_INT(cpe_api_config_load_file(&c, path, &d), 0);
    CHECK_EQ_INT(c.port, 9001);
    CHECK_STR(c.cors_origins, "http://a.example");
    CHECK_STR(c.source, "store");
    setenv("CPE_WS_HEARTBEAT_MS", "250", 1);
    CHECK_EQ_INT(cpe_api_config_load_env(&c, &d), 0);
    CHECK_EQ_INT(c.heartbeat_ms, 250);
    unsetenv("CPE_WS_HEARTBEAT_MS");
    f = fopen(path, "w");
    fprintf(f, "CPE_PORT=9001\nCPE_PORT=http\n");
    fclose(f);
    CHECK(cpe_api_config_load_file(&c, path, &d) != 0);
    CHECK_MSG(strstr(d.msg, ":2:") && strstr(d.msg, "CPE_PORT"), "message: %s", d.msg);
    CHECK(cpe_api_config_set(&c, "CPE_NOPE", "1", &d) != 0);
    CHECK(cpe_api_config_set(&c, "source", "mars", &d) != 0);
    CHECK_EQ_INT(cpe_api_config_set(&c, "rate-limit-per-min", "0", &d), 0);
    /* the same reader over text in memory (fuzz_api_config): a line too long is refused,
     * not split into two settings as the 2 KiB line buffer of the file reader used to */
    char big[3000];
    memset(big, 'x', sizeof big);
    memcpy(big, "CPE_HOST=", 9);
    CHECK(cpe_api_config_parse(&c, "mem", big, sizeof big, &d) == CPE_EPARSE);
    CHECK_MSG(strstr(d.msg, "mem:1:"), "message: %s", d.msg);
    CHECK_EQ_INT(cpe_api_config_parse(&c, "mem", "port=8002\r\n\n  # x\n", 18, &d), 0);
    CHECK_EQ_INT(c.port, 8002);
    CHECK(cpe_api_config_parse(&c, "mem", "CPE_PORT", 8, &d) == CPE_EPARSE);
    /* every documented setting is accepted with its default */
    for (const cpe_api_setting_t *s = cpe_api_settings; s->env; s++)
        CHECK_MSG(cpe_api_config_set(&c, s->env, s->def, &d) == 0, "%s: %s", s->env, d.msg);
}

int main(void)
{
    RUN(test_sha256_matches_fips_vectors);
    RUN(test_hmac_matches_rfc4231);
    RUN(test_b64url_round_trip);
    RUN(test_jwt_accepts_valid_and_rejects_bad);
    RUN(test_jwt_verifies_a_known_token);
    RUN(test_ratelimit_allows_burst_then_refuses_then_refills);
    RUN(test_ratelimit_survives_more_clients_than_slots);
    RUN(test_config_file_env_and_errors);
    return TEST_DONE();
}

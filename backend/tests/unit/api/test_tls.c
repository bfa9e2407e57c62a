/* test_tls.c — the TLS settings (api/tls.h): what they accept, and what they hand to lws. */
#include "api/tls.h"
#include "test.h"

#include <openssl/ssl.h>
#include <stdio.h>

static void test_tls_settings_accept_only_12_and_13(void)
{
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    CHECK_EQ_INT(c.tls_min_12, 0);
    CHECK(!cpe_tls_on(&c));
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_api_config_set(&c, "tls-min", "1.2", &d), 0);
    CHECK_EQ_INT(c.tls_min_12, 1);
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_TLS_MIN", "1.1", &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "CPE_TLS_MIN") && strstr(d.msg, "1.1"));
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_TLS_MIN", "1.3", &d), 0);
    CHECK_EQ_INT(c.tls_min_12, 0);
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_TLS_OTHER", "x", &d), CPE_EINVAL);
    CHECK_STR(cpe_tls_scheme(&c, 0), "http");
    CHECK_STR(cpe_tls_scheme(&c, 1), "ws");
}

static void test_tls_setup_needs_both_files(void)
{
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_tls_setup(&c, &info, &d), 0); /* no TLS: nothing set */
    CHECK(info.ssl_cert_filepath == NULL && info.options == 0);
    char cert[600];
    snprintf(cert, sizeof cert, "%s/tls_cert.pem", test_tmpdir());
    CHECK_EQ_INT(test_write_file(cert, "not checked here\n"), 0);
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_TLS_CERT", cert, &d), 0);
    CHECK_EQ_INT(cpe_tls_setup(&c, &info, &d), CPE_EINVAL); /* a certificate without a key */
    CHECK(strstr(d.msg, "--tls-key"));
    CHECK(!cpe_tls_on(&c));
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_TLS_KEY", "/nonexistent/key.pem", &d), 0);
    CHECK_EQ_INT(cpe_tls_setup(&c, &info, &d), CPE_EIO);
    CHECK(strstr(d.msg, "/nonexistent/key.pem"));
}

static void test_tls_setup_refuses_below_the_minimum(void)
{
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    char path[600];
    snprintf(path, sizeof path, "%s/tls_both.pem", test_tmpdir());
    CHECK_EQ_INT(test_write_file(path, "x\n"), 0);
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_TLS_CERT", path, &d), 0);
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_TLS_KEY", path, &d), 0);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    CHECK_EQ_INT(cpe_tls_setup(&c, &info, &d), 0);
    CHECK(cpe_tls_on(&c));
    CHECK_STR(info.ssl_cert_filepath, path);
    CHECK_STR(info.ssl_private_key_filepath, path);
    CHECK_STR(info.alpn, "http/1.1");
    CHECK(info.options & LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT);
    long below13 = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2;
    CHECK((info.ssl_options_set & below13) == below13);
    CHECK(!(info.ssl_options_set & SSL_OP_NO_TLSv1_3));
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_TLS_MIN", "1.2", &d), 0);
    memset(&info, 0, sizeof info);
    CHECK_EQ_INT(cpe_tls_setup(&c, &info, &d), 0);
    CHECK(!(info.ssl_options_set & SSL_OP_NO_TLSv1_2));
    CHECK(info.ssl_options_set & SSL_OP_NO_TLSv1_1);
    CHECK_STR(cpe_tls_scheme(&c, 0), "https");
    CHECK_STR(cpe_tls_scheme(&c, 1), "wss");
}

int main(void)
{
    RUN(test_tls_settings_accept_only_12_and_13);
    RUN(test_tls_setup_needs_both_files);
    RUN(test_tls_setup_refuses_below_the_minimum);
    return TEST_DONE();
}

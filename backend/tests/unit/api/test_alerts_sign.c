/* test_alerts_sign.c — the webhook signature and bodies (api/alerts_deliver.c): the
 * X-CPE-Signature value is HMAC-SHA256 of "<t>.<body>" (checked against a value computed
 * independently with Python's hmac module), and the chat formats wrap the message. */
#include "api/alerts.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static void test_alerts_signature_is_hmac_of_t_dot_body(void)
{
    char sig[128];
    const char *body = "{\"id\":1}";
    CHECK_EQ_INT(cpe_alert_signature("whsec", 1700000000, body, strlen(body), sig, sizeof sig), 0);
    CHECK_STR(sig,
              "t=1700000000,v1=e79220cb981f992adbc8b93ac6d46028b0217ea19327d27dc9d18bf334403bde");
    /* another time, another signature: a captured request cannot be replayed later */
    char sig2[128];
    CHECK_EQ_INT(cpe_alert_signature("whsec", 1700000001, body, strlen(body), sig2, sizeof sig2),
                 0);
    CHECK(strcmp(sig + 27, sig2 + 27) != 0);
    CHECK_EQ_INT(cpe_alert_signature("whsec", 1700000000, body, strlen(body), sig, 40),
                 CPE_ETOOBIG);
}

static void test_alerts_webhook_bodies(void)
{
    const char *ev = "{\"type\":\"alert\",\"id\":3}";
    const char *url = "https://h/x";
    char *g = cpe_alert_webhook_body("generic", url, ev, "BTC \"up\"");
    char *s = cpe_alert_webhook_body("slack", url, ev, "BTC \"up\"");
    char *d = cpe_alert_webhook_body("discord", url, ev, "BTC \"up\"");
    char *t = cpe_alert_webhook_body(
        "telegram", "https://api.telegram.org/bot1:AA/sendMessage?x=1&chat_id=-1001234&y=2", ev,
        "BTC \"up\"");
    CHECK(g && !strcmp(g, ev));
    CHECK(s && !strcmp(s, "{\"text\":\"BTC \\\"up\\\"\"}"));
    CHECK(d && !strcmp(d, "{\"content\":\"BTC \\\"up\\\"\"}"));
    CHECK(t && !strcmp(t, "{\"chat_id\":\"-1001234\",\"text\":\"BTC \\\"up\\\"\","
                          "\"disable_web_page_preview\":true}"));
    /* Telegram's chat comes from the URL: none there, no body */
    CHECK(cpe_alert_webhook_body("telegram", "https://api.telegram.org/bot1:AA/sendMessage", ev,
                                 "m") == NULL);
    CHECK(cpe_alert_webhook_body("telegram", "https://h/x?chat_id=&a=1", ev, "m") == NULL);
    free(g);
    free(s);
    free(d);
    free(t);
}

int main(void)
{
    RUN(test_alerts_signature_is_hmac_of_t_dot_body);
    RUN(test_alerts_webhook_bodies);
    return TEST_DONE();
}

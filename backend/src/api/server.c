/* server.c — cpe serve's setup: configuration, the live pipeline, workers, the lws context
 * and its service loop, and the shutdown (server.h). */
#include "api/alerts.h"
#include "api/conn.h"
#include "api/heavy.h"
#include "api/tls.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void parse_origins(cpe_api_t *api)
{
    const char *s = api->cfg.cors_origins;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *e = s;
        while (*e && *e != ',')
            e++;
        size_t n = (size_t)(e - s);
        while (n > 0 && s[n - 1] == ' ')
            n--;
        if (n == 1 && *s == '*')
            api->any_origin = 1;
        else if (n > 0 && n < 128 && api->norigins < 16) {
            memcpy(api->origins[api->norigins], s, n);
            api->origins[api->norigins++][n] = 0;
        }
        s = e;
    }
}

static void lws_log_bridge(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    cpe_log(level == LLL_ERR ? CPE_LOG_ERROR : CPE_LOG_WARN, "lws: %.*s", (int)n, line);
}

/* A /market-data answer builds a few MB (the bars, the JSON body). With glibc's defaults
 * such blocks come from fresh mmap()s, or from the heap top that free() trims again, so
 * every request first-touches its memory: on this kind of VM those page faults cost more
 * than the work (18 ms vs 7 ms for 10,000 bars). Blocks up to 32 MB stay in the heap and up
 * to 64 MB of free heap top is kept for the next request. */
void cpe_api_tune_malloc(void)
{
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

/* The server's store connections (service thread, HTTP workers, live pipeline, alerts...)
 * live for days on a store that grows: with SQLite's map of the file each counted every page
 * it had read in RSS, which rose with the store (~0.4 MB/min under make run). No map and a
 * 16 MiB page cache each, unless set (cpe/store.h, Memory; docs/RELIABILITY.md). Before any
 * thread starts: setenv is not thread-safe. */
static void bound_store_memory(void)
{
    setenv("CPE_STORE_MMAP_MB", "0", 0);
    setenv("CPE_STORE_CACHE_MB", "16", 0);
}

/* The live pipeline's settings from the server's (engine/live.h). */
static void live_config(cpe_api_t *api, cpe_live_config_t *lc)
{
    const cpe_api_config_t *cfg = &api->cfg;
    memset(lc, 0, sizeof *lc);
    lc->db = cfg->db;
    lc->mode = !strcmp(cfg->source, "simulate") ? CPE_LIVE_SIMULATE
               : !strcmp(cfg->source, "store")  ? CPE_LIVE_STORE
               : !strcmp(cfg->source, "live")   ? CPE_LIVE_EXCHANGE
                                                : CPE_LIVE_AUTO;
    lc->probe_ms = cfg->probe_ms;
    lc->symbols = api->cfg.symbols;
    lc->tick_ms = cfg->tick_ms;
    lc->minute_ms = cfg->minute_ms;
    lc->seed = cfg->sim_seed;
    lc->backfill_minutes = 7 * 1440; /* enough for a first model (retrain.h) */
    lc->predict = cfg->predict;
    lc->models = cfg->models;
    lc->pred_paths = cfg->pred_paths;
    lc->sink = cpe_api_live_sink;
    lc->sink_ctx = api;
}

/* The libwebsockets context on the configured address (TLS when asked); prints the address
 * line the scripts wait for. */
static int listen_on(cpe_api_t *api, cpe_diag_t *d)
{
    const cpe_api_config_t *cfg = &api->cfg;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_bridge);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = cfg->host[0] ? cfg->host : NULL;
    info.protocols = cpe_api_protocols;
    info.user = api;
    info.count_threads = 1;
    info.timeout_secs = 30;
    info.keepalive_timeout = 30;
    info.max_http_header_data = 4096;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_VALIDATE_UTF8;
    int rc = cpe_tls_setup(&api->cfg, &info, d);
    if (rc) return rc;
    api->ctx = lws_create_context(&info);
    if (!api->ctx) {
        return cpe_diag_set(d, CPE_EIO, "cannot listen on %s:%d (in use, or not an address here?)",
                            cfg->host, cfg->port);
    }
    int port = cfg->port;
    struct lws_vhost *vh = lws_get_vhost_by_name(api->ctx, "default");
    if (vh) port = lws_get_vhost_listen_port(vh);
    const char *http = cpe_tls_scheme(cfg, 0), *ws = cpe_tls_scheme(cfg, 1);
    cpe_info("serve: listening on %s://%s:%d (%s://%s:%d/ws), store %s, frontend %s", http,
             cfg->host, port, ws, cfg->host, port, cfg->db,
             api->static_dir[0] ? api->static_dir : "(none)");
    printf("listening on %s://%s:%d\n", http, cfg->host, port);
    fflush(stdout);
    return 0;
}

int cpe_api_serve(const cpe_api_config_t *cfg, volatile sig_atomic_t *stop, cpe_diag_t *d)
{
    cpe_api_tune_malloc();
    bound_store_memory();
    int rc = 0;
    cpe_api_t *api = calloc(1, sizeof *api);
    if (!api) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    api->cfg = *cfg;
    api->stop = stop;
    /* the universe's assets, before any thread starts; live symbols default to them all */
    if ((rc = cpe_universe_configure(cfg->assets[0] ? cfg->assets : CPE_ASSETS_DEFAULT, d))) {
        free(api);
        return rc;
    }
    if (!api->cfg.symbols[0]) cpe_assets_symbols(api->cfg.symbols, sizeof api->cfg.symbols);
    api->started_ms = cpe_now_ms();
    pthread_mutex_init(&api->mu, NULL);
    parse_origins(api);
    cpe_api_find_static_dir(api);
    for (int i = 0; cpe_api_routes[i].path; i++)
        cpe_stats_add_slot(&api->stats, cpe_api_routes[i].name,
                           cpe_method_name(cpe_api_routes[i].method));
    api->slot_static = cpe_stats_add_slot(&api->stats, "static", "GET");
    api->slot_other = cpe_stats_add_slot(&api->stats, "other", "ANY");
    if ((rc = cpe_ratelimit_init(&api->rl, cfg->rate_limit_per_min, 65536)) ||
        (rc = cpe_ratelimit_init(&api->rl_user,
                                 cfg->jwt_secret[0] ? cfg->rate_limit_user_per_min : 0, 4096))) {
        cpe_diag_set(d, rc, "out of memory for the rate limiter");
        goto out;
    }
    if ((rc = cpe_store_open(cfg->db, &api->store, d))) goto out;
    api->rd.store = api->store;
    if (!(api->preds = calloc(cpe_asset_count(), sizeof *api->preds))) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory");
        goto out;
    }

    cpe_live_config_t lc;
    live_config(api, &lc);
    if ((rc = cpe_api_bus_start(api, d))) goto out;
    if ((rc = cpe_api_ingest_lease(api, d))) { /* a standby waits here */
        if (rc == CPE_ECANCELED) rc = 0;
        goto out;
    }
    if ((rc = cpe_alerts_open(api, &api->alerts, d))) goto out;
    if ((rc = cpe_live_start(&lc, &api->live, d))) goto out;
    cpe_live_status_t ls;
    cpe_live_get_status(api->live, &ls);
    api->source = ls.source;
    api->simulated = ls.simulated;
    cpe_info("serve: data source: %s (%s)", ls.source, ls.note);
    if ((rc = cpe_jobs_new(api, cfg->backtest_workers, &api->jobs))) {
        cpe_diag_set(d, rc, "cannot start backtest workers");
        goto out;
    }
    if ((rc = cpe_retrain_start(&api->cfg, &api->retrain, d))) goto out;
    if ((rc = cpe_onchain_poll_start(api, &api->onchain_poll, d))) goto out;
    if ((rc = cpe_calcache_start(cfg->db, &api->calcache, d))) goto out;

    if ((rc = listen_on(api, d))) goto out;
    if ((rc = cpe_heavy_start(api, cfg->http_workers, &api->heavy, d))) goto out;
    if ((rc = cpe_ws_start(api, d))) goto out;
    while (!*stop && !cpe_api_ingest_lease_lost(api)) {
        if (lws_service(api->ctx, 0) < 0) break;
    }
    if (cpe_api_ingest_lease_lost(api))
        rc = cpe_diag_set(d, CPE_EAGAIN,
                          "lost the ingest lease to another node: exiting "
                          "(a restart comes back as a standby)");
    cpe_info("serve: shutting down");
out:
    cpe_heavy_stop(api->heavy); /* before the context: workers wake it */
    if (api->ctx) {
        lws_context_destroy(api->ctx); /* closes every connection (frees ws clients) */
        api->ctx = NULL;
    }
    cpe_heavy_free(api->heavy); /* after the context: its closes forget their jobs */
    cpe_ws_close_all(api);
    cpe_retrain_stop(api->retrain);
    cpe_onchain_poll_stop(api->onchain_poll);
    cpe_calcache_stop(api->calcache);
    cpe_live_stop(api->live);
    cpe_alerts_close(api->alerts);
    cpe_jobs_free(api->jobs);
    cpe_api_bus_stop(api);
    cpe_api_inbox_drain(api); /* frees what is left (no clients) */
    cpe_store_close(api->store);
    cpe_ratelimit_free(&api->rl);
    cpe_ratelimit_free(&api->rl_user);
    cpe_usermap_free(&api->users);
    pthread_mutex_destroy(&api->mu);
    free(api->preds);
    free(api);
    return rc;
}

/*
 * registry.h — versioned model directories, the champion pointer, and champion/challenger
 * testing (spec 10.3 - 10.5).
 *
 * Layout under the root (default data/models, or $CPE_MODELS):
 *
 *   <root>/<SYMBOL>/<version>/metadata.json     everything but the trees (below)
 *   <root>/<SYMBOL>/<version>/cls_<H>h.json     XGBoost JSON of the direction classifier
 *   <root>/<SYMBOL>/<version>/reg_<H>h.json     XGBoost JSON of the magnitude regressor
 *   <root>/<SYMBOL>/champion                    one line: the champion's version
 *   <root>/<SYMBOL>/challenger                  "<version> <traffic_split>" (optional)
 *
 * A version is "<SYMBOL>-<YYYYMMDDTHHMMSSZ>" of the training time (a "-2", "-3" suffix
 * when that exists). A version directory is written under a temporary name and renamed
 * into place when complete, so a reader never sees half a model; pointers are replaced
 * the same way (write temp + rename), and a pruned version is renamed away before its
 * files are deleted. A writer killed at any point (SIGKILL) leaves the champion and every
 * version whole; its temporaries (".tmp-<version>-<pid>", ".tmp-del-<version>-<pid>",
 * "champion.tmp<pid>") are removed by the next save. Nothing is fsync'd: this holds for a
 * killed process, not for a power cut.
 *
 * metadata.json holds: format (1), symbol, version, trained_at, training window
 * (train_from, train_to, label_cutoff), features [names] and their presence in training,
 * hyperparameters (classifier, regressor), per horizon {horizon_h, rounds, base_rate,
 * calibration {method, a, b, x[], y[]}, cone_scale {s1, s2, s}, validation metrics},
 * volatility {GARCH-t or EWMA state}, volatility_normal, regime thresholds, and an
 * optional "metrics" object (walk-forward scores) given by the caller.
 *
 * Champion/challenger: a challenger gets `traffic_split` of the requests
 * (cpe_ab_route, deterministic in a key such as the bar time, so a replay routes the
 * same way). cpe_ab_test compares the two on the primary metric, the per-prediction
 * log-loss of the direction call, with a paired Diebold-Mariano test: d_t = loss_champion
 * - loss_challenger, HAC (Newey-West, Bartlett weights, `lag` = overlap of the label
 * windows in rows) variance of mean(d), z = mean / se, two-sided normal p-value. The
 * challenger should replace the champion only when n >= min_samples, p < alpha and
 * mean(d) > 0 (cpe_ab_result_t.promote).
 *
 * Threads: file operations are not locked; one writer at a time (the trainer). Loading
 * is read-only.
 */
#ifndef CPE_REGISTRY_H
#define CPE_REGISTRY_H

#include "cpe/error.h"
#include "cpe/modelset.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_VERSION_MAX 48

typedef struct cpe_registry {
    char root[512];
} cpe_registry_t;

typedef struct cpe_model_info {
    char symbol[32];
    char version[CPE_VERSION_MAX];
    int64_t trained_at_ms, train_from_ms, train_to_ms;
    int n_features;
    int champion, challenger;
} cpe_model_info_t;

/* root NULL: $CPE_MODELS or "data/models". The directory is created when saving. */
void cpe_registry_init(cpe_registry_t *r, const char *root);

/* Write ms as a new version of symbol; metrics_json (may be NULL) is a JSON object stored
 * under "metrics". version_out receives the new version. */
int cpe_registry_save(const cpe_registry_t *r, const char *symbol, const cpe_modelset_t *ms,
                      const char *metrics_json, char version_out[CPE_VERSION_MAX], cpe_diag_t *d);
/* Load a version (NULL: the champion). CPE_ENOTFOUND when there is none. */
int cpe_registry_load(const cpe_registry_t *r, const char *symbol, const char *version,
                      cpe_modelset_t *ms, char version_out[CPE_VERSION_MAX], cpe_diag_t *d);
/* All versions (symbol NULL: every symbol), sorted by symbol then version. free(*out). */
int cpe_registry_list(const cpe_registry_t *r, const char *symbol, cpe_model_info_t **out,
                      size_t *n, cpe_diag_t *d);

/* Delete a symbol's oldest versions beyond the newest `keep` (>= 1); the champion and the
 * challenger always stay. *removed (may be NULL) counts the deleted versions. */
int cpe_registry_prune(const cpe_registry_t *r, const char *symbol, int keep, int *removed,
                       cpe_diag_t *d);

int cpe_registry_champion(const cpe_registry_t *r, const char *symbol,
                          char version[CPE_VERSION_MAX]);
int cpe_registry_set_champion(const cpe_registry_t *r, const char *symbol, const char *version,
                              cpe_diag_t *d);
/* version NULL clears the challenger. */
int cpe_registry_set_challenger(const cpe_registry_t *r, const char *symbol, const char *version,
                                double traffic_split, cpe_diag_t *d);
int cpe_registry_challenger(const cpe_registry_t *r, const char *symbol,
                            char version[CPE_VERSION_MAX], double *traffic_split);

/* 1 when the request with this key goes to the challenger (splitmix64 hash < split). */
int cpe_ab_route(double traffic_split, uint64_t key);

typedef struct cpe_ab_result {
    size_t n;
    double mean_diff; /* mean(loss_champion - loss_challenger): > 0 favours the challenger */
    double se, z, p_value;
    int promote; /* n >= min_samples && p < alpha && mean_diff > 0 */
} cpe_ab_result_t;

/* Rows where either loss is NaN are skipped. lag < 0: floor(n^(1/3)). */
int cpe_ab_test(const double *loss_champion, const double *loss_challenger, size_t n, int lag,
                double alpha, size_t min_samples, cpe_ab_result_t *out);

#endif

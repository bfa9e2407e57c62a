/* registry.c — model directories, champion/challenger pointers, listing and pruning (see
 * cpe/registry.h; metadata.json is registry_json.c, the A/B statistics registry_ab.c). */
#include "registry_int.h"

#include "cpe/durable.h"
#include "cpe/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cpe_registry_init(cpe_registry_t *r, const char *root)
{
    const char *env = getenv("CPE_MODELS");
    if (!root || !*root) root = env && *env ? env : "data/models";
    snprintf(r->root, sizeof r->root, "%s", root);
}

static int mkdirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return CPE_EIO;
            *p = '/';
        }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return CPE_EIO;
    return 0;
}

static int valid_name(const char *s)
{
    if (!s || !*s || strlen(s) >= CPE_VERSION_MAX) return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

/* ---- save / load -------------------------------------------------------------------- */

static int write_text(const char *path, const char *text)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return CPE_EIO;
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || cpe_rename_durable(tmp, path) != 0) {
        unlink(tmp);
        return CPE_EIO;
    }
    return 0;
}

int cpe_registry_save(const cpe_registry_t *r, const char *symbol, const cpe_modelset_t *ms,
                      const char *metrics_json, char version_out[CPE_VERSION_MAX], cpe_diag_t *d)
{
    char base[700], tmp[800], fin[800], path[900], ver[CPE_VERSION_MAX], stamp[32];
    if (!valid_name(symbol))
        return cpe_diag_set(d, CPE_EINVAL, "registry: bad symbol '%s'", symbol);
    snprintf(base, sizeof base, "%s/%s", r->root, symbol);
    if (mkdirs(base) != 0)
        return cpe_diag_set(d, CPE_EIO, "%s: cannot create: %s", base, strerror(errno));
    registry_sweep_tmp(base);                     /* what a killed writer left (registry_tmp.c) */
    cpe_format_iso8601(ms->trained_at_ms, stamp); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    char compact[20];
    snprintf(compact, sizeof compact, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", stamp, stamp + 5, stamp + 8,
             stamp + 11, stamp + 14, stamp + 17);
    struct stat st;
    for (int k = 1;; k++) {
        if (k == 1)
            snprintf(ver, sizeof ver, "%s-%s", symbol, compact);
        else
            snprintf(ver, sizeof ver, "%s-%s-%d", symbol, compact, k);
        snprintf(fin, sizeof fin, "%s/%s", base, ver);
        if (stat(fin, &st) != 0) break;
        if (k > 999) return cpe_diag_set(d, CPE_EEXISTS, "%s: too many versions", base);
    }
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%d", base, ver, (int)getpid());
    if (mkdirs(tmp) != 0)
        return cpe_diag_set(d, CPE_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    int rc = 0;
    for (int k = 0; k < ms->n_h && !rc; k++) {
        snprintf(path, sizeof path, "%s/cls_%dh.json", tmp, ms->h[k].horizon_h);
        rc = cpe_gbt_save(&ms->h[k].cls, path, d);
        snprintf(path, sizeof path, "%s/reg_%dh.json", tmp, ms->h[k].horizon_h);
        if (!rc) rc = cpe_gbt_save(&ms->h[k].reg, path, d);
    }
    if (!rc) {
        json_t *m = reg_metadata_json(symbol, ver, ms, metrics_json);
        snprintf(path, sizeof path, "%s/metadata.json", tmp);
        if (json_dump_file(m, path, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0)
            rc = cpe_diag_set(d, CPE_EIO, "%s: cannot write", path);
        json_decref(m);
    }
    if (!rc && cpe_fsync_dir_files(tmp) != 0)
        rc = cpe_diag_set(d, CPE_EIO, "%s: cannot sync to disk: %s", tmp, strerror(errno));
    if (!rc && cpe_rename_durable(tmp, fin) != 0)
        rc = cpe_diag_set(d, CPE_EIO, "%s: cannot rename into place: %s", fin, strerror(errno));
    if (rc) {
        registry_rm_dir(tmp);
        return rc;
    }
    snprintf(version_out, CPE_VERSION_MAX, "%s", ver);
    return 0;
}

static int read_pointer(const char *path, char *out, size_t cap, double *split)
{
    FILE *f = fopen(path, "r");
    if (!f) return CPE_ENOTFOUND;
    char line[256] = {0};
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got) return CPE_ENOTFOUND;
    char ver[CPE_VERSION_MAX + 8] = {0};
    double s = NAN;
    /* NOLINTNEXTLINE(cert-err34-c): a split that is not a number leaves n == 1 (NaN) */
    int n = sscanf(line, "%55s %lf", ver, &s);
    if (n < 1 || !valid_name(ver)) return CPE_ENOTFOUND;
    snprintf(out, cap, "%s", ver);
    if (split) *split = n == 2 ? s : NAN;
    return 0;
}

int cpe_registry_champion(const cpe_registry_t *r, const char *symbol,
                          char version[CPE_VERSION_MAX])
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s/champion", r->root, symbol);
    return read_pointer(p, version, CPE_VERSION_MAX, NULL);
}

int cpe_registry_challenger(const cpe_registry_t *r, const char *symbol,
                            char version[CPE_VERSION_MAX], double *traffic_split)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s/challenger", r->root, symbol);
    return read_pointer(p, version, CPE_VERSION_MAX, traffic_split);
}

static int version_exists(const cpe_registry_t *r, const char *symbol, const char *version)
{
    char p[900];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s/%s/metadata.json", r->root, symbol, version);
    return valid_name(version) && stat(p, &st) == 0;
}

int cpe_registry_set_champion(const cpe_registry_t *r, const char *symbol, const char *version,
                              cpe_diag_t *d)
{
    if (!version_exists(r, symbol, version))
        return cpe_diag_set(d, CPE_ENOTFOUND, "%s/%s: no model version '%s'", r->root, symbol,
                            version ? version : "");
    char p[700], line[80];
    snprintf(p, sizeof p, "%s/%s/champion", r->root, symbol);
    snprintf(line, sizeof line, "%s\n", version);
    if (write_text(p, line) != 0) return cpe_diag_set(d, CPE_EIO, "%s: cannot write", p);
    return 0;
}

int cpe_registry_set_challenger(const cpe_registry_t *r, const char *symbol, const char *version,
                                double traffic_split, cpe_diag_t *d)
{
    char p[700], line[96];
    snprintf(p, sizeof p, "%s/%s/challenger", r->root, symbol);
    if (!version) {
        unlink(p);
        return 0;
    }
    if (!version_exists(r, symbol, version))
        return cpe_diag_set(d, CPE_ENOTFOUND, "%s/%s: no model version '%s'", r->root, symbol,
                            version);
    if (!(traffic_split >= 0 && traffic_split <= 1))
        return cpe_diag_set(d, CPE_ERANGE, "traffic split %g is not within [0, 1]", traffic_split);
    snprintf(line, sizeof line, "%s %.6g\n", version, traffic_split);
    if (write_text(p, line) != 0) return cpe_diag_set(d, CPE_EIO, "%s: cannot write", p);
    return 0;
}

int cpe_registry_load(const cpe_registry_t *r, const char *symbol, const char *version,
                      cpe_modelset_t *ms, char version_out[CPE_VERSION_MAX], cpe_diag_t *d)
{
    char ver[CPE_VERSION_MAX], dir[800];
    memset(ms, 0, sizeof *ms);
    if (!version) {
        if (cpe_registry_champion(r, symbol, ver) != 0)
            return cpe_diag_set(d, CPE_ENOTFOUND, "%s/%s: no champion model (run `cpe train`)",
                                r->root, symbol);
        version = ver;
    }
    if (!version_exists(r, symbol, version))
        return cpe_diag_set(d, CPE_ENOTFOUND, "%s/%s: no model version '%s'", r->root, symbol,
                            version);
    snprintf(dir, sizeof dir, "%s/%s/%s", r->root, symbol, version);
    json_t *m = NULL;
    int rc = reg_load_meta(dir, &m, d);
    if (!rc) rc = reg_fill_from_meta(ms, m, dir, d);
    json_decref(m);
    if (rc) {
        cpe_modelset_free(ms);
        return rc;
    }
    if (version_out) snprintf(version_out, CPE_VERSION_MAX, "%s", version);
    return 0;
}

static int cmp_info(const void *a, const void *b)
{
    const cpe_model_info_t *x = a, *y = b;
    int c = strcmp(x->symbol, y->symbol);
    return c ? c : strcmp(x->version, y->version);
}

static int list_symbol(const cpe_registry_t *r, const char *symbol, cpe_model_info_t **out,
                       size_t *n, size_t *cap)
{
    char dir[700], champ[CPE_VERSION_MAX] = "", chall[CPE_VERSION_MAX] = "";
    snprintf(dir, sizeof dir, "%s/%s", r->root, symbol);
    DIR *dh = opendir(dir);
    if (!dh) return 0;
    cpe_registry_champion(r, symbol, champ);
    cpe_registry_challenger(r, symbol, chall, NULL);
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(dh)) && !rc) {
        if (e->d_name[0] == '.' || !version_exists(r, symbol, e->d_name)) continue;
        char vd[1000];
        snprintf(vd, sizeof vd, "%.700s/%.250s", dir, e->d_name);
        json_t *m = NULL;
        if (reg_load_meta(vd, &m, NULL) != 0) continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            cpe_model_info_t *ni = realloc(*out, nc * sizeof *ni);
            if (!ni) {
                json_decref(m);
                rc = CPE_ENOMEM;
                break;
            }
            *out = ni;
            *cap = nc;
        }
        cpe_model_info_t *mi = &(*out)[(*n)++];
        memset(mi, 0, sizeof *mi);
        snprintf(mi->symbol, sizeof mi->symbol, "%s", symbol);
        snprintf(mi->version, sizeof mi->version, "%.47s", e->d_name);
        mi->trained_at_ms = reg_get_i64(m, "trained_at_ms");
        json_t *tw = json_object_get(m, "training_window");
        mi->train_from_ms = reg_get_i64(tw, "from_ms");
        mi->train_to_ms = reg_get_i64(tw, "to_ms");
        mi->n_features = (int)json_array_size(json_object_get(m, "features"));
        mi->champion = !strcmp(champ, e->d_name);
        mi->challenger = !strcmp(chall, e->d_name);
        json_decref(m);
    }
    closedir(dh);
    return rc;
}

int cpe_registry_list(const cpe_registry_t *r, const char *symbol, cpe_model_info_t **out,
                      size_t *n, cpe_diag_t *d)
{
    size_t cap = 0;
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (symbol) {
        rc = list_symbol(r, symbol, out, n, &cap);
    } else {
        DIR *dh = opendir(r->root);
        if (dh) {
            struct dirent *e;
            while ((e = readdir(dh)) && !rc)
                if (e->d_name[0] != '.' && valid_name(e->d_name))
                    rc = list_symbol(r, e->d_name, out, n, &cap);
            closedir(dh);
        }
    }
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return cpe_diag_set(d, rc, "%s: cannot list models", r->root);
    }
    if (*n) qsort(*out, *n, sizeof **out, cmp_info);
    return 0;
}

int cpe_registry_prune(const cpe_registry_t *r, const char *symbol, int keep, int *removed,
                       cpe_diag_t *d)
{
    if (removed) *removed = 0;
    if (keep < 1) return cpe_diag_set(d, CPE_EINVAL, "prune: keep %d versions? at least 1", keep);
    if (!valid_name(symbol)) return cpe_diag_set(d, CPE_EINVAL, "prune: bad symbol '%s'", symbol);
    cpe_model_info_t *v = NULL;
    size_t n = 0;
    int rc = cpe_registry_list(r, symbol, &v, &n, d);
    if (rc) return rc;
    /* oldest first (versions name their training time); the newest `keep`, the champion and
     * the challenger stay */
    for (size_t i = 0; i + (size_t)keep < n; i++) {
        if (v[i].champion || v[i].challenger) continue;
        char dir[600];
        snprintf(dir, sizeof dir, "%.500s/%.31s", r->root, symbol);
        registry_remove_version(dir, v[i].version);
        if (removed) (*removed)++;
    }
    free(v);
    return 0;
}

/*
 * nn.h — neural sequence models (a TCN, an LSTM and a temporal-fusion-style model) behind a
 * small C API, implemented by src/models/nn_torch.cpp (+ nn_tft.cpp), a bridge to LibTorch (Debian
 * libtorch-dev 1.13, CPU) built as a module (libcpe_nn_torch.so) that nn_dl.c opens with dlopen on
 * first use, so a cpe process that never touches a network never loads LibTorch; defaults and names
 * are in nn.c. Nothing C++ is visible here: the network is an opaque handle. A build without
 * LibTorch (the clang fuzz build) has no module: every train/predict/save/load returns
 * CPE_EUNSUPPORTED.
 *
 * Input. The model reads the feature table of modelset.h (rows on a regular grid, row-major,
 * NaN = missing). The sample at row i is the sequence of `lookback` rows
 *     i - (lookback - 1) * stride, ..., i - stride, i        (oldest first)
 * e.g. 48 steps of one hour with 5-minute rows (stride 12): two days of feature vectors.
 * Rows before the first row of the table are read as all-missing. Each column is
 * standardised with the mean and standard deviation of the fitting rows (stored in the
 * model), then missing values become 0 (the mean) and values are clipped to +-8.
 *
 * Networks (all end in the same heads, applied to the last step's hidden state):
 *   TCN   a 1x1 input projection to `hidden` channels, then `layers` residual blocks of a
 *         causal convolution (kernel 3, dilation 1, 2, 4, ...: left-padded so step t sees
 *         only steps <= t) and ReLU;
 *   LSTM  `layers` stacked LSTM layers of `hidden` units.
 *   TFT   temporal-fusion-style (Lim et al. 2021, without static covariates or a decoder):
 *         variable selection per step (variable f embedded as x_f w_f + b_f; softmax
 *         weights over the variables from a gated residual network (GRN) of the step's
 *         inputs; the step's input is the weighted sum), an LSTM encoder (`layers` of
 *         `hidden`) with gate-add-norm, interpretable multi-head attention of the last step
 *         over the lookback (4 heads of hidden/4 with their own queries and keys and ONE
 *         shared value projection, so the mean of the heads' weights is what each step
 *         contributes), gate-add-norm, a position-wise GRN, gate-add-norm. hidden % 4 == 0.
 *         Besides the three heads it has a quantile head: per horizon the CPE_NN_NQ levels
 *         Phi(-2), Phi(-1), 0.5, Phi(1), Phi(2) (2.3 / 15.9 / 50 / 84.1 / 97.7 %) of the log
 *         return, non-crossing by construction (the median, then cumulative softplus
 *         increments up and down).
 *   heads per horizon k: a direction logit, the expected log return (magnitude) and the
 *         log variance of the log return (volatility), all from one linear layer.
 * Loss (per present label y of horizon k, scaled by s_k = the fitting labels' sd):
 *   BCE(logit, y > 0) + (move - y/s_k)^2 / 2 + (logvar + (y/s_k)^2 exp(-logvar)) / 2
 * averaged over the present labels: the last term is the Gaussian negative log-likelihood,
 * so exp(logvar) s_k^2 is a variance forecast. Multi-horizon: one network for every horizon.
 * The TFT adds 2 x the mean pinball loss of its 5 quantiles (scaled units; twice the mean
 * pinball loss approximates the CRPS), so early stopping watches the quantiles too.
 *
 * Training (cpe_nn_train). Adam (lr, weight decay), minibatches in an order drawn from the
 * seed, one pass over the fitting rows per epoch; after each epoch the loss on the
 * validation rows is computed and the weights of the best epoch are kept; training stops
 * after `patience` epochs without improvement or at max_epochs. The caller picks the fitting
 * and validation rows (time-ordered, with the purge gap between them, as for the trees).
 *
 * Determinism. Same data, parameters, seed and thread count -> the same weights, bit for
 * bit (tested): torch::manual_seed(seed) before the weights are drawn, a seeded shuffle,
 * at::set_num_threads(threads), one inter-op thread, no dropout. LibTorch's generator and
 * thread count are process-global: two trainings must not run at once in one process.
 *
 * Persistence. cpe_nn_save writes one file (a LibTorch archive: the weights, the
 * standardisation, the label scales and the shape) in the registry version directory,
 * named nn_<arch>.pt beside the XGBoost files; cpe_nn_load rebuilds the network from it.
 * A loaded model predicts bit-identically to the saved one (tested).
 *
 * Ownership: the caller owns the struct; cpe_nn_free releases the network (no-op on a zeroed
 * or freed struct). Threads: predictions on a trained or loaded model are read-only, but use
 * LibTorch's global thread pool; training, loading and freeing must not overlap other calls
 * on the same model.
 */
#ifndef CPE_NN_H
#define CPE_NN_H

#include "cpe/error.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_NN_MAX_H 4
#define CPE_NN_NQ 5 /* quantile levels: Phi(l - 2) for l = 0..4 */

typedef enum cpe_nn_arch {
    CPE_NN_TCN = 0,
    CPE_NN_LSTM = 1,
    CPE_NN_TFT = 2,
    CPE_NN_NARCH
} cpe_nn_arch_t;

typedef struct cpe_nn_params {
    cpe_nn_arch_t arch;
    int n_h;                      /* horizons (the modelset's) */
    int horizons_h[CPE_NN_MAX_H]; /* for the file; the labels come from the caller */
    int lookback;                 /* steps per sequence (48) */
    int stride;                   /* rows between steps (12: hourly on 5-minute rows) */
    int hidden;                   /* channels / units (24) */
    int layers;                   /* TCN blocks (4) / LSTM layers (1, also the TFT's) */
    int max_epochs;               /* 30 */
    int patience;                 /* 4 */
    int batch;                    /* 128 */
    double lr;                    /* 1e-3 */
    double weight_decay;          /* 1e-4 */
    int threads;                  /* 1 */
    uint64_t seed;                /* 42 */
} cpe_nn_params_t;

typedef struct cpe_nn {
    void *impl; /* the LibTorch network; NULL when empty */
    cpe_nn_params_t p;
    size_t ncol;
    int epochs, best_epoch;  /* epochs run, the epoch whose weights were kept (1-based) */
    double first_valid_loss; /* validation loss after epoch 1 */
    double best_valid_loss;  /* at best_epoch */
    double first_train_loss, last_train_loss; /* mean fitting loss of epoch 1 / the last */
    size_t n_fit, n_valid;
} cpe_nn_t;

/* Defaults above for arch; horizons are left for the caller (n_h = 0). */
void cpe_nn_params_default(cpe_nn_params_t *p, cpe_nn_arch_t arch);

/* "tcn", "lstm", "tft"; NULL for an unknown value. */
const char *cpe_nn_arch_name(cpe_nn_arch_t a);
/* A comma-separated list ("tcn,lstm,tft") into a bit mask (1 << arch). CPE_EINVAL naming the
 * unknown member. */
int cpe_nn_parse_list(const char *list, unsigned *mask, cpe_diag_t *d);

/* Train on the table X[nrow * ncol]; fit[nfit] and valid[nvalid] are row indices (samples
 * end there); y[nrow * n_h] the labels (log returns, NaN = unknown: not scored). m must be
 * zeroed or freed. CPE_EINVAL for bad parameters, CPE_EDATA with under 32 fitting or 8
 * validation rows, CPE_EMODEL with LibTorch's message. */
int cpe_nn_train(cpe_nn_t *m, const cpe_nn_params_t *p, const double *X, size_t nrow, size_t ncol,
                 const size_t *fit, size_t nfit, const size_t *valid, size_t nvalid,
                 const double *y, cpe_diag_t *d);

/* The samples ending at rows[n] of X[nrow * ncol]: per horizon k, p_up[k * n + j] (sigmoid
 * of the logit), move[k * n + j] (log return) and var[k * n + j] (its variance). Any output
 * may be NULL. */
int cpe_nn_predict(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol, const size_t *rows,
                   size_t n, double *p_up, double *move, double *var, cpe_diag_t *d);

/* cpe_nn_predict plus the CPE_NN_NQ quantiles of the log return, from one pass of the
 * network: q[(k * n + j) * CPE_NN_NQ + l] for horizon k, sample j, level
 * cpe_nn_quantile_level(l), non-decreasing in l. The TFT's quantile head; for the TCN and
 * the LSTM the quantiles of their Gaussian N(move, var) (move + (l - 2) sd), so a stacker
 * can combine every member. Any output may be NULL. */
int cpe_nn_predict_dist(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol,
                        const size_t *rows, size_t n, double *p_up, double *move, double *var,
                        double *q, cpe_diag_t *d);

/* The TFT's interpretation of the samples ending at rows[n] (for /explain):
 * attn[j * lookback + s], the attention the last step pays to step s (oldest first, as the
 * input; mean over the heads; sums to 1 over s), and vsel[j * ncol + c], column c's
 * variable-selection weight averaged over the lookback steps (sums to 1 over c). Either may
 * be NULL. CPE_EUNSUPPORTED naming the model for a TCN or an LSTM. */
int cpe_nn_attention(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol,
                     const size_t *rows, size_t n, double *attn, double *vsel, cpe_diag_t *d);

/* Level l of the quantile outputs: Phi(l - 2) (0.02275, 0.15866, 0.5, 0.84134, 0.97725);
 * NaN outside 0..CPE_NN_NQ-1. */
double cpe_nn_quantile_level(int l);
/* Mean pinball loss of the CPE_NN_NQ quantiles q[] at the outcome y. */
double cpe_nn_pinball(const double *q, double y);
/* CRPS of the distribution the quantiles describe: its quantile function is linear in
 * z = Phi^-1(level) between the levels (z = -2..2) and extrapolated linearly beyond, so a
 * Gaussian's quantiles give that Gaussian's CRPS; integrated numerically over z
 * (CRPS = 2 int pinball_tau dtau). */
double cpe_nn_crps_quantiles(const double *q, double y);

int cpe_nn_save(const cpe_nn_t *m, const char *path, cpe_diag_t *d);
/* Load a file written by cpe_nn_save; ncol must match the file (CPE_EMODEL otherwise). */
int cpe_nn_load(cpe_nn_t *m, const char *path, size_t ncol, cpe_diag_t *d);

void cpe_nn_free(cpe_nn_t *m);

#endif

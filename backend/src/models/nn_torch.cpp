// nn_torch.cpp — the LibTorch bridge behind cpe/nn.h: the only C++ translation unit of the
// backend. Every extern "C" entry point catches C++ exceptions and returns a CPE_E* code.
// Built as the module libcpe_nn_torch.so, opened by nn_dl.c on first use: its entry points
// carry their own names (cpe_nnmod_*) so they never bind to the forwarding ones in cpe.
#define cpe_nn_train cpe_nnmod_train
#define cpe_nn_predict cpe_nnmod_predict
#define cpe_nn_save cpe_nnmod_save
#define cpe_nn_load cpe_nnmod_load
#define cpe_nn_free cpe_nnmod_free
#define cpe_nn_predict_dist cpe_nnmod_predict_dist
#define cpe_nn_attention cpe_nnmod_attention
extern "C" {
#include "cpe/nn.h"
}

#include "nn_tft_int.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <random>
#include <vector>

namespace
{

constexpr double kClip = 8.0;

struct NetImpl : torch::nn::Module {
    int64_t arch, ncol, n_h, hidden, layers;
    torch::nn::Conv1d proj{nullptr};
    torch::nn::ModuleList convs;
    torch::nn::LSTM lstm{nullptr};
    Tft tft{nullptr};
    torch::nn::Linear head{nullptr}, qhead{nullptr};
    torch::Tensor mean, sd, yscale;

    NetImpl(int64_t a, int64_t nc, int64_t nh, int64_t hid, int64_t nl)
        : arch(a), ncol(nc), n_h(nh), hidden(hid), layers(nl)
    {
        if (arch == CPE_NN_TCN) {
            proj = register_module("proj", torch::nn::Conv1d(torch::nn::Conv1dOptions(nc, hid, 1)));
            for (int64_t l = 0; l < nl; l++)
                convs->push_back(torch::nn::Conv1d(
                    torch::nn::Conv1dOptions(hid, hid, 3).dilation(int64_t(1) << l)));
            register_module("convs", convs);
        } else if (arch == CPE_NN_LSTM) {
            lstm = register_module(
                "lstm",
                torch::nn::LSTM(torch::nn::LSTMOptions(nc, hid).num_layers(nl).batch_first(true)));
        } else {
            tft = register_module("tft", Tft(nc, hid, nl));
        }
        head = register_module("head", torch::nn::Linear(hid, 3 * nh));
        if (arch == CPE_NN_TFT) {
            qhead = register_module("qhead", torch::nn::Linear(hid, CPE_NN_NQ * nh));
            // start near N(0, 1) in scaled units: increments softplus(0.5413) = 1
            torch::NoGradGuard ng;
            auto b = qhead->bias.view({nh, CPE_NN_NQ});
            b.fill_(0.5413);
            b.select(1, 2).zero_();
        }
        mean = register_buffer("mean", torch::zeros({nc}, torch::kFloat64));
        sd = register_buffer("sd", torch::ones({nc}, torch::kFloat64));
        yscale = register_buffer("yscale", torch::ones({nh}, torch::kFloat64));
    }

    // x [B, L, F] -> [B, 3 * n_h]: logits, moves, log variances (each n_h wide); the TFT
    // appends its quantiles [n_h * CPE_NN_NQ] (scaled units) and can report its weights.
    torch::Tensor forward(const torch::Tensor &x, torch::Tensor *sel = nullptr,
                          torch::Tensor *attn = nullptr)
    {
        torch::Tensor h;
        if (arch == CPE_NN_TFT) {
            h = tft->forward(x, sel, attn);
            return torch::cat({head->forward(h), tft_quantiles(qhead->forward(h), n_h)}, 1);
        }
        if (arch == CPE_NN_TCN) {
            h = proj->forward(x.permute({0, 2, 1}));
            int64_t l = 0;
            for (auto &m : *convs) {
                int64_t dil = int64_t(1) << l++;
                auto r = m->as<torch::nn::Conv1d>()->forward(torch::nn::functional::pad(
                    h, torch::nn::functional::PadFuncOptions({2 * dil, 0})));
                h = h + torch::relu(r);
            }
            h = h.select(2, h.size(2) - 1);
        } else {
            auto out = std::get<0>(lstm->forward(x));
            h = out.select(1, out.size(1) - 1);
        }
        return head->forward(h);
    }
};
TORCH_MODULE(Net);

int fail(cpe_diag_t *d, int code, const char *what, const std::exception &e)
{
    return cpe_diag_set(d, code, "%s: %s", what, e.what());
}

void set_threads(int threads)
{
    static bool interop_set = false;
    if (!interop_set) {
        interop_set = true;
        try {
            at::set_num_interop_threads(1);
        } catch (const std::exception &) {
            // already fixed by an earlier parallel call; predictions do not use it
        }
    }
    at::set_num_threads(threads > 0 ? threads : 1);
}

// The samples ending at rows[0..n), standardised: float [n, L, F]. Steps before the first
// row are all-missing (zeros); only the rows read are standardised.
torch::Tensor windows(const Net &net, const double *X, size_t ncol, const size_t *rows, size_t n,
                      int L, int stride)
{
    auto w = torch::zeros({int64_t(n), L, int64_t(ncol)}, torch::kFloat32);
    float *wp = w.data_ptr<float>();
    const double *mu = net->mean.data_ptr<double>(), *sd = net->sd.data_ptr<double>();
    for (size_t j = 0; j < n; j++)
        for (int s = 0; s < L; s++) {
            int64_t r = int64_t(rows[j]) - int64_t(L - 1 - s) * stride;
            if (r < 0) continue;
            const double *x = X + size_t(r) * ncol;
            float *o = wp + (j * size_t(L) + size_t(s)) * ncol;
            for (size_t c = 0; c < ncol; c++) {
                double v = std::isnan(x[c]) ? 0.0 : (x[c] - mu[c]) / sd[c];
                o[c] = float(std::max(-kClip, std::min(kClip, v)));
            }
        }
    return w;
}

// Labels of the samples, scaled, [n, n_h] with a presence mask.
void labels(const double *y, const size_t *rows, size_t n, int nh, const double *ys,
            torch::Tensor &yt, torch::Tensor &mask)
{
    yt = torch::zeros({int64_t(n), nh}, torch::kFloat32);
    mask = torch::zeros({int64_t(n), nh}, torch::kFloat32);
    float *yp = yt.data_ptr<float>(), *mp = mask.data_ptr<float>();
    for (size_t j = 0; j < n; j++)
        for (int k = 0; k < nh; k++) {
            double v = y[rows[j] * size_t(nh) + size_t(k)];
            if (std::isnan(v)) continue;
            yp[j * size_t(nh) + size_t(k)] = float(v / ys[k]);
            mp[j * size_t(nh) + size_t(k)] = 1.0f;
        }
}

// Mean loss over the present labels (see nn.h) and their count.
torch::Tensor loss_of(const torch::Tensor &out, const torch::Tensor &yt, const torch::Tensor &mask,
                      int64_t nh)
{
    auto logit = out.narrow(1, 0, nh), move = out.narrow(1, nh, nh);
    auto lv = out.narrow(1, 2 * nh, nh).clamp(-12.0, 12.0);
    auto up = (yt > 0).to(torch::kFloat32);
    auto bce = torch::binary_cross_entropy_with_logits(logit, up, {}, {}, at::Reduction::None);
    auto l = bce + 0.5 * (move - yt).pow(2) + 0.5 * (lv + yt.pow(2) * torch::exp(-lv));
    auto tot = (l * mask).sum() / mask.sum().clamp_min(1.0);
    if (out.size(1) > 3 * nh)
        tot = tot + 2.0 * tft_pinball(out.narrow(1, 3 * nh, CPE_NN_NQ * nh), yt, mask, nh);
    return tot;
}

double eval_loss(Net &net, const double *X, size_t ncol, const size_t *rows, size_t n,
                 const double *y, const cpe_nn_params_t *p)
{
    torch::NoGradGuard ng;
    double tot = 0, cnt = 0;
    const double *ys = net->yscale.data_ptr<double>();
    for (size_t b = 0; b < n; b += size_t(p->batch)) {
        size_t nb = std::min(size_t(p->batch), n - b);
        torch::Tensor yt, mask;
        labels(y, rows + b, nb, p->n_h, ys, yt, mask);
        double m = mask.sum().item<double>();
        if (m == 0) continue;
        auto out = net->forward(windows(net, X, ncol, rows + b, nb, p->lookback, p->stride));
        tot += loss_of(out, yt, mask, p->n_h).item<double>() * m;
        cnt += m;
    }
    return cnt > 0 ? tot / cnt : NAN;
}

// Standardisation and label scales from the fitting rows.
void fit_scales(Net &net, const double *X, size_t ncol, const size_t *fit, size_t nfit,
                const double *y, int nh)
{
    double *mu = net->mean.data_ptr<double>(), *sd = net->sd.data_ptr<double>();
    for (size_t j = 0; j < ncol; j++) {
        double s = 0, s2 = 0, c = 0;
        for (size_t i = 0; i < nfit; i++) {
            double v = X[fit[i] * ncol + j];
            if (std::isnan(v)) continue;
            s += v, s2 += v * v, c += 1;
        }
        double m = c > 0 ? s / c : 0, var = c > 1 ? (s2 - c * m * m) / (c - 1) : 0;
        mu[j] = m;
        sd[j] = var > 1e-24 ? std::sqrt(var) : 1.0;
    }
    double *ys = net->yscale.data_ptr<double>();
    for (int k = 0; k < nh; k++) {
        double s2 = 0, c = 0;
        for (size_t i = 0; i < nfit; i++) {
            double v = y[fit[i] * size_t(nh) + size_t(k)];
            if (!std::isnan(v)) s2 += v * v, c += 1;
        }
        ys[k] = c > 0 && s2 > 0 ? std::sqrt(s2 / c) : 1.0;
    }
}

std::vector<torch::Tensor> snapshot(Net &net)
{
    std::vector<torch::Tensor> w;
    for (auto &t : net->parameters())
        w.push_back(t.detach().clone());
    return w;
}

void restore(Net &net, const std::vector<torch::Tensor> &w)
{
    torch::NoGradGuard ng;
    auto ps = net->parameters();
    for (size_t i = 0; i < ps.size(); i++)
        ps[i].copy_(w[i]);
}

// The shape a file must have (a loaded model's training parameters are 0).
int check_shape(const cpe_nn_params_t *p, cpe_diag_t *d)
{
    if (!p || p->arch < 0 || p->arch >= CPE_NN_NARCH || p->n_h < 1 || p->n_h > CPE_NN_MAX_H ||
        p->lookback < 1 || p->stride < 1 || p->hidden < 1 || p->layers < 1 || p->layers > 8 ||
        (p->arch == CPE_NN_TFT && p->hidden % kTftHeads != 0))
        return cpe_diag_set(d, CPE_EINVAL,
                            "neural: shape out of range (arch, n_h 1..%d, lookback, stride, "
                            "hidden (a multiple of %d for tft), layers 1..8)",
                            CPE_NN_MAX_H, int(kTftHeads));
    return 0;
}

int check_params(const cpe_nn_params_t *p, cpe_diag_t *d)
{
    int rc = check_shape(p, d);
    if (rc) return rc;
    if (p->max_epochs < 1 || p->patience < 1 || p->batch < 1 || !(p->lr > 0) ||
        !(p->weight_decay >= 0))
        return cpe_diag_set(d, CPE_EINVAL,
                            "neural: max_epochs, patience and batch must be >= 1, lr > 0, "
                            "weight_decay >= 0");
    return 0;
}

// A model to predict with, its column count, rows inside the table.
int check_input(const cpe_nn_t *m, size_t nrow, size_t ncol, const size_t *rows, size_t n,
                cpe_diag_t *d)
{
    if (!m || !m->impl) return cpe_diag_set(d, CPE_EINVAL, "neural: no model");
    if (ncol != m->ncol)
        return cpe_diag_set(d, CPE_EINVAL, "neural: %zu feature columns, the model has %zu", ncol,
                            m->ncol);
    for (size_t j = 0; j < n; j++)
        if (rows[j] >= nrow)
            return cpe_diag_set(d, CPE_EINVAL, "neural: row %zu >= %zu", rows[j], nrow);
    return 0;
}

// The network's outputs for the samples ending at rows[n]: float64 [n, width], in batches.
torch::Tensor outputs(const cpe_nn_t *m, const double *X, size_t ncol, const size_t *rows, size_t n)
{
    Net &net = *static_cast<Net *>(m->impl);
    torch::NoGradGuard ng;
    std::vector<torch::Tensor> parts;
    const size_t bs = 1024;
    for (size_t b = 0; b < n; b += bs)
        parts.push_back(net->forward(
            windows(net, X, ncol, rows + b, std::min(bs, n - b), m->p.lookback, m->p.stride)));
    if (parts.empty()) return torch::zeros({0, 0}, torch::kFloat64);
    return torch::cat(parts, 0).to(torch::kFloat64).contiguous();
}

// The outputs of cpe_nn_predict_dist (p_up, move, var, q) from one pass of the network; any
// may be NULL.
int predict_all(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol, const size_t *rows,
                size_t n, double *p_up, double *move, double *var, double *q, cpe_diag_t *d)
{
    int rc = check_input(m, nrow, ncol, rows, n, d);
    if (rc) return rc;
    try {
        Net &net = *static_cast<Net *>(m->impl);
        const int64_t nh = m->p.n_h;
        const double *ys = net->yscale.data_ptr<double>();
        auto out = outputs(m, X, ncol, rows, n);
        const double *o = out.data_ptr<double>();
        const size_t width = size_t(out.size(1));
        for (size_t j = 0; j < n; j++)
            for (int64_t k = 0; k < nh; k++) {
                const double *r = o + j * width;
                size_t at = size_t(k) * n + j;
                double lv = std::max(-12.0, std::min(12.0, r[2 * nh + k]));
                if (p_up) p_up[at] = 1.0 / (1.0 + std::exp(-r[k]));
                if (move) move[at] = r[nh + k] * ys[k];
                if (var) var[at] = std::exp(lv) * ys[k] * ys[k];
                for (int l = 0; q && l < CPE_NN_NQ; l++) // the TFT's head, else the Gaussian's
                    q[at * CPE_NN_NQ + size_t(l)] =
                        ys[k] * (m->p.arch == CPE_NN_TFT
                                     ? r[3 * nh + k * CPE_NN_NQ + l]
                                     : r[nh + k] + (l - 2) * std::exp(0.5 * lv));
            }
    } catch (const std::exception &e) {
        return fail(d, CPE_EMODEL, "neural prediction", e);
    }
    return 0;
}

// One epoch over the fitting rows in a seeded order; returns the mean fitting loss.
double epoch(Net &net, torch::optim::Adam &opt, const double *X, size_t ncol,
             std::vector<size_t> &order, std::mt19937_64 &rng, const double *y,
             const cpe_nn_params_t *p)
{
    std::shuffle(order.begin(), order.end(), rng);
    const double *ys = net->yscale.data_ptr<double>();
    double tot = 0, nb_seen = 0;
    for (size_t b = 0; b < order.size(); b += size_t(p->batch)) {
        size_t nb = std::min(size_t(p->batch), order.size() - b);
        torch::Tensor yt, mask;
        labels(y, order.data() + b, nb, p->n_h, ys, yt, mask);
        if (mask.sum().item<double>() == 0) continue;
        opt.zero_grad();
        auto out =
            net->forward(windows(net, X, ncol, order.data() + b, nb, p->lookback, p->stride));
        auto l = loss_of(out, yt, mask, p->n_h);
        l.backward();
        torch::nn::utils::clip_grad_norm_(net->parameters(), 5.0);
        opt.step();
        tot += l.item<double>();
        nb_seen += 1;
    }
    return nb_seen > 0 ? tot / nb_seen : NAN;
}

} // namespace

extern "C" {

int cpe_nn_train(cpe_nn_t *m, const cpe_nn_params_t *p, const double *X, size_t nrow, size_t ncol,
                 const size_t *fit, size_t nfit, const size_t *valid, size_t nvalid,
                 const double *y, cpe_diag_t *d)
{
    std::memset(m, 0, sizeof *m);
    int rc = check_params(p, d);
    if (rc) return rc;
    if (nfit < 32 || nvalid < 8)
        return cpe_diag_set(d, CPE_EDATA,
                            "neural %s: %zu fitting and %zu validation rows (need 32 "
                            "and 8)",
                            cpe_nn_arch_name(p->arch), nfit, nvalid);
    for (size_t i = 0; i < nfit; i++)
        if (fit[i] >= nrow)
            return cpe_diag_set(d, CPE_EINVAL, "neural: fitting row %zu >= %zu", fit[i], nrow);
    for (size_t i = 0; i < nvalid; i++)
        if (valid[i] >= nrow)
            return cpe_diag_set(d, CPE_EINVAL, "neural: validation row %zu >= %zu", valid[i], nrow);
    try {
        set_threads(p->threads);
        torch::manual_seed(p->seed);
        Net net(int64_t(p->arch), int64_t(ncol), p->n_h, p->hidden, p->layers);
        fit_scales(net, X, ncol, fit, nfit, y, p->n_h);
        torch::optim::Adam opt(net->parameters(),
                               torch::optim::AdamOptions(p->lr).weight_decay(p->weight_decay));
        std::mt19937_64 rng(p->seed);
        std::vector<size_t> order(fit, fit + nfit);
        std::vector<torch::Tensor> best;
        m->p = *p;
        m->ncol = ncol;
        m->n_fit = nfit;
        m->n_valid = nvalid;
        m->best_valid_loss = INFINITY;
        int since = 0;
        for (int e = 1; e <= p->max_epochs && since < p->patience; e++) {
            double tl = epoch(net, opt, X, ncol, order, rng, y, p);
            double vl = eval_loss(net, X, ncol, valid, nvalid, y, p);
            if (e == 1) m->first_train_loss = tl, m->first_valid_loss = vl;
            m->last_train_loss = tl;
            m->epochs = e;
            if (vl < m->best_valid_loss) {
                m->best_valid_loss = vl, m->best_epoch = e, since = 0;
                best = snapshot(net);
            } else {
                since++;
            }
        }
        if (best.empty())
            return cpe_diag_set(d, CPE_EMODEL, "neural: validation loss is not finite");
        restore(net, best);
        net->eval();
        m->impl = new Net(net);
    } catch (const std::exception &e) {
        return fail(d, CPE_EMODEL, "neural training", e);
    }
    return 0;
}

int cpe_nn_predict(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol, const size_t *rows,
                   size_t n, double *p_up, double *move, double *var, cpe_diag_t *d)
{
    return predict_all(m, X, nrow, ncol, rows, n, p_up, move, var, nullptr, d);
}

int cpe_nn_predict_dist(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol,
                        const size_t *rows, size_t n, double *p_up, double *move, double *var,
                        double *q, cpe_diag_t *d)
{
    return predict_all(m, X, nrow, ncol, rows, n, p_up, move, var, q, d);
}

int cpe_nn_attention(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol,
                     const size_t *rows, size_t n, double *attn, double *vsel, cpe_diag_t *d)
{
    int rc = check_input(m, nrow, ncol, rows, n, d);
    if (rc) return rc;
    if (m->p.arch != CPE_NN_TFT)
        return cpe_diag_set(d, CPE_EUNSUPPORTED,
                            "neural %s: no attention weights (only tft has them)",
                            cpe_nn_arch_name(m->p.arch));
    try {
        Net &net = *static_cast<Net *>(m->impl);
        torch::NoGradGuard ng;
        const size_t L = size_t(m->p.lookback), bs = 1024;
        for (size_t b = 0; b < n; b += bs) {
            size_t nb = std::min(bs, n - b);
            torch::Tensor sel, att;
            net->forward(windows(net, X, ncol, rows + b, nb, m->p.lookback, m->p.stride), &sel,
                         &att);
            auto a = att.to(torch::kFloat64).contiguous();
            auto v = sel.mean(1).to(torch::kFloat64).contiguous();
            if (attn) std::memcpy(attn + b * L, a.data_ptr<double>(), nb * L * sizeof *attn);
            if (vsel) std::memcpy(vsel + b * ncol, v.data_ptr<double>(), nb * ncol * sizeof *vsel);
        }
    } catch (const std::exception &e) {
        return fail(d, CPE_EMODEL, "neural attention", e);
    }
    return 0;
}

int cpe_nn_save(const cpe_nn_t *m, const char *path, cpe_diag_t *d)
{
    if (!m || !m->impl) return cpe_diag_set(d, CPE_EINVAL, "neural: no model to save");
    try {
        Net &net = *static_cast<Net *>(m->impl);
        torch::serialize::OutputArchive ar;
        net->save(ar);
        std::vector<int64_t> cfg = {m->p.arch,   int64_t(m->ncol), m->p.n_h,    m->p.lookback,
                                    m->p.stride, m->p.hidden,      m->p.layers, m->best_epoch};
        for (int k = 0; k < CPE_NN_MAX_H; k++)
            cfg.push_back(m->p.horizons_h[k]);
        ar.write("cpe_cfg", torch::tensor(cfg, torch::kInt64));
        ar.save_to(path);
    } catch (const std::exception &e) {
        return fail(d, CPE_EIO, path, e);
    }
    return 0;
}

int cpe_nn_load(cpe_nn_t *m, const char *path, size_t ncol, cpe_diag_t *d)
{
    std::memset(m, 0, sizeof *m);
    try {
        torch::serialize::InputArchive ar;
        ar.load_from(path);
        torch::Tensor cfg;
        ar.read("cpe_cfg", cfg);
        if (cfg.numel() != 8 + CPE_NN_MAX_H)
            return cpe_diag_set(d, CPE_EMODEL, "%s: not a cpe neural model file", path);
        auto c = cfg.accessor<int64_t, 1>();
        m->p.arch = c[0] >= 0 && c[0] < CPE_NN_NARCH ? cpe_nn_arch_t(c[0]) : CPE_NN_NARCH;
        m->p.n_h = int(c[2]), m->p.lookback = int(c[3]), m->p.stride = int(c[4]);
        m->p.hidden = int(c[5]), m->p.layers = int(c[6]), m->best_epoch = int(c[7]);
        for (int k = 0; k < CPE_NN_MAX_H; k++)
            m->p.horizons_h[k] = int(c[8 + k]);
        if (size_t(c[1]) != ncol)
            return cpe_diag_set(d, CPE_EMODEL, "%s: the model has %lld feature columns, not %zu",
                                path, (long long)c[1], ncol);
        if (check_shape(&m->p, d)) return cpe_diag_prefix(d, "%s: ", path), CPE_EMODEL;
        Net net(c[0], c[1], m->p.n_h, m->p.hidden, m->p.layers);
        net->load(ar);
        net->eval();
        m->ncol = ncol;
        m->impl = new Net(net);
    } catch (const std::exception &e) {
        return fail(d, CPE_EMODEL, path, e);
    }
    return 0;
}

void cpe_nn_free(cpe_nn_t *m)
{
    if (!m) return;
    delete static_cast<Net *>(m->impl);
    m->impl = nullptr;
}

} // extern "C"

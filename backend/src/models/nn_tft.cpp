// nn_tft.cpp — the temporal-fusion-style network of cpe/nn.h (CPE_NN_TFT), part of the
// LibTorch module: variable selection, an LSTM encoder, interpretable multi-head attention
// and the non-crossing quantile head. nn_torch.cpp trains, saves and serves it like the
// TCN and the LSTM.
extern "C" {
#include "cpe/nn.h"
}

#include "nn_tft_int.h"

#include <cmath>
#include <vector>

namespace F = torch::nn::functional;

GrnImpl::GrnImpl(int64_t in, int64_t hid, int64_t out)
{
    fc2 = register_module("fc2", torch::nn::Linear(in, hid));
    fc1 = register_module("fc1", torch::nn::Linear(hid, hid));
    glu = register_module("glu", torch::nn::Linear(hid, 2 * out));
    if (in != out) skip = register_module("skip", torch::nn::Linear(in, out));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({out})));
}

torch::Tensor GrnImpl::forward(const torch::Tensor &a)
{
    auto eta = fc1->forward(torch::elu(fc2->forward(a)));
    auto g = F::glu(glu->forward(eta), F::GLUFuncOptions(-1));
    return norm->forward((skip ? skip->forward(a) : a) + g);
}

GanImpl::GanImpl(int64_t d)
{
    glu = register_module("glu", torch::nn::Linear(d, 2 * d));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
}

torch::Tensor GanImpl::forward(const torch::Tensor &x, const torch::Tensor &residual)
{
    return norm->forward(residual + F::glu(glu->forward(x), F::GLUFuncOptions(-1)));
}

TftImpl::TftImpl(int64_t ncol, int64_t hid, int64_t layers) : hidden(hid)
{
    emb_w = register_parameter("emb_w", torch::randn({ncol, hid}) * 0.5);
    emb_b = register_parameter("emb_b", torch::zeros({ncol, hid}));
    select = register_module("select", Grn(ncol, hid, ncol));
    lstm = register_module(
        "lstm",
        torch::nn::LSTM(torch::nn::LSTMOptions(hid, hid).num_layers(layers).batch_first(true)));
    after_lstm = register_module("after_lstm", Gan(hid));
    const int64_t dh = hid / kTftHeads;
    q = register_module("q", torch::nn::Linear(hid, hid)); // kTftHeads queries of dh
    k = register_module("k", torch::nn::Linear(hid, hid)); // kTftHeads keys of dh
    v = register_module("v", torch::nn::Linear(hid, dh));  // one value, shared by the heads
    o = register_module("o", torch::nn::Linear(dh, hid));
    after_attn = register_module("after_attn", Gan(hid));
    ff = register_module("ff", Grn(hid, hid, hid));
    out_gate = register_module("out_gate", Gan(hid));
}

torch::Tensor TftImpl::forward(const torch::Tensor &x, torch::Tensor *sel, torch::Tensor *attn)
{
    const int64_t B = x.size(0), L = x.size(1), dh = hidden / kTftHeads;
    // Variable selection: the embedding of variable f at a step is x_f emb_w[f] + emb_b[f];
    // the weights are a softmax over the variables of a GRN of the step's inputs (the
    // embeddings are linear in x, so the GRN of x sees the same information as the paper's
    // GRN of the flattened embeddings), and the step's input is the weighted sum.
    auto w = torch::softmax(select->forward(x), -1);
    auto xi = torch::matmul(w * x, emb_w) + torch::matmul(w, emb_b); // [B, L, hidden]
    auto enc = std::get<0>(lstm->forward(xi));
    auto phi = after_lstm->forward(enc, xi); // [B, L, hidden]
    auto last = phi.select(1, L - 1);        // [B, hidden]
    // Interpretable multi-head attention of the last step over all steps (it sees only the
    // past by construction): per-head queries and keys, one value projection shared by the
    // heads, so the mean of the heads' weights is the weight each step gets.
    auto qh = q->forward(last).view({B, kTftHeads, dh});
    auto kh = k->forward(phi).view({B, L, kTftHeads, dh}).permute({0, 2, 1, 3});
    auto scores = torch::matmul(kh, qh.unsqueeze(-1)).squeeze(-1) / std::sqrt(double(dh));
    auto a = torch::softmax(scores, -1).mean(1);                          // [B, L]
    auto ctx = torch::matmul(a.unsqueeze(1), v->forward(phi)).squeeze(1); // [B, dh]
    auto delta = after_attn->forward(o->forward(ctx), last);
    auto out = out_gate->forward(ff->forward(delta), last);
    if (sel) *sel = w;
    if (attn) *attn = a;
    return out;
}

torch::Tensor tft_quantiles(const torch::Tensor &raw, int64_t nh)
{
    auto r = raw.view({raw.size(0), nh, CPE_NN_NQ});
    auto med = r.select(2, 2);
    auto lo1 = med - F::softplus(r.select(2, 1));
    auto lo2 = lo1 - F::softplus(r.select(2, 0));
    auto up1 = med + F::softplus(r.select(2, 3));
    auto up2 = up1 + F::softplus(r.select(2, 4));
    return torch::stack({lo2, lo1, med, up1, up2}, 2).view({raw.size(0), nh * CPE_NN_NQ});
}

torch::Tensor tft_pinball(const torch::Tensor &q, const torch::Tensor &yt,
                          const torch::Tensor &mask, int64_t nh)
{
    std::vector<float> lv;
    for (int l = 0; l < CPE_NN_NQ; l++)
        lv.push_back(float(cpe_nn_quantile_level(l)));
    auto tau = torch::tensor(lv).view({1, 1, CPE_NN_NQ});
    auto u = yt.unsqueeze(2) - q.view({q.size(0), nh, CPE_NN_NQ});
    auto l = torch::max(tau * u, (tau - 1.0) * u).mean(2);
    return (l * mask).sum() / mask.sum().clamp_min(1.0);
}

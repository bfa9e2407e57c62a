// nn_tft_int.h — C++ only, internal to the LibTorch module (nn_torch.cpp, nn_tft.cpp): the
// temporal-fusion-style body of cpe/nn.h (CPE_NN_TFT). See nn.h for the model; this header
// only lets nn_torch.cpp hold the body as a submodule of its network.
#ifndef CPE_NN_TFT_INT_H
#define CPE_NN_TFT_INT_H

#include <torch/torch.h>

// Gated residual network (TFT paper, eq. 2-5): LayerNorm(skip(a) + GLU(W1 ELU(W2 a))), with
// skip a linear map when the widths differ, else the identity.
struct GrnImpl : torch::nn::Module {
    GrnImpl(int64_t in, int64_t hid, int64_t out);
    torch::Tensor forward(const torch::Tensor &a);
    torch::nn::Linear fc2{nullptr}, fc1{nullptr}, glu{nullptr}, skip{nullptr};
    torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(Grn);

// Gate, add and norm: LayerNorm(residual + GLU(W x)).
struct GanImpl : torch::nn::Module {
    explicit GanImpl(int64_t d);
    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &residual);
    torch::nn::Linear glu{nullptr};
    torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(Gan);

constexpr int64_t kTftHeads = 4;

struct TftImpl : torch::nn::Module {
    TftImpl(int64_t ncol, int64_t hidden, int64_t layers);
    // x [B, L, F] (standardised) -> the last step's representation [B, hidden]. With sel,
    // the variable-selection weights [B, L, F]; with attn, the last step's attention over
    // the L steps, averaged over the heads [B, L].
    torch::Tensor forward(const torch::Tensor &x, torch::Tensor *sel = nullptr,
                          torch::Tensor *attn = nullptr);

    int64_t hidden;
    torch::Tensor emb_w, emb_b; // per-variable linear embedding [F, hidden]
    Grn select{nullptr};        // F -> softmax weights over the F variables
    torch::nn::LSTM lstm{nullptr};
    Gan after_lstm{nullptr}, after_attn{nullptr}, out_gate{nullptr};
    torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
    Grn ff{nullptr};
};
TORCH_MODULE(Tft);

// Raw quantile-head outputs [B, n_h * 5] -> the 5 levels of each horizon, non-crossing by
// construction: the median, then cumulative softplus increments up and down. Layout
// [B, n_h * 5], horizon-major.
torch::Tensor tft_quantiles(const torch::Tensor &raw, int64_t nh);

// Mean pinball loss over the 5 levels and the present labels (scaled units).
torch::Tensor tft_pinball(const torch::Tensor &q, const torch::Tensor &yt,
                          const torch::Tensor &mask, int64_t nh);

#endif

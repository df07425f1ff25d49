// Layers and losses for the models users bring: embeddings, normalisation, 1-d convolution, resampling, recurrent
// layers and the losses of classification and regression. One named export per operation.
#include "exports.h"

using at::Tensor;
using aip::guard;
using aip::optional;
using aip::wrap;

AIP_EXPORT int aip_embedding(Tensor* weight, Tensor* indices, int64_t padding_idx, Tensor** out) {
  return guard([&] { *out = wrap(at::embedding(*weight, *indices, padding_idx)); });
}

AIP_EXPORT int aip_layer_norm(Tensor* input, const int64_t* shape, int ndim, Tensor* weight, Tensor* bias, double eps, Tensor** out) {
  return guard([&] { *out = wrap(at::layer_norm(*input, at::IntArrayRef(shape, ndim), optional(weight), optional(bias), eps)); });
}

AIP_EXPORT int aip_group_norm(Tensor* input, int64_t groups, Tensor* weight, Tensor* bias, double eps, Tensor** out) {
  return guard([&] { *out = wrap(at::group_norm(*input, groups, optional(weight), optional(bias), eps)); });
}

AIP_EXPORT int aip_conv1d(Tensor* input, Tensor* weight, Tensor* bias, int64_t stride, int64_t padding, int64_t dilation,
                          int64_t groups, Tensor** out) {
  return guard([&] { *out = wrap(at::conv1d(*input, *weight, optional(bias), stride, padding, dilation, groups)); });
}

AIP_EXPORT int aip_adaptive_avg_pool2d(Tensor* input, int64_t height, int64_t width, Tensor** out) {
  return guard([&] { *out = wrap(at::adaptive_avg_pool2d(*input, {height, width})); });
}

// PyTorch passes the scale factors on to the kernel when the caller gave them (they decide where source pixels sit).
AIP_EXPORT int aip_upsample_nearest2d(Tensor* input, int64_t height, int64_t width, double scale_h, double scale_w, Tensor** out) {
  return guard([&] {
    *out = wrap(at::upsample_nearest2d(*input, {height, width}, aip::optional_scale(scale_h), aip::optional_scale(scale_w)));
  });
}

AIP_EXPORT int aip_upsample_bilinear2d(Tensor* input, int64_t height, int64_t width, int align_corners, double scale_h,
                                       double scale_w, Tensor** out) {
  return guard([&] {
    *out = wrap(at::upsample_bilinear2d(*input, {height, width}, align_corners != 0, aip::optional_scale(scale_h),
                                        aip::optional_scale(scale_w)));
  });
}

// ---------------------------------------------------------------- recurrent layers
// params: for each layer and direction, weight_ih, weight_hh, bias_ih, bias_hh (PyTorch's _flat_weights order).
AIP_EXPORT int aip_lstm(Tensor* input, Tensor* h0, Tensor* c0, Tensor** params, int count, int has_biases, int64_t num_layers,
                        double dropout, int train, int bidirectional, int batch_first, Tensor** output, Tensor** hn, Tensor** cn) {
  return guard([&] {
    auto [y, h, c] = at::lstm(*input, {*h0, *c0}, aip::unwrap(params, count), has_biases != 0, num_layers, dropout, train != 0,
                              bidirectional != 0, batch_first != 0);
    *output = wrap(y);
    *hn = wrap(h);
    *cn = wrap(c);
  });
}

AIP_EXPORT int aip_gru(Tensor* input, Tensor* h0, Tensor** params, int count, int has_biases, int64_t num_layers, double dropout,
                       int train, int bidirectional, int batch_first, Tensor** output, Tensor** hn) {
  return guard([&] {
    auto [y, h] = at::gru(*input, *h0, aip::unwrap(params, count), has_biases != 0, num_layers, dropout, train != 0,
                          bidirectional != 0, batch_first != 0);
    *output = wrap(y);
    *hn = wrap(h);
  });
}

// ---------------------------------------------------------------- losses (reduction: 0 none, 1 mean, 2 sum, as at::Reduction)
AIP_EXPORT int aip_cross_entropy(Tensor* input, Tensor* target, Tensor* weight, int reduction, int64_t ignore_index,
                                 double label_smoothing, Tensor** out) {
  return guard([&] {
    *out = wrap(at::cross_entropy_loss(*input, *target, optional(weight), reduction, ignore_index, label_smoothing));
  });
}

AIP_EXPORT int aip_nll_loss(Tensor* input, Tensor* target, Tensor* weight, int reduction, int64_t ignore_index, Tensor** out) {
  return guard([&] { *out = wrap(at::nll_loss(*input, *target, optional(weight), reduction, ignore_index)); });
}

AIP_EXPORT int aip_mse_loss(Tensor* input, Tensor* target, int reduction, Tensor** out) {
  return guard([&] { *out = wrap(at::mse_loss(*input, *target, reduction)); });
}

AIP_EXPORT int aip_binary_cross_entropy_with_logits(Tensor* input, Tensor* target, Tensor* weight, Tensor* pos_weight, int reduction,
                                                    Tensor** out) {
  return guard([&] {
    *out = wrap(at::binary_cross_entropy_with_logits(*input, *target, optional(weight), optional(pos_weight), reduction));
  });
}

AIP_EXPORT int aip_binary_cross_entropy(Tensor* input, Tensor* target, Tensor* weight, int reduction, Tensor** out) {
  return guard([&] { *out = wrap(at::binary_cross_entropy(*input, *target, optional(weight), reduction)); });
}

AIP_EXPORT int aip_smooth_l1_loss(Tensor* input, Tensor* target, int reduction, double beta, Tensor** out) {
  return guard([&] { *out = wrap(at::smooth_l1_loss(*input, *target, reduction, beta)); });
}

AIP_EXPORT int aip_kl_div(Tensor* input, Tensor* target, int reduction, int log_target, Tensor** out) {
  return guard([&] { *out = wrap(at::kl_div(*input, *target, reduction, log_target != 0)); });
}

// Tensor operations beyond arithmetic: selection, indexing, scans, batched products and activations.
// One named export per operation.
#include "exports.h"

using at::Tensor;
using aip::guard;
using aip::wrap;

AIP_EXPORT int aip_where(Tensor* condition, Tensor* a, Tensor* b, Tensor** out) {
  return guard([&] { *out = wrap(at::where(*condition, *a, *b)); });
}

AIP_EXPORT int aip_masked_fill(Tensor* t, Tensor* mask, double value, Tensor** out) {
  return guard([&] { *out = wrap(t->masked_fill(*mask, value)); });
}

AIP_EXPORT int aip_gather(Tensor* t, int64_t dim, Tensor* index, Tensor** out) {
  return guard([&] { *out = wrap(at::gather(*t, dim, *index)); });
}

AIP_EXPORT int aip_scatter(Tensor* t, int64_t dim, Tensor* index, Tensor* source, Tensor** out) {
  return guard([&] { *out = wrap(at::scatter(*t, dim, *index, *source)); });
}

AIP_EXPORT int aip_scatter_add(Tensor* t, int64_t dim, Tensor* index, Tensor* source, Tensor** out) {
  return guard([&] { *out = wrap(at::scatter_add(*t, dim, *index, *source)); });
}

AIP_EXPORT int aip_topk(Tensor* t, int64_t k, int64_t dim, int largest, int sorted, Tensor** values, Tensor** indices) {
  return guard([&] {
    auto [v, i] = at::topk(*t, k, dim, largest != 0, sorted != 0);
    *values = wrap(v);
    *indices = wrap(i);
  });
}

AIP_EXPORT int aip_cumsum(Tensor* t, int64_t dim, Tensor** out) {
  return guard([&] { *out = wrap(at::cumsum(*t, dim)); });
}

AIP_EXPORT int aip_bmm(Tensor* a, Tensor* b, Tensor** out) {
  return guard([&] { *out = wrap(at::bmm(*a, *b)); });
}

AIP_EXPORT int aip_einsum(const char* equation, Tensor** tensors, int count, Tensor** out) {
  return guard([&] { *out = wrap(at::einsum(equation, aip::unwrap(tensors, count))); });
}

AIP_EXPORT int aip_transpose(Tensor* t, int64_t dim0, int64_t dim1, Tensor** out) {
  return guard([&] { *out = wrap(t->transpose(dim0, dim1)); });
}

AIP_EXPORT int aip_unsqueeze(Tensor* t, int64_t dim, Tensor** out) {
  return guard([&] { *out = wrap(t->unsqueeze(dim)); });
}

AIP_EXPORT int aip_squeeze_dim(Tensor* t, int64_t dim, Tensor** out) {
  return guard([&] { *out = wrap(t->squeeze(dim)); });
}

AIP_EXPORT int aip_expand(Tensor* t, const int64_t* shape, int ndim, Tensor** out) {
  return guard([&] { *out = wrap(t->expand(at::IntArrayRef(shape, ndim))); });
}

AIP_EXPORT int aip_logical_or(Tensor* a, Tensor* b, Tensor** out) {
  return guard([&] { *out = wrap(at::logical_or(*a, *b)); });
}

AIP_EXPORT int aip_logical_not(Tensor* t, Tensor** out) {
  return guard([&] { *out = wrap(at::logical_not(*t)); });
}

AIP_EXPORT int aip_silu(Tensor* t, Tensor** out) {
  return guard([&] { *out = wrap(at::silu(*t)); });
}

AIP_EXPORT int aip_leaky_relu(Tensor* t, double negative_slope, Tensor** out) {
  return guard([&] { *out = wrap(at::leaky_relu(*t, negative_slope)); });
}

AIP_EXPORT int aip_softplus(Tensor* t, double beta, double threshold, Tensor** out) {
  return guard([&] { *out = wrap(at::softplus(*t, beta, threshold)); });
}

// torch.nn.utils.clip_grad_norm_: one norm over every gradient, then every gradient scaled by the same clamped factor.
AIP_EXPORT int aip_clip_grad_norm(Tensor** params, int count, double max_norm, double norm_type, double* total_norm) {
  return guard([&] {
    at::NoGradGuard no_grad;
    std::vector<Tensor> grads;
    for (int i = 0; i < count; ++i)
      if (params[i]->grad().defined()) grads.push_back(params[i]->grad());
    if (grads.empty()) {
      *total_norm = 0;
      return;
    }
    Tensor total;
    if (std::isinf(norm_type)) {
      std::vector<Tensor> maxima;
      for (auto& g : grads) maxima.push_back(g.abs().max());
      total = maxima.size() == 1 ? maxima[0] : at::stack(maxima).max();
    } else {
      std::vector<Tensor> norms;
      for (auto& g : grads) norms.push_back(at::linalg_vector_norm(g, norm_type));
      total = at::linalg_vector_norm(at::stack(norms), norm_type);
    }
    auto coefficient = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
    for (auto& g : grads) g.mul_(coefficient);
    *total_norm = total.item<double>();
  });
}

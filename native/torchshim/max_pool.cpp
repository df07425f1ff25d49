// Max pooling for float32 NCHW tensors on the CPU. libtorch 1.13's own kernel for this layout is scalar and writes
// 64-bit indices, which made it about a quarter of a small CNN's training step; this one keeps 32-bit in-plane indices,
// has a branch-light path for the common 2x2/2 window, and skips indices entirely when no gradient is needed.
// Semantics follow at::max_pool2d: padding never wins, NaN propagates, the first maximum in a window gets the gradient.
#include "max_pool.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <limits>

namespace aip {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Window {
  int64_t kh, kw, sh, sw, ph, pw;
};

int64_t output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad) { return (in + 2 * pad - kernel) / stride + 1; }

inline bool better(float candidate, float best) { return candidate > best || std::isnan(candidate); }

// The 2x2/2 window over two input rows. Written without data-dependent branches (on random data every comparison is
// a coin flip, and mispredictions cost more than the memory traffic), so the compiler turns it into vector blends;
// target_clones picks the AVX2 build at load time where the CPU has it.
template <bool WithIndices>
__attribute__((target_clones("avx2", "default")))
void pool_row_2x2(const float* __restrict top, const float* __restrict bottom, int32_t top_index, int32_t w,
                  float* __restrict out, int32_t* __restrict indices, int64_t ow) {
  for (int64_t x = 0; x < ow; ++x) {
    float a = top[2 * x], b = top[2 * x + 1], c = bottom[2 * x], d = bottom[2 * x + 1];
    int32_t at = top_index + 2 * static_cast<int32_t>(x);
    float best = a;
    int32_t where = at;
    bool take = b > best || b != b;
    best = take ? b : best;
    where = take ? at + 1 : where;
    take = c > best || c != c;
    best = take ? c : best;
    where = take ? at + w : where;
    take = d > best || d != d;
    best = take ? d : best;
    where = take ? at + w + 1 : where;
    out[x] = best;
    if constexpr (WithIndices) indices[x] = where;
  }
}

// One plane: writes the maxima, and their in-plane positions when `indices` is not null.
void pool_plane(const float* in, int64_t h, int64_t w, float* out, int32_t* indices, int64_t oh, int64_t ow, const Window& win) {
  if (win.kh == 2 && win.kw == 2 && win.sh == 2 && win.sw == 2 && win.ph == 0 && win.pw == 0) {
    for (int64_t y = 0; y < oh; ++y) {
      const float* top = in + 2 * y * w;
      auto top_index = static_cast<int32_t>(2 * y * w);
      if (indices) pool_row_2x2<true>(top, top + w, top_index, static_cast<int32_t>(w), out + y * ow, indices + y * ow, ow);
      else pool_row_2x2<false>(top, top + w, top_index, static_cast<int32_t>(w), out + y * ow, nullptr, ow);
    }
    return;
  }
  for (int64_t y = 0; y < oh; ++y) {
    int64_t y0 = std::max<int64_t>(y * win.sh - win.ph, 0), y1 = std::min<int64_t>(y * win.sh - win.ph + win.kh, h);
    for (int64_t x = 0; x < ow; ++x) {
      int64_t x0 = std::max<int64_t>(x * win.sw - win.pw, 0), x1 = std::min<int64_t>(x * win.sw - win.pw + win.kw, w);
      float best = -std::numeric_limits<float>::infinity();
      int64_t where = y0 * w + x0;
      for (int64_t yy = y0; yy < y1; ++yy)
        for (int64_t xx = x0; xx < x1; ++xx)
          if (better(in[yy * w + xx], best)) { best = in[yy * w + xx]; where = yy * w + xx; }
      out[y * ow + x] = best;
      if (indices) indices[y * ow + x] = static_cast<int32_t>(where);
    }
  }
}

// Returns the pooled tensor and, when wanted, the in-plane index of every maximum.
std::pair<at::Tensor, at::Tensor> pool(const at::Tensor& input, const Window& win, bool want_indices) {
  auto x = input.contiguous();
  int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  int64_t oh = output_size(h, win.kh, win.sh, win.ph), ow = output_size(w, win.kw, win.sw, win.pw);
  auto out = at::empty({x.size(0), x.size(1), oh, ow}, x.options());
  at::Tensor indices = want_indices ? at::empty(out.sizes(), x.options().dtype(at::kInt)) : at::Tensor();
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  int32_t* idx = want_indices ? indices.data_ptr<int32_t>() : nullptr;
  at::parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, h * w)), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      pool_plane(in + p * h * w, h, w, o + p * oh * ow, idx ? idx + p * oh * ow : nullptr, oh, ow, win);
  });
  return {out, indices};
}

at::Tensor unpool_gradient(const at::Tensor& grad_output, const at::Tensor& indices, at::IntArrayRef input_sizes) {
  auto grad = grad_output.contiguous();
  auto grad_input = at::zeros(input_sizes, grad.options());
  int64_t planes = input_sizes[0] * input_sizes[1], in_plane = input_sizes[2] * input_sizes[3];
  int64_t out_plane = grad.size(2) * grad.size(3);
  const float* g = grad.data_ptr<float>();
  const int32_t* idx = indices.data_ptr<int32_t>();
  float* gi = grad_input.data_ptr<float>();
  at::parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, in_plane)), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      for (int64_t i = 0; i < out_plane; ++i) gi[p * in_plane + idx[p * out_plane + i]] += g[p * out_plane + i];
  });
  return grad_input;
}

struct MaxPool2d : public torch::autograd::Function<MaxPool2d> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input, Window win) {
    auto [out, indices] = pool(input, win, true);
    ctx->save_for_backward({indices});
    ctx->saved_data["sizes"] = input.sizes();
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto indices = ctx->get_saved_variables()[0];
    auto sizes = ctx->saved_data["sizes"].toIntVector();
    return {unpool_gradient(grad_outputs[0], indices, sizes), at::Tensor()};
  }
};

}  // namespace

bool fast_max_pool_applies(const at::Tensor& input, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding) {
  return input.device().is_cpu() && input.scalar_type() == at::kFloat && input.dim() == 4 &&
         input.suggest_memory_format() == at::MemoryFormat::Contiguous && kernel[0] > 0 && kernel[1] > 0 && stride[0] > 0 &&
         stride[1] > 0 && padding[0] >= 0 && padding[1] >= 0 && 2 * padding[0] <= kernel[0] && 2 * padding[1] <= kernel[1] &&
         input.size(2) + 2 * padding[0] >= kernel[0] && input.size(3) + 2 * padding[1] >= kernel[1] &&
         input.size(2) * input.size(3) < (int64_t{1} << 31);
}

at::Tensor max_pool2d(const at::Tensor& input, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding) {
  Window win{kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1]};
  if (at::GradMode::is_enabled() && input.requires_grad()) return MaxPool2d::apply(input, win);
  return pool(input, win, false).first;
}

}  // namespace aip

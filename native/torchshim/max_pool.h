#pragma once
#include <ATen/ATen.h>

namespace aip {
// True when max_pool2d below handles this input and window; otherwise callers use at::max_pool2d.
bool fast_max_pool_applies(const at::Tensor& input, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding);
// at::max_pool2d (dilation 1, floor mode) for float32 NCHW CPU tensors, differentiable.
at::Tensor max_pool2d(const at::Tensor& input, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding);
}  // namespace aip

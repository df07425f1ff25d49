#pragma once
// What every file of the shim's C ABI shares: the export macro, the per-thread last error and the exception guard.
// Every export catches C++ exceptions and returns non-zero; the managed side raises the kept message as an exception.
#include <ATen/ATen.h>

#include <string>
#include <vector>

#define AIP_EXPORT extern "C" __attribute__((visibility("default")))

namespace aip {

inline thread_local std::string last_error;

template <typename F>
int guard(F&& body) {
  try {
    body();
    return 0;
  } catch (const c10::Error& e) {
    last_error = e.what_without_backtrace();
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown native error";
  }
  return 1;
}

inline at::Tensor* wrap(at::Tensor t) { return new at::Tensor(std::move(t)); }

inline std::vector<at::Tensor> unwrap(at::Tensor** tensors, int count) {
  std::vector<at::Tensor> result;
  result.reserve(count);
  for (int i = 0; i < count; ++i) result.push_back(*tensors[i]);
  return result;
}

inline c10::optional<at::Tensor> optional(at::Tensor* t) { return t ? c10::optional<at::Tensor>(*t) : c10::nullopt; }

// The managed ScalarType's numbers (src/Torch/ScalarType.cs).
inline at::ScalarType scalar_type(int code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kDouble;
    case 2: return at::kLong;
    case 3: return at::kBool;
    case 4: return at::kInt;
    case 5: return at::kByte;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(code));
}

// A scale factor the managed side passes as zero or less when the caller gave an output size instead.
inline c10::optional<double> optional_scale(double scale) { return scale > 0 ? c10::optional<double>(scale) : c10::nullopt; }

}  // namespace aip

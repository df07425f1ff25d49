// Creation, initialisation, arithmetic, comparisons, elementwise functions and reductions: one named export each, written
// through the macros below so every export of a kind has the same signature and error handling.
#include "exports.h"

using at::Tensor;
using aip::guard;
using aip::wrap;

#define AIP_CREATE(name, function)                                                                                   \
  AIP_EXPORT int aip_##name(const int64_t* shape, int ndim, int dtype, Tensor** out) {                              \
    return guard([&] { *out = wrap(function(at::IntArrayRef(shape, ndim), at::TensorOptions().dtype(aip::scalar_type(dtype)))); }); \
  }
#define AIP_BINARY(name, expression) \
  AIP_EXPORT int aip_##name(Tensor* a, Tensor* b, Tensor** out) { return guard([&] { *out = wrap(expression); }); }
#define AIP_SCALAR(name, expression) \
  AIP_EXPORT int aip_##name##_scalar(Tensor* a, double b, Tensor** out) { return guard([&] { *out = wrap(expression); }); }
#define AIP_UNARY(name, expression) \
  AIP_EXPORT int aip_##name(Tensor* t, Tensor** out) { return guard([&] { *out = wrap(expression); }); }
#define AIP_ALONG(name, expression) \
  AIP_EXPORT int aip_##name(Tensor* t, int64_t dim, int keepdim, Tensor** out) { return guard([&] { *out = wrap(expression); }); }

AIP_CREATE(zeros, at::zeros)
AIP_CREATE(ones, at::ones)
AIP_CREATE(randn, at::randn)
AIP_CREATE(rand, at::rand)
AIP_CREATE(empty, at::empty)

// In-place initialisation outside autograd (parameters are leaves that require gradients).
AIP_EXPORT int aip_uniform_(Tensor* t, double low, double high) {
  return guard([&] {
    at::NoGradGuard no_grad;
    t->uniform_(low, high);
  });
}
AIP_EXPORT int aip_normal_(Tensor* t, double mean, double std) {
  return guard([&] {
    at::NoGradGuard no_grad;
    t->normal_(mean, std);
  });
}
AIP_EXPORT int aip_fill_(Tensor* t, double value) {
  return guard([&] {
    at::NoGradGuard no_grad;
    t->fill_(value);
  });
}

AIP_BINARY(add, *a + *b)
AIP_BINARY(sub, *a - *b)
AIP_BINARY(mul, *a * *b)
AIP_BINARY(div, *a / *b)
AIP_BINARY(matmul, at::matmul(*a, *b))
AIP_BINARY(eq, a->eq(*b))
AIP_BINARY(ne, a->ne(*b))
AIP_BINARY(lt, a->lt(*b))
AIP_BINARY(le, a->le(*b))
AIP_BINARY(gt, a->gt(*b))
AIP_BINARY(ge, a->ge(*b))
AIP_BINARY(pow, at::pow(*a, *b))
AIP_BINARY(maximum, at::maximum(*a, *b))
AIP_BINARY(minimum, at::minimum(*a, *b))

AIP_SCALAR(add, *a + b)
AIP_SCALAR(sub, *a - b)
AIP_SCALAR(mul, *a * b)
AIP_SCALAR(div, *a / b)
AIP_SCALAR(eq, a->eq(b))
AIP_SCALAR(ne, a->ne(b))
AIP_SCALAR(lt, a->lt(b))
AIP_SCALAR(le, a->le(b))
AIP_SCALAR(gt, a->gt(b))
AIP_SCALAR(ge, a->ge(b))
AIP_SCALAR(pow, at::pow(*a, b))

AIP_UNARY(relu, at::relu(*t))
AIP_UNARY(sigmoid, at::sigmoid(*t))
AIP_UNARY(tanh, at::tanh(*t))
AIP_UNARY(gelu, at::gelu(*t))
AIP_UNARY(neg, -*t)
AIP_UNARY(exp, at::exp(*t))
AIP_UNARY(log, at::log(*t))
AIP_UNARY(abs, at::abs(*t))
AIP_UNARY(sqrt, at::sqrt(*t))
AIP_UNARY(sum, t->sum())
AIP_UNARY(mean, t->mean())
AIP_UNARY(max, t->max())
AIP_UNARY(min, t->min())
AIP_UNARY(detach, t->detach())
AIP_UNARY(clone, t->clone())
AIP_UNARY(contiguous, t->contiguous())
AIP_UNARY(t, t->t())

AIP_ALONG(softmax, at::softmax(*t, dim))
AIP_ALONG(log_softmax, at::log_softmax(*t, dim))
AIP_ALONG(argmax, t->argmax(dim, keepdim != 0))
AIP_ALONG(sum_dim, t->sum(dim, keepdim != 0))
AIP_ALONG(mean_dim, t->mean(dim, keepdim != 0))
AIP_ALONG(max_dim, std::get<0>(t->max(dim, keepdim != 0)))

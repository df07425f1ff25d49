// C ABI over libtorch for the managed tensor API (src/Torch): creation, data, shape, arithmetic, autograd, the first
// layers, optimizers and state dicts. exports.h holds the error convention every export of the shim follows.
#include <torch/torch.h>
#include <torch/serialize.h>
#include <cstring>
#include <malloc.h>
#include <string>
#include <vector>

#include "adam.h"
#include "exports.h"
#include "max_pool.h"

using at::Tensor;
using aip::guard;
using aip::optional;
using aip::unwrap;
using aip::wrap;

namespace {
int scalar_code(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return 0;
    case at::kDouble: return 1;
    case at::kLong: return 2;
    case at::kBool: return 3;
    case at::kInt: return 4;
    case at::kByte: return 5;
    default: return -1;
  }
}

}  // namespace

// Training allocates and frees the same large activation buffers every step. glibc gives freed memory above its trim
// threshold back to the kernel, so each step paid for fresh zeroed pages again (a tenth of a CNN step in page faults).
// Keeping freed memory in the heap is what PyTorch users get from jemalloc or tcmalloc; peak memory does not change.
__attribute__((constructor)) static void keep_freed_memory_for_reuse() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

AIP_EXPORT const char* aip_last_error() { return aip::last_error.c_str(); }

AIP_EXPORT int aip_set_num_threads(int threads) { return guard([&] { at::set_num_threads(threads); }); }
AIP_EXPORT int aip_get_num_threads() { return at::get_num_threads(); }
AIP_EXPORT int aip_manual_seed(uint64_t seed) { return guard([&] { torch::manual_seed(seed); }); }
// The default CPU generator's state (a byte tensor), as torch.get_rng_state / set_rng_state: what a checkpoint keeps so
// a resumed training draws the dropout masks and shuffles an uninterrupted one would.
AIP_EXPORT int aip_get_rng_state(Tensor** out) {
  return guard([&] {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    *out = wrap(generator.get_state());
  });
}
AIP_EXPORT int aip_set_rng_state(Tensor* state) {
  return guard([&] {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(*state);
  });
}
AIP_EXPORT int aip_set_grad_enabled(int enabled) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(enabled != 0);
  return previous ? 1 : 0;
}

// ---------------------------------------------------------------- creation and data
AIP_EXPORT int aip_tensor_from_data(const void* data, const int64_t* shape, int ndim, int dtype, Tensor** out) {
  return guard([&] {
    auto options = at::TensorOptions().dtype(aip::scalar_type(dtype));
    *out = wrap(torch::from_blob(const_cast<void*>(data), at::IntArrayRef(shape, ndim), options).clone());
  });
}

AIP_EXPORT int aip_tensor_arange(int64_t start, int64_t end, int dtype, Tensor** out) {
  return guard([&] { *out = wrap(torch::arange(start, end, at::TensorOptions().dtype(aip::scalar_type(dtype)))); });
}

AIP_EXPORT int aip_tensor_scalar(double value, int dtype, Tensor** out) {
  return guard([&] { *out = wrap(torch::scalar_tensor(value, at::TensorOptions().dtype(aip::scalar_type(dtype)))); });
}

AIP_EXPORT void aip_tensor_free(Tensor* t) { delete t; }

AIP_EXPORT int aip_tensor_info(Tensor* t, int* dtype, int* ndim, int64_t* shape, int max_dims) {
  return guard([&] {
    *dtype = scalar_code(t->scalar_type());
    *ndim = static_cast<int>(t->dim());
    for (int i = 0; i < *ndim && i < max_dims; ++i) shape[i] = t->size(i);
  });
}

AIP_EXPORT int aip_tensor_copy_out(Tensor* t, void* destination, int64_t bytes) {
  return guard([&] {
    auto contiguous = t->detach().contiguous();
    auto needed = static_cast<int64_t>(contiguous.numel() * contiguous.element_size());
    if (needed != bytes) throw std::invalid_argument("destination holds " + std::to_string(bytes) + " bytes, tensor needs " + std::to_string(needed));
    std::memcpy(destination, contiguous.data_ptr(), needed);
  });
}

AIP_EXPORT int aip_tensor_item(Tensor* t, double* value) {
  return guard([&] { *value = t->item<double>(); });
}

AIP_EXPORT int aip_tensor_to_dtype(Tensor* t, int dtype, Tensor** out) {
  return guard([&] { *out = wrap(t->to(aip::scalar_type(dtype))); });
}

// ---------------------------------------------------------------- shape
AIP_EXPORT int aip_reshape(Tensor* t, const int64_t* shape, int ndim, Tensor** out) {
  return guard([&] { *out = wrap(t->reshape(at::IntArrayRef(shape, ndim))); });
}

AIP_EXPORT int aip_view(Tensor* t, const int64_t* shape, int ndim, Tensor** out) {
  return guard([&] { *out = wrap(t->view(at::IntArrayRef(shape, ndim))); });
}

AIP_EXPORT int aip_tensor_permute(Tensor* t, const int64_t* dims, int ndim, Tensor** out) {
  return guard([&] { *out = wrap(t->permute(at::IntArrayRef(dims, ndim))); });
}

AIP_EXPORT int aip_tensor_flatten(Tensor* t, int64_t start, int64_t end, Tensor** out) {
  return guard([&] { *out = wrap(t->flatten(start, end)); });
}

AIP_EXPORT int aip_tensor_slice(Tensor* t, int64_t dim, int64_t start, int64_t end, int64_t step, Tensor** out) {
  return guard([&] { *out = wrap(t->slice(dim, start, end, step)); });
}

AIP_EXPORT int aip_tensor_select(Tensor* t, int64_t dim, int64_t index, Tensor** out) {
  return guard([&] { *out = wrap(t->select(dim, index)); });
}

AIP_EXPORT int aip_tensor_index_select(Tensor* t, int64_t dim, Tensor* index, Tensor** out) {
  return guard([&] { *out = wrap(t->index_select(dim, *index)); });
}

AIP_EXPORT int aip_cat(Tensor** tensors, int count, int64_t dim, Tensor** out) {
  return guard([&] { *out = wrap(at::cat(unwrap(tensors, count), dim)); });
}

AIP_EXPORT int aip_stack(Tensor** tensors, int count, int64_t dim, Tensor** out) {
  return guard([&] { *out = wrap(at::stack(unwrap(tensors, count), dim)); });
}

// ---------------------------------------------------------------- autograd
AIP_EXPORT int aip_tensor_set_requires_grad(Tensor* t, int requires) {
  return guard([&] { t->set_requires_grad(requires != 0); });
}
AIP_EXPORT int aip_tensor_requires_grad(Tensor* t) { return t->requires_grad() ? 1 : 0; }
AIP_EXPORT int aip_tensor_backward(Tensor* t) { return guard([&] { t->backward(); }); }
AIP_EXPORT int aip_tensor_grad(Tensor* t, Tensor** out) {
  return guard([&] {
    auto grad = t->grad();
    *out = grad.defined() ? wrap(grad) : nullptr;
  });
}
AIP_EXPORT int aip_tensor_zero_grad(Tensor* t) {
  return guard([&] {
    if (t->grad().defined()) t->mutable_grad() = Tensor();
  });
}
AIP_EXPORT int aip_tensor_copy_(Tensor* target, Tensor* source) {
  return guard([&] {
    at::NoGradGuard no_grad;
    target->copy_(*source);
  });
}
// ---------------------------------------------------------------- layers and losses (one call per layer)
AIP_EXPORT int aip_linear(Tensor* input, Tensor* weight, Tensor* bias, Tensor** out) {
  return guard([&] { *out = wrap(at::linear(*input, *weight, optional(bias))); });
}

AIP_EXPORT int aip_conv2d(Tensor* input, Tensor* weight, Tensor* bias, const int64_t* stride, const int64_t* padding,
                          const int64_t* dilation, int64_t groups, Tensor** out) {
  return guard([&] {
    *out = wrap(at::conv2d(*input, *weight, optional(bias), at::IntArrayRef(stride, 2), at::IntArrayRef(padding, 2),
                           at::IntArrayRef(dilation, 2), groups));
  });
}

AIP_EXPORT int aip_max_pool2d(Tensor* input, const int64_t* kernel, const int64_t* stride, const int64_t* padding, Tensor** out) {
  return guard([&] {
    at::IntArrayRef k(kernel, 2), s(stride, 2), p(padding, 2);
    *out = wrap(aip::fast_max_pool_applies(*input, k, s, p) ? aip::max_pool2d(*input, k, s, p) : at::max_pool2d(*input, k, s, p));
  });
}

AIP_EXPORT int aip_avg_pool2d(Tensor* input, const int64_t* kernel, const int64_t* stride, const int64_t* padding, Tensor** out) {
  return guard([&] { *out = wrap(at::avg_pool2d(*input, at::IntArrayRef(kernel, 2), at::IntArrayRef(stride, 2), at::IntArrayRef(padding, 2))); });
}

AIP_EXPORT int aip_batch_norm(Tensor* input, Tensor* weight, Tensor* bias, Tensor* running_mean, Tensor* running_var, int training,
                              double momentum, double eps, Tensor** out) {
  return guard([&] {
    *out = wrap(at::batch_norm(*input, optional(weight), optional(bias), optional(running_mean), optional(running_var),
                               training != 0, momentum, eps, false));
  });
}

AIP_EXPORT int aip_dropout(Tensor* input, double p, int training, Tensor** out) {
  return guard([&] { *out = wrap(at::dropout(*input, p, training != 0)); });
}

// ---------------------------------------------------------------- optimizers (one native call per step)
AIP_EXPORT int aip_sgd_new(Tensor** params, int count, double lr, double momentum, double dampening, double weight_decay, int nesterov,
                           torch::optim::Optimizer** out) {
  return guard([&] {
    *out = new torch::optim::SGD(unwrap(params, count), torch::optim::SGDOptions(lr).momentum(momentum).dampening(dampening)
                                                          .weight_decay(weight_decay).nesterov(nesterov != 0));
  });
}

AIP_EXPORT int aip_adam_new(Tensor** params, int count, double lr, double beta1, double beta2, double eps, double weight_decay,
                            int amsgrad, torch::optim::Optimizer** out) {
  return guard([&] {
    auto options = torch::optim::AdamOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(weight_decay).amsgrad(amsgrad != 0);
    *out = new aip::Adam(unwrap(params, count), options, /*decoupled_weight_decay=*/false);
  });
}

AIP_EXPORT int aip_adamw_new(Tensor** params, int count, double lr, double beta1, double beta2, double eps, double weight_decay,
                             int amsgrad, torch::optim::Optimizer** out) {
  return guard([&] {
    auto options = torch::optim::AdamOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(weight_decay).amsgrad(amsgrad != 0);
    *out = new aip::Adam(unwrap(params, count), options, /*decoupled_weight_decay=*/true);
  });
}

AIP_EXPORT int aip_optimizer_step(torch::optim::Optimizer* optimizer) { return guard([&] { optimizer->step(); }); }
// Gradients are dropped rather than zeroed (PyTorch 2's set_to_none): the next backward writes them fresh instead of
// adding into a zeroed buffer, which saves a pass over every parameter.
AIP_EXPORT int aip_optimizer_zero_grad(torch::optim::Optimizer* optimizer) {
  return guard([&] {
    for (auto& group : optimizer->param_groups())
      for (auto& param : group.params()) param.mutable_grad().reset();
  });
}
AIP_EXPORT int aip_optimizer_set_lr(torch::optim::Optimizer* optimizer, double lr) {
  return guard([&] {
    for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
  });
}
// torch.optim.RMSprop; libtorch's update rule is Python's (square average, optional centring and momentum).
AIP_EXPORT int aip_rmsprop_new(Tensor** params, int count, double lr, double alpha, double eps, double weight_decay, double momentum,
                               int centered, torch::optim::Optimizer** out) {
  return guard([&] {
    *out = new torch::optim::RMSprop(unwrap(params, count), torch::optim::RMSpropOptions(lr).alpha(alpha).eps(eps).weight_decay(weight_decay)
                                                               .momentum(momentum).centered(centered != 0));
  });
}

// What a one-cycle schedule cycles: SGD's and RMSprop's momentum, Adam's first beta.
AIP_EXPORT int aip_optimizer_set_momentum(torch::optim::Optimizer* optimizer, double momentum) {
  return guard([&] {
    for (auto& group : optimizer->param_groups()) {
      auto& options = group.options();
      if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) sgd->momentum(momentum);
      else if (auto* rmsprop = dynamic_cast<torch::optim::RMSpropOptions*>(&options)) rmsprop->momentum(momentum);
      else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) adam->betas({momentum, std::get<1>(adam->betas())});
      else throw std::invalid_argument("this optimizer has no momentum to set");
    }
  });
}

AIP_EXPORT void aip_optimizer_free(torch::optim::Optimizer* optimizer) { delete optimizer; }

// ---------------------------------------------------------------- optimizer state (what a checkpoint must carry besides the weights)
namespace {

// A malloc'd copy the caller frees with aip_buffer_free.
void pickle_dict(const c10::Dict<std::string, Tensor>& dict, char** buffer, int64_t* length) {
  auto bytes = torch::pickle_save(c10::IValue(dict));
  *buffer = static_cast<char*>(std::malloc(bytes.size()));
  std::memcpy(*buffer, bytes.data(), bytes.size());
  *length = static_cast<int64_t>(bytes.size());
}

c10::Dict<std::string, Tensor> unpickle_dict(const char* bytes, int64_t length, const std::string& what) {
  std::vector<char> data(bytes, bytes + length);
  auto value = torch::pickle_load(data);
  if (!value.isGenericDict()) throw std::invalid_argument(what + " is not a dict of tensors");
  c10::Dict<std::string, Tensor> dict;
  for (const auto& entry : value.toGenericDict()) dict.insert(entry.key().toStringRef(), entry.value().toTensor());
  return dict;
}

// libtorch's own optimizers keep per-parameter state keyed by the parameter's address; a checkpoint names it by index.
template <typename State>
State* param_state(torch::optim::Optimizer& optimizer, const Tensor& param) {
  auto found = optimizer.state().find(c10::guts::to_string(param.unsafeGetTensorImpl()));
  return found == optimizer.state().end() ? nullptr : static_cast<State*>(found->second.get());
}

void put(c10::Dict<std::string, Tensor>& dict, const std::string& name, const Tensor& tensor) {
  if (tensor.defined()) dict.insert(name, tensor.detach().clone());
}

Tensor take(const c10::Dict<std::string, Tensor>& dict, const std::string& name, const Tensor& param) {
  if (!dict.contains(name)) return {};
  auto saved = dict.at(name);
  TORCH_CHECK(saved.sizes() == param.sizes(), "optimizer state '", name, "' has shape ", saved.sizes(), " but its parameter has ",
              param.sizes());
  return saved.to(param.options()).clone();
}

}  // namespace

AIP_EXPORT int aip_optimizer_state_save(torch::optim::Optimizer* optimizer, char** buffer, int64_t* length) {
  return guard([&] {
    c10::Dict<std::string, Tensor> dict;
    if (auto* adam = dynamic_cast<aip::Adam*>(optimizer)) {
      adam->save_state(dict);
    } else {
      const auto& params = optimizer->param_groups().at(0).params();
      for (size_t i = 0; i < params.size(); ++i) {
        const auto prefix = std::to_string(i) + ".";
        if (dynamic_cast<torch::optim::SGD*>(optimizer)) {
          if (auto* state = param_state<torch::optim::SGDParamState>(*optimizer, params[i])) put(dict, prefix + "momentum_buffer", state->momentum_buffer());
        } else if (dynamic_cast<torch::optim::RMSprop*>(optimizer)) {
          if (auto* state = param_state<torch::optim::RMSpropParamState>(*optimizer, params[i])) {
            dict.insert(prefix + "step", at::scalar_tensor(static_cast<double>(state->step()), at::kFloat));
            put(dict, prefix + "square_avg", state->square_avg());
            put(dict, prefix + "momentum_buffer", state->momentum_buffer());
            put(dict, prefix + "grad_avg", state->grad_avg());
          }
        } else {
          throw std::invalid_argument("this optimizer's state cannot be saved");
        }
      }
    }
    pickle_dict(dict, buffer, length);
  });
}

AIP_EXPORT int aip_optimizer_state_load(torch::optim::Optimizer* optimizer, const char* bytes, int64_t length) {
  return guard([&] {
    auto dict = unpickle_dict(bytes, length, "the optimizer state");
    if (auto* adam = dynamic_cast<aip::Adam*>(optimizer)) {
      adam->load_state(dict);
      return;
    }
    const auto& params = optimizer->param_groups().at(0).params();
    optimizer->state().clear();
    for (size_t i = 0; i < params.size(); ++i) {
      const auto prefix = std::to_string(i) + ".";
      const auto key = c10::guts::to_string(params[i].unsafeGetTensorImpl());
      if (dynamic_cast<torch::optim::SGD*>(optimizer)) {
        auto buffer = take(dict, prefix + "momentum_buffer", params[i]);
        if (!buffer.defined()) continue;
        auto state = std::make_unique<torch::optim::SGDParamState>();
        state->momentum_buffer(buffer);
        optimizer->state()[key] = std::move(state);
      } else if (dynamic_cast<torch::optim::RMSprop*>(optimizer)) {
        if (!dict.contains(prefix + "step")) continue;
        auto state = std::make_unique<torch::optim::RMSpropParamState>();
        state->step(static_cast<int64_t>(dict.at(prefix + "step").item<double>()));
        state->square_avg(take(dict, prefix + "square_avg", params[i]));
        state->momentum_buffer(take(dict, prefix + "momentum_buffer", params[i]));
        state->grad_avg(take(dict, prefix + "grad_avg", params[i]));
        optimizer->state()[key] = std::move(state);
      } else {
        throw std::invalid_argument("this optimizer's state cannot be loaded");
      }
    }
  });
}

// ---------------------------------------------------------------- state dicts in PyTorch's pickle format
AIP_EXPORT int aip_state_dict_save(const char** names, Tensor** tensors, int count, char** buffer, int64_t* length) {
  return guard([&] {
    c10::Dict<std::string, Tensor> dict;
    for (int i = 0; i < count; ++i) dict.insert(names[i], tensors[i]->detach());
    pickle_dict(dict, buffer, length);
  });
}

AIP_EXPORT void aip_buffer_free(char* buffer) { std::free(buffer); }

struct LoadedStateDict {
  std::vector<std::string> names;
  std::vector<Tensor> tensors;
};

AIP_EXPORT int aip_state_dict_load(const char* bytes, int64_t length, LoadedStateDict** out, int* count) {
  return guard([&] {
    auto loaded = new LoadedStateDict();
    for (const auto& entry : unpickle_dict(bytes, length, "the state dict")) {
      loaded->names.push_back(entry.key());
      loaded->tensors.push_back(entry.value());
    }
    *out = loaded;
    *count = static_cast<int>(loaded->names.size());
  });
}

AIP_EXPORT const char* aip_state_dict_name(LoadedStateDict* dict, int index) { return dict->names[index].c_str(); }
AIP_EXPORT Tensor* aip_state_dict_tensor(LoadedStateDict* dict, int index) { return wrap(dict->tensors[index]); }
AIP_EXPORT void aip_state_dict_free(LoadedStateDict* dict) { delete dict; }

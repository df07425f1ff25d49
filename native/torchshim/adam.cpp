#include "adam.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace aip {
namespace {

struct Rule {
  double lr, beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt;
  bool decoupled, amsgrad;
};

bool fusable(const at::Tensor& param, const at::Tensor& grad) {
  return param.device().is_cpu() && param.scalar_type() == at::kFloat && param.is_contiguous() && !grad.is_sparse() &&
         grad.scalar_type() == at::kFloat && grad.is_contiguous();
}

// A free function with restrict pointers, not a lambda over captured ones: only then does the compiler know the
// arrays do not overlap and vectorise the loop.
template <bool Amsgrad>
__attribute__((target_clones("avx2", "default")))
void update_range(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                  float* __restrict v_max, int64_t begin, int64_t end, float beta1, float beta2, float eps, float step_size,
                  float bc2_sqrt, float decay, float shrink) {
  for (int64_t i = begin; i < end; ++i) {
    float param = p[i] * shrink;
    float grad = g[i] + decay * param;
    float first = beta1 * m[i] + (1.0f - beta1) * grad;
    float second = beta2 * v[i] + (1.0f - beta2) * grad * grad;
    m[i] = first;
    v[i] = second;
    if constexpr (Amsgrad) second = v_max[i] = std::max(v_max[i], second);
    p[i] = param - step_size * first / (std::sqrt(second) / bc2_sqrt + eps);
  }
}

void fused_update(float* p, const float* g, float* m, float* v, float* v_max, int64_t n, const Rule& r) {
  const float decay = r.decoupled ? 0.0f : r.weight_decay, shrink = r.decoupled ? 1.0f - r.lr * r.weight_decay : 1.0f;
  at::parallel_for(0, n, 32768, [&](int64_t begin, int64_t end) {
    auto update = r.amsgrad ? update_range<true> : update_range<false>;
    update(p, g, m, v, v_max, begin, end, r.beta1, r.beta2, r.eps, r.step_size, r.bias_correction2_sqrt, decay, shrink);
  });
}

void tensor_update(at::Tensor& p, at::Tensor grad, at::Tensor& m, at::Tensor& v, at::Tensor& v_max, const Rule& r) {
  if (r.decoupled) p.mul_(1.0 - r.lr * r.weight_decay);
  else if (r.weight_decay != 0) grad = grad.add(p, r.weight_decay);
  m.mul_(r.beta1).add_(grad, 1.0 - r.beta1);
  v.mul_(r.beta2).addcmul_(grad, grad, 1.0 - r.beta2);
  at::Tensor second = v;
  if (r.amsgrad) second = at::maximum_out(v_max, v_max, v);
  p.addcdiv_(m, second.sqrt().div_(r.bias_correction2_sqrt).add_(r.eps), -r.step_size);
}

}  // namespace

Adam::Adam(std::vector<at::Tensor> params, torch::optim::AdamOptions options, bool decoupled_weight_decay)
    : Optimizer({torch::optim::OptimizerParamGroup(std::move(params))}, std::make_unique<torch::optim::AdamOptions>(options)),
      decoupled_(decoupled_weight_decay) {
  auto [beta1, beta2] = options.betas();
  TORCH_CHECK(options.lr() >= 0, "Invalid learning rate: ", options.lr());
  TORCH_CHECK(options.eps() >= 0, "Invalid epsilon value: ", options.eps());
  TORCH_CHECK(0 <= beta1 && beta1 < 1, "Invalid beta parameter at index 0: ", beta1);
  TORCH_CHECK(0 <= beta2 && beta2 < 1, "Invalid beta parameter at index 1: ", beta2);
  TORCH_CHECK(options.weight_decay() >= 0, "Invalid weight_decay value: ", options.weight_decay());
}

at::Tensor Adam::step(LossClosure closure) {
  at::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  at::NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    auto& options = static_cast<torch::optim::AdamOptions&>(group.options());
    auto [beta1, beta2] = options.betas();
    for (auto& param : group.params()) {
      const auto& grad = param.grad();
      if (!grad.defined()) continue;
      auto& state = moments_[param.unsafeGetTensorImpl()];
      if (state.step++ == 0) {
        state.exp_avg = at::zeros_like(param, at::MemoryFormat::Contiguous);
        state.exp_avg_sq = at::zeros_like(param, at::MemoryFormat::Contiguous);
        if (options.amsgrad()) state.max_exp_avg_sq = at::zeros_like(param, at::MemoryFormat::Contiguous);
      }
      double bias_correction1 = 1 - std::pow(beta1, state.step), bias_correction2 = 1 - std::pow(beta2, state.step);
      Rule rule{options.lr(), beta1, beta2, options.eps(), options.weight_decay(), options.lr() / bias_correction1,
                std::sqrt(bias_correction2), decoupled_, options.amsgrad()};
      if (fusable(param, grad)) {
        fused_update(param.data_ptr<float>(), grad.data_ptr<float>(), state.exp_avg.data_ptr<float>(),
                     state.exp_avg_sq.data_ptr<float>(), rule.amsgrad ? state.max_exp_avg_sq.data_ptr<float>() : nullptr,
                     param.numel(), rule);
      } else {
        tensor_update(param, grad, state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq, rule);
      }
    }
  }
  return loss;
}

void Adam::save_state(c10::Dict<std::string, at::Tensor>& state) const {
  const auto& params = param_groups_.at(0).params();
  for (size_t i = 0; i < params.size(); ++i) {
    auto found = moments_.find(params[i].unsafeGetTensorImpl());
    if (found == moments_.end()) continue;
    const auto prefix = std::to_string(i) + ".";
    state.insert(prefix + "step", at::scalar_tensor(static_cast<double>(found->second.step), at::kFloat));
    state.insert(prefix + "exp_avg", found->second.exp_avg.detach().clone());
    state.insert(prefix + "exp_avg_sq", found->second.exp_avg_sq.detach().clone());
    if (found->second.max_exp_avg_sq.defined()) state.insert(prefix + "max_exp_avg_sq", found->second.max_exp_avg_sq.detach().clone());
  }
}

void Adam::load_state(const c10::Dict<std::string, at::Tensor>& state) {
  const auto& params = param_groups_.at(0).params();
  const bool amsgrad = static_cast<const torch::optim::AdamOptions&>(param_groups_.at(0).options()).amsgrad();
  moments_.clear();
  for (size_t i = 0; i < params.size(); ++i) {
    const auto prefix = std::to_string(i) + ".";
    if (!state.contains(prefix + "step")) continue;
    Moments moments;
    moments.step = static_cast<int64_t>(state.at(prefix + "step").item<double>());
    auto moment = [&](const std::string& name) {
      auto saved = state.at(prefix + name);
      TORCH_CHECK(saved.sizes() == params[i].sizes(), "optimizer state '", prefix, name, "' has shape ", saved.sizes(),
                  " but parameter ", i, " has ", params[i].sizes());
      return saved.to(params[i].options()).contiguous().clone();
    };
    moments.exp_avg = moment("exp_avg");
    moments.exp_avg_sq = moment("exp_avg_sq");
    if (amsgrad) moments.max_exp_avg_sq = state.contains(prefix + "max_exp_avg_sq") ? moment("max_exp_avg_sq") : at::zeros_like(moments.exp_avg_sq);
    moments_[params[i].unsafeGetTensorImpl()] = std::move(moments);
  }
}

}  // namespace aip

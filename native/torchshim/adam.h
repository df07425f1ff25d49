#pragma once
#include <torch/torch.h>

namespace aip {

// Adam and AdamW (decoupled weight decay), with the update rule of torch.optim.Adam/AdamW. libtorch 1.13 updates each
// parameter with about ten tensor operations, each a pass over memory with its own temporaries; this one makes a single
// pass per float32 parameter and falls back to the same rule in tensor operations for anything else.
class Adam : public torch::optim::Optimizer {
 public:
  Adam(std::vector<at::Tensor> params, torch::optim::AdamOptions options, bool decoupled_weight_decay);
  at::Tensor step(LossClosure closure = nullptr) override;

  // The moments, named as torch.optim.Adam's state_dict names them ("<parameter index>.exp_avg", ".exp_avg_sq",
  // ".max_exp_avg_sq", ".step"), so a checkpoint resumes the same update sequence.
  void save_state(c10::Dict<std::string, at::Tensor>& state) const;
  void load_state(const c10::Dict<std::string, at::Tensor>& state);

 private:
  struct Moments {
    int64_t step = 0;
    at::Tensor exp_avg, exp_avg_sq, max_exp_avg_sq;
  };
  bool decoupled_;
  std::unordered_map<const c10::TensorImpl*, Moments> moments_;
};

}  // namespace aip

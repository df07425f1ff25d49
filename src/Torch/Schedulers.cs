namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>Learning-rate schedules in <c>torch.optim.lr_scheduler</c>'s shape: call step() once per epoch (or batch).</summary>
        public static class lr_scheduler
        {
            /// <summary>
            /// Sets the optimizer's learning rate from the step count. As in PyTorch, constructing a schedule is its step 0:
            /// the optimizer gets the schedule's first rate at once.
            /// </summary>
            public abstract class LRScheduler
            {
                protected readonly Optimizer optimizer;

                /// <summary>The optimizer's learning rate when the schedule was created.</summary>
                public double base_lr { get; }

                public int last_epoch { get; private set; } = -1;

                protected LRScheduler(Optimizer optimizer, double? baseLr = null)
                {
                    this.optimizer = optimizer;
                    base_lr = baseLr ?? optimizer.lr;
                }

                /// <summary>Applies step 0; called last by every constructor, once its fields are set.</summary>
                protected void Start() => step();

                public virtual void step()
                {
                    last_epoch++;
                    optimizer.lr = LearningRate(last_epoch);
                }

                public double get_last_lr() => optimizer.lr;

                /// <summary>Where the schedule stands, for a checkpoint: its step count, as PyTorch's <c>state_dict()["last_epoch"]</c>.</summary>
                public Dictionary<string, double> state_dict() => new() { ["last_epoch"] = last_epoch };

                /// <summary>Puts the schedule back at a saved step and gives the optimizer that step's rate (and momentum, where cycled).</summary>
                public void load_state_dict(IReadOnlyDictionary<string, double> state)
                {
                    last_epoch = checked((int)state["last_epoch"]) - 1;
                    step();
                }

                protected abstract double LearningRate(int epoch);
            }

            /// <summary>Multiplies the learning rate by <paramref name="gamma"/> every <paramref name="step_size"/> steps.</summary>
            public sealed class StepLR : LRScheduler
            {
                private readonly int _stepSize;
                private readonly double _gamma;

                public StepLR(Optimizer optimizer, int step_size, double gamma = 0.1) : base(optimizer)
                {
                    (_stepSize, _gamma) = (step_size, gamma);
                    Start();
                }

                protected override double LearningRate(int epoch) => base_lr * Math.Pow(_gamma, epoch / _stepSize);
            }

            /// <summary>Half a cosine from the base rate down to <paramref name="eta_min"/> over <paramref name="T_max"/> steps.</summary>
            public sealed class CosineAnnealingLR : LRScheduler
            {
                private readonly int _tMax;
                private readonly double _etaMin;

                public CosineAnnealingLR(Optimizer optimizer, int T_max, double eta_min = 0) : base(optimizer)
                {
                    if (T_max <= 0) throw new ArgumentOutOfRangeException(nameof(T_max), "T_max must be positive");
                    (_tMax, _etaMin) = (T_max, eta_min);
                    Start();
                }

                protected override double LearningRate(int epoch) =>
                    _etaMin + (base_lr - _etaMin) * (1 + Math.Cos(Math.PI * epoch / _tMax)) / 2;
            }

            /// <summary>
            /// Linear warm-up (or cool-down): the base rate times a factor going from <paramref name="start_factor"/> to
            /// <paramref name="end_factor"/> over <paramref name="total_iters"/> steps, then staying there.
            /// </summary>
            public sealed class LinearLR : LRScheduler
            {
                private readonly double _start, _end;
                private readonly int _total;

                public LinearLR(Optimizer optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int total_iters = 5) : base(optimizer)
                {
                    if (start_factor is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(start_factor), "start_factor must be in (0, 1]");
                    if (end_factor is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(end_factor), "end_factor must be in [0, 1]");
                    (_start, _end, _total) = (start_factor, end_factor, total_iters);
                    Start();
                }

                protected override double LearningRate(int epoch) =>
                    base_lr * (_start + (_end - _start) * Math.Min(epoch, _total) / Math.Max(_total, 1));
            }

            /// <summary>
            /// The one-cycle policy, stepped once per batch: the rate rises from max_lr / div_factor to
            /// <paramref name="max_lr"/> over the first <paramref name="pct_start"/> of the steps, then falls to
            /// max_lr / (div_factor * final_div_factor); momentum (Adam's first beta) moves the opposite way.
            /// </summary>
            public sealed class OneCycleLR : LRScheduler
            {
                private readonly int _totalSteps;
                private readonly double _maxLr, _minLr, _baseMomentum, _maxMomentum;
                private readonly double _warmEnd;
                private readonly bool _cos, _cycleMomentum;

                public OneCycleLR(Optimizer optimizer, double max_lr, int? total_steps = null, int? epochs = null, int? steps_per_epoch = null,
                    double pct_start = 0.3, string anneal_strategy = "cos", bool cycle_momentum = true, double base_momentum = 0.85,
                    double max_momentum = 0.95, double div_factor = 25, double final_div_factor = 1e4)
                    : base(optimizer, max_lr / div_factor)
                {
                    _totalSteps = total_steps ?? (epochs * steps_per_epoch
                        ?? throw new ArgumentException("give total_steps, or epochs and steps_per_epoch"));
                    if (_totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(total_steps), "the number of steps must be positive");
                    if (pct_start is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(pct_start), "pct_start must be in [0, 1]");
                    _cos = anneal_strategy switch
                    {
                        "cos" => true,
                        "linear" => false,
                        _ => throw new ArgumentException($"anneal_strategy must be 'cos' or 'linear', got '{anneal_strategy}'"),
                    };
                    (_maxLr, _minLr, _warmEnd) = (max_lr, base_lr / final_div_factor, pct_start * _totalSteps - 1);
                    (_cycleMomentum, _baseMomentum, _maxMomentum) = (cycle_momentum, base_momentum, max_momentum);
                    Start();
                }

                public override void step()
                {
                    if (last_epoch + 1 >= _totalSteps + 1)
                        throw new InvalidOperationException($"Tried to step {last_epoch + 1} times. The specified number of total steps is {_totalSteps}");
                    base.step();
                    if (_cycleMomentum) optimizer.SetMomentum(Phase(last_epoch, _maxMomentum, _baseMomentum, _maxMomentum));
                }

                protected override double LearningRate(int epoch) => Phase(epoch, base_lr, _maxLr, _minLr);

                /// <summary>From <paramref name="first"/> to <paramref name="peak"/> while warming, then on to <paramref name="last"/>.</summary>
                private double Phase(int step, double first, double peak, double last)
                {
                    if (step <= _warmEnd) return Anneal(first, peak, step / _warmEnd);
                    return Anneal(peak, last, (step - _warmEnd) / (_totalSteps - 1 - _warmEnd));
                }

                private double Anneal(double start, double end, double pct) =>
                    _cos ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;
            }
        }
    }
}

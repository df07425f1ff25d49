using System.Reflection;

namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of every layer and model: owns parameters, buffers and submodules under PyTorch's names, so a state
        /// dict moves between this engine and PyTorch unchanged.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly List<(string Name, Tensor Tensor)> _parameters = [];
            private readonly List<(string Name, Tensor Tensor)> _buffers = [];
            private readonly List<(string Name, Module Module)> _modules = [];

            public bool training { get; private set; } = true;

            public abstract Tensor forward(Tensor input);

            public Tensor call(Tensor input) => forward(input);

            protected Tensor register_parameter(string name, Tensor parameter)
            {
                DisposeScope.Detach(parameter);
                parameter.requires_grad = true;
                _parameters.Add((name, parameter));
                return parameter;
            }

            protected Tensor register_buffer(string name, Tensor buffer)
            {
                DisposeScope.Detach(buffer);
                _buffers.Add((name, buffer));
                return buffer;
            }

            protected T register_module<T>(string name, T module) where T : Module
            {
                _modules.Add((name, module));
                return module;
            }

            /// <summary>Registers every Module field of the derived class under its field name, as TorchSharp does.</summary>
            protected void RegisterComponents()
            {
                foreach (var field in GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                    if (field.GetValue(this) is Module module && _modules.All(m => m.Module != module))
                        register_module(field.Name.TrimStart('_'), module);
            }

            public IEnumerable<(string Name, Tensor Parameter)> named_parameters(string prefix = "")
            {
                foreach (var (name, parameter) in _parameters) yield return (prefix + name, parameter);
                foreach (var (name, module) in _modules)
                foreach (var child in module.named_parameters($"{prefix}{name}."))
                    yield return child;
            }

            public IEnumerable<Tensor> parameters() => named_parameters().Select(p => p.Parameter);

            public IEnumerable<(string Name, Tensor Buffer)> named_buffers(string prefix = "")
            {
                foreach (var (name, buffer) in _buffers) yield return (prefix + name, buffer);
                foreach (var (name, module) in _modules)
                foreach (var child in module.named_buffers($"{prefix}{name}."))
                    yield return child;
            }

            public IEnumerable<(string Name, Module Module)> named_children() => _modules;

            /// <summary>Parameters and buffers by name, in PyTorch's order; the tensors are the module's own, not copies.</summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var result = new Dictionary<string, Tensor>();
                Collect(this, "", result);
                return result;

                static void Collect(Module module, string prefix, Dictionary<string, Tensor> into)
                {
                    foreach (var (name, parameter) in module._parameters) into[prefix + name] = parameter;
                    foreach (var (name, buffer) in module._buffers) into[prefix + name] = buffer;
                    foreach (var (name, child) in module._modules) Collect(child, $"{prefix}{name}.", into);
                }
            }

            /// <summary>Copies values in by name; with <paramref name="strict"/>, missing or unexpected names are an error.</summary>
            public void load_state_dict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
            {
                var own = state_dict();
                if (strict)
                {
                    var missing = own.Keys.Except(stateDict.Keys).ToList();
                    var unexpected = stateDict.Keys.Except(own.Keys).ToList();
                    if (missing.Count > 0 || unexpected.Count > 0)
                        throw new TorchException($"state dict does not match the model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
                }
                foreach (var (name, target) in own)
                {
                    if (!stateDict.TryGetValue(name, out var source)) continue;
                    if (!target.shape.SequenceEqual(source.shape))
                        throw new TorchException($"'{name}' has shape [{string.Join(", ", source.shape)}] in the state dict but [{string.Join(", ", target.shape)}] in the model");
                    target.copy_(source);
                }
            }

            /// <summary>The state dict as bytes in PyTorch's format.</summary>
            public byte[] save_state_dict() => save(state_dict());

            public void load_state_dict(ReadOnlySpan<byte> bytes, bool strict = true)
            {
                var loaded = load(bytes);
                try
                {
                    load_state_dict(loaded, strict);
                }
                finally
                {
                    foreach (var tensor in loaded.Values) tensor.Dispose();
                }
            }

            public Module train(bool mode = true)
            {
                training = mode;
                foreach (var (_, module) in _modules) module.train(mode);
                return this;
            }

            public Module eval() => train(false);

            /// <summary>
            /// Freezes (false) or unfreezes this module's parameters, submodules included: frozen parameters get no
            /// gradient, so optimizers leave them as they are. Freeze a layer with <c>model.encoder.requires_grad_(false)</c>.
            /// </summary>
            public Module requires_grad_(bool requires = true)
            {
                foreach (var parameter in parameters()) parameter.requires_grad = requires;
                return this;
            }

            public void zero_grad()
            {
                foreach (var parameter in parameters()) parameter.ZeroGrad();
            }

            public virtual void Dispose()
            {
                foreach (var (_, parameter) in _parameters) parameter.Dispose();
                foreach (var (_, buffer) in _buffers) buffer.Dispose();
                foreach (var (_, module) in _modules) module.Dispose();
                GC.SuppressFinalize(this);
            }
        }
    }
}

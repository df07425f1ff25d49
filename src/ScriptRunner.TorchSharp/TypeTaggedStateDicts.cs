using Razorvine.Pickle;

namespace AiPlatform.ScriptRunner.TorchSharp;

/// <summary>
/// Lets TorchSharp.PyBridge read the state dicts the own engine saves. libtorch's C++ pickler wraps a typed dict in
/// <c>torch.jit._pickle.restore_type_tag(dict, "Dict[str, Tensor]")</c>; Python's <c>torch.load</c> unwraps it, PyBridge's
/// unpickler does not know the call. The tag only restores a static type, so the dict itself is the value.
/// </summary>
internal sealed class TypeTaggedStateDicts : IObjectConstructor
{
    public static void Register() => Unpickler.registerConstructor("torch.jit._pickle", "restore_type_tag", new TypeTaggedStateDicts());

    public object construct(object[] args) => args[0];
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;
using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

/// <summary>
/// Runs python/parity.py once for every case: it leaves PyTorch's inputs, weights, outputs and gradients per case, and
/// loads the weights this engine initialised (strict=True).
/// </summary>
public sealed class PyTorchParity : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("aip-parity-").FullName;
    public IReadOnlyDictionary<string, string> StrictLoads { get; }

    public PyTorchParity()
    {
        foreach (var @case in ParityCases.All.Where(c => c.Create is not null))
        {
            using var module = @case.Create!();
            File.WriteAllBytes(Path.Combine(Folder, @case.Name + ".ours.pt"), module.save_state_dict());
        }
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "python", "parity.py"));
        info.ArgumentList.Add(Folder);
        info.ArgumentList.Add(get_num_threads().ToString());
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("parity.py failed: " + errors.Result);
        StrictLoads = JsonNode.Parse(output)!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>
/// Every new layer and operation against python3-torch 1.13 with the same inputs and weights: outputs, input gradients and
/// parameter gradients agree within 1e-5 relative in float32, and state dicts load both ways with strict name checking.
/// </summary>
public sealed class ParityTests(PyTorchParity parity) : IClassFixture<PyTorchParity>
{
    public static TheoryData<string> Cases() => new(ParityCases.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_backward_match_PyTorch(string name)
    {
        var @case = ParityCases.All.Single(c => c.Name == name);
        using var scope = NewDisposeScope();
        var reference = load(File.ReadAllBytes(Path.Combine(parity.Folder, name + ".pt")));
        Tensor? Reference(string key) => reference.GetValueOrDefault(key);

        using var module = @case.Create?.Invoke();
        if (module is not null)
        {
            Assert.Equal("ok", parity.StrictLoads[name]);  // PyTorch took this engine's state dict with strict=True
            var weights = reference.Where(p => p.Key.StartsWith("param.")).ToDictionary(p => p.Key["param.".Length..], p => p.Value);
            module.load_state_dict(weights, strict: true);  // and this engine takes PyTorch's
        }
        var inputs = reference.Where(p => p.Key.StartsWith("input.")).ToDictionary(p => p.Key["input.".Length..], p => p.Value);
        foreach (var (inputName, input) in inputs)
            if (Reference("grad.input." + inputName) is not null) input.requires_grad_();

        var outputs = @case.Run(module, inputs);
        Assert.Equal(reference.Keys.Where(k => k.StartsWith("output.")).Order(), outputs.Select(o => "output." + o.Name).Order());
        foreach (var (outputName, output) in outputs)
            AssertClose(Reference("output." + outputName)!, output, $"output '{outputName}'");

        var loss = outputs.Where(o => Reference("upstream." + o.Name) is not null)
            .Select(o => (o.Value * Reference("upstream." + o.Name)!).sum()).Aggregate((a, b) => a + b);
        loss.backward();
        foreach (var (inputName, input) in inputs)
            if (Reference("grad.input." + inputName) is { } expected)
                AssertClose(expected, input.grad() ?? throw new Xunit.Sdk.XunitException($"input '{inputName}' got no gradient"), $"gradient of input '{inputName}'");
        foreach (var (parameterName, parameter) in module?.named_parameters() ?? [])
            AssertClose(Reference("grad.param." + parameterName) ?? throw new Xunit.Sdk.XunitException($"PyTorch has no parameter '{parameterName}'"),
                parameter.grad() ?? throw new Xunit.Sdk.XunitException($"parameter '{parameterName}' got no gradient"), $"gradient of '{parameterName}'");
    }

    /// <summary>
    /// Within 1e-5 of the reference value relative to it; near zero (sums that cancel), relative to the tensor's largest
    /// magnitude instead, scaled down ten times. Integer tensors (indices) must be equal.
    /// </summary>
    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape [{string.Join(", ", actual.shape)}], PyTorch [{string.Join(", ", expected.shape)}]");
        if (expected.dtype == ScalarType.Int64)
        {
            Assert.Equal(expected.ToArray<long>(), actual.ToArray<long>());
            return;
        }
        Assert.Equal(ScalarType.Float32, actual.dtype);
        var want = expected.ToArray<float>();
        var got = actual.contiguous().ToArray<float>();
        var largest = want.Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (var i = 0; i < want.Length; i++)
        {
            var tolerance = 1e-5 * Math.Max(Math.Abs(want[i]), largest / 10);
            Assert.True(Math.Abs(got[i] - want[i]) <= tolerance || float.IsNegativeInfinity(want[i]) && float.IsNegativeInfinity(got[i]),
                $"{what}[{i}]: {got[i]:R} here, {want[i]:R} in PyTorch (tolerance {tolerance:E2})");
        }
    }
}

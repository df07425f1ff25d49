namespace AiPlatform.Torch;

// Selection, indexing, scans and shape moves users reach for beyond arithmetic (ops.cpp).
public sealed unsafe partial class Tensor
{
    /// <summary>This tensor with <paramref name="value"/> wherever <paramref name="mask"/> (bool, broadcast) is true.</summary>
    public Tensor masked_fill(Tensor mask, double value) => From(Native.aip_masked_fill(Handle, mask.Handle, value, out var r), r);

    public Tensor select(long dim, long index) => From(Native.aip_tensor_select(Handle, dim, index, out var r), r);

    public Tensor gather(long dim, Tensor index) => From(Native.aip_gather(Handle, dim, index.Handle, out var r), r);

    /// <summary>A copy with <paramref name="source"/>'s values written at <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Tensor scatter(long dim, Tensor index, Tensor source) => From(Native.aip_scatter(Handle, dim, index.Handle, source.Handle, out var r), r);

    public Tensor scatter_add(long dim, Tensor index, Tensor source) => From(Native.aip_scatter_add(Handle, dim, index.Handle, source.Handle, out var r), r);

    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Native.Check(Native.aip_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var values, out var indices));
        return (new Tensor(values), new Tensor(indices));
    }

    public Tensor cumsum(long dim) => From(Native.aip_cumsum(Handle, dim, out var r), r);

    public Tensor bmm(Tensor other) => From(Native.aip_bmm(Handle, other.Handle, out var r), r);

    public Tensor transpose(long dim0, long dim1) => From(Native.aip_transpose(Handle, dim0, dim1, out var r), r);

    public Tensor unsqueeze(long dim) => From(Native.aip_unsqueeze(Handle, dim, out var r), r);

    public Tensor squeeze(long dim) => From(Native.aip_squeeze_dim(Handle, dim, out var r), r);

    /// <summary>A broadcast view of this tensor at <paramref name="shape"/> (-1 keeps a dimension).</summary>
    public Tensor expand(params long[] shape)
    {
        fixed (long* s = shape) return From(Native.aip_expand(Handle, s, shape.Length, out var r), r);
    }

    public Tensor logical_or(Tensor other) => From(Native.aip_logical_or(Handle, other.Handle, out var r), r);

    public Tensor logical_not() => From(Native.aip_logical_not(Handle, out var r), r);
}

public static unsafe partial class torch
{
    /// <summary>Elements of <paramref name="a"/> where <paramref name="condition"/> holds, else of <paramref name="b"/> (broadcast).</summary>
    public static Tensor where(Tensor condition, Tensor a, Tensor b) =>
        Tensor.From(Native.aip_where(condition.Handle, a.Handle, b.Handle, out var r), r);

    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);

    public static Tensor einsum(string equation, params Tensor[] operands)
    {
        var handles = operands.Select(t => t.Handle).ToArray();
        fixed (IntPtr* h = handles) return Tensor.From(Native.aip_einsum(equation, h, handles.Length, out var r), r);
    }

    public static Tensor gather(Tensor input, long dim, Tensor index) => input.gather(dim, index);

    public static Tensor scatter(Tensor input, long dim, Tensor index, Tensor source) => input.scatter(dim, index, source);

    public static (Tensor values, Tensor indices) topk(Tensor input, long k, long dim = -1, bool largest = true, bool sorted = true) =>
        input.topk(k, dim, largest, sorted);

    public static Tensor cumsum(Tensor input, long dim) => input.cumsum(dim);

    public static Tensor masked_fill(Tensor input, Tensor mask, double value) => input.masked_fill(mask, value);

    public static Tensor transpose(Tensor input, long dim0, long dim1) => input.transpose(dim0, dim1);
}

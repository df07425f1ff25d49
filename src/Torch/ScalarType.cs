namespace AiPlatform.Torch;

/// <summary>Element types; the numbers are the shim's codes.</summary>
public enum ScalarType
{
    Float32 = 0,
    Float64 = 1,
    Int64 = 2,
    Bool = 3,
    Int32 = 4,
    Byte = 5,
}

internal static class ScalarTypes
{
    public static ScalarType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? ScalarType.Float32
        : typeof(T) == typeof(double) ? ScalarType.Float64
        : typeof(T) == typeof(long) ? ScalarType.Int64
        : typeof(T) == typeof(bool) ? ScalarType.Bool
        : typeof(T) == typeof(int) ? ScalarType.Int32
        : typeof(T) == typeof(byte) ? ScalarType.Byte
        : throw new NotSupportedException($"tensors of {typeof(T).Name} are not supported");
}

using System.Text.Json;

namespace AiPlatform.ScriptApi;

/// <summary>
/// The rows of a tabular predict request, <c>{"inputs": [[f1, ..., fn], ...]}</c>, as one row-major block of
/// <see cref="Count"/> x <see cref="Features"/> floats: ready to become a tensor, and to be joined with the rows of the
/// other requests of a batch.
/// </summary>
public sealed record FeatureRows(float[] Values, int Count, int Features)
{
    /// <exception cref="InvalidInputException">The field is missing, or a row is not <paramref name="features"/> finite numbers.</exception>
    public static FeatureRows Parse(JsonElement body, int features, string field = "inputs", int maxRows = 4096)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(field, out var rows))
            throw new InvalidInputException($"request body must be a JSON object with '{field}': an array of rows of {features} numbers");
        if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() < 1 || rows.GetArrayLength() > maxRows)
            throw new InvalidInputException($"field '{field}' must be an array of 1 to {maxRows} rows");
        var values = new float[rows.GetArrayLength() * features];
        var r = 0;
        foreach (var row in rows.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != features)
                throw new InvalidInputException($"field '{field}[{r}]' must be an array of {features} numbers");
            var c = 0;
            foreach (var item in row.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetSingle(out var value) || !float.IsFinite(value))
                    throw new InvalidInputException($"field '{field}[{r}][{c}]' must be a finite number");
                values[r * features + c++] = value;
            }
            r++;
        }
        return new FeatureRows(values, r, features);
    }
}

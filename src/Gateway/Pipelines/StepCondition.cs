using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// A step's <c>when</c>: comparisons (<c>== != &lt; &lt;= &gt; &gt;=</c>) of references and literals (numbers, 'strings',
/// true, false, null), joined by <c>&amp;&amp;</c> and <c>||</c>, with parentheses. A lone operand is true when it is
/// true, a non-zero number or a non-empty string.
/// </summary>
public sealed class StepCondition
{
    private readonly List<string> _tokens;
    private int _position;
    private StepReferences.Lookup _lookup = _ => null;

    // Inside the side of an || or && that cannot change the answer: parsed, but references are not looked up, so
    // `${steps.p.result.found} == false || ${steps.p.result.metrics.x} > 1` holds even when p found nothing.
    private bool _shortCircuited;

    private StepCondition(List<string> tokens) => _tokens = tokens;

    /// <summary>Checks the syntax without evaluating anything.</summary>
    public static string? SyntaxError(string text)
    {
        try
        {
            var condition = new StepCondition(Tokenize(text)) { _lookup = _ => JsonValue.Create(0) };
            condition.Evaluate();
            return null;
        }
        catch (FormatException e)
        {
            return $"'when' is not a condition: {e.Message}";
        }
    }

    public static bool Evaluate(string text, StepReferences.Lookup lookup) => new StepCondition(Tokenize(text)) { _lookup = lookup }.Evaluate();

    private bool Evaluate()
    {
        var value = Or();
        if (_position != _tokens.Count) throw new FormatException($"unexpected '{_tokens[_position]}'");
        return Truthy(value);
    }

    private JsonNode? Or()
    {
        var left = And();
        while (Accept("||"))
        {
            var decided = Truthy(left);
            var right = Unless(decided, And);
            left = JsonValue.Create(decided || Truthy(right));
        }
        return left;
    }

    private JsonNode? And()
    {
        var left = Comparison();
        while (Accept("&&"))
        {
            var holds = Truthy(left);
            var right = Unless(!holds, Comparison);
            left = JsonValue.Create(holds && Truthy(right));
        }
        return left;
    }

    /// <summary>Parses the next operand, looking nothing up when <paramref name="decided"/> already settles the answer.</summary>
    private JsonNode? Unless(bool decided, Func<JsonNode?> operand)
    {
        var outer = _shortCircuited;
        _shortCircuited |= decided;
        try
        {
            return operand();
        }
        finally
        {
            _shortCircuited = outer;
        }
    }

    private JsonNode? Comparison()
    {
        var left = Operand();
        foreach (var op in new[] { "==", "!=", "<=", ">=", "<", ">" })
            if (Accept(op)) return JsonValue.Create(Compare(left, op, Operand()));
        return left;
    }

    private JsonNode? Operand()
    {
        if (_position >= _tokens.Count) throw new FormatException("it ends where a value is expected");
        var token = _tokens[_position++];
        if (token == "(")
        {
            var inner = Or();
            if (!Accept(")")) throw new FormatException("a '(' is not closed");
            return inner;
        }
        if (token.StartsWith("${", StringComparison.Ordinal))
        {
            var (references, error) = StepReferences.Find(token);
            if (error is not null || references.Count != 1) throw new FormatException(error ?? $"'{token}' is not a reference");
            return _shortCircuited ? null : _lookup(references[0]);
        }
        if (token[0] is '\'' or '"') return JsonValue.Create(token[1..^1]);
        if (token is "true" or "false") return JsonValue.Create(token == "true");
        if (token == "null") return null;
        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return JsonValue.Create(number);
        throw new FormatException($"'{token}' is not a reference, number, quoted string, true, false or null");
    }

    private bool Accept(string token)
    {
        if (_position >= _tokens.Count || _tokens[_position] != token) return false;
        _position++;
        return true;
    }

    private static bool Compare(JsonNode? left, string op, JsonNode? right)
    {
        if (Number(left) is { } a && Number(right) is { } b)
            return op switch { "==" => a == b, "!=" => a != b, "<" => a < b, "<=" => a <= b, ">" => a > b, _ => a >= b };
        var (x, y) = (StepReferences.AsText(left), StepReferences.AsText(right));
        var order = string.CompareOrdinal(x, y);
        return op switch { "==" => order == 0, "!=" => order != 0, "<" => order < 0, "<=" => order <= 0, ">" => order > 0, _ => order >= 0 };
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null;

    private static bool Truthy(JsonNode? node) => node switch
    {
        null => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Number(v) != 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length > 0,
        _ => true,
    };

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        for (var i = 0; i < text.Length;)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            int end;
            if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
                end = text.IndexOf('}', i) is var close and >= 0 ? close + 1 : throw new FormatException("a '${' is not closed");
            else if (c is '\'' or '"')
                end = text.IndexOf(c, i + 1) is var close and >= 0 ? close + 1 : throw new FormatException("a string is not closed");
            else if (i + 1 < text.Length && text.Substring(i, 2) is "==" or "!=" or "<=" or ">=" or "&&" or "||")
                end = i + 2;
            else if (c is '<' or '>' or '(' or ')')
                end = i + 1;
            else
            {
                end = i;
                while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] is '.' or '-' or '+' or '_')) end++;
                if (end == i) throw new FormatException($"unexpected '{c}'");
            }
            tokens.Add(text[i..end]);
            i = end;
        }
        return tokens;
    }
}

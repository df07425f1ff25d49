using System.Text.RegularExpressions;

namespace AiPlatform.Gateway.Api;

/// <summary>Rewords ASP.NET Core's parameter-binding failures in the API's terms: which parameter, which value.</summary>
public static partial class BindingErrors
{
    // e.g. Failed to bind parameter "int? limit" from "abc".
    [GeneratedRegex("""\AFailed to bind parameter "(?<type>[^"]*?)\??\s(?<name>\w+)" from "(?<value>.*)"\.\z""", RegexOptions.Singleline)]
    private static partial Regex FailedToBind();

    public static string Describe(string message)
    {
        var match = FailedToBind().Match(message);
        if (!match.Success) return message;
        var type = match.Groups["type"].Value.TrimEnd('?');
        var expected = type switch
        {
            "int" or "long" => "an integer",
            "Guid" => "a UUID",
            "bool" => "true or false",
            "DateTimeOffset" or "DateTime" => "a date and time",
            _ => $"a {type}",
        };
        return $"parameter '{match.Groups["name"].Value}' must be {expected}; got '{match.Groups["value"].Value}'";
    }
}

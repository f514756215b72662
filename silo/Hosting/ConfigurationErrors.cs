using System.Text.RegularExpressions;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// A setting of the wrong kind ("Ingestion:ShardCount=abc") as one line that names it and says what it takes, instead of
/// the configuration binder's exception and stack trace.
/// </summary>
public static partial class ConfigurationErrors
{
    /// <summary>The sentence for a binder failure in <paramref name="exception"/>'s chain; null when there is none.</summary>
    public static string? Describe(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is InvalidOperationException && BinderFailure().Match(e.Message) is { Success: true } match)
            {
                var (value, key, type) = (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
                return $"{key} must be {Expected(type)}; it was '{value}'.";
            }
        }

        return null;
    }

    private static string Expected(string typeName)
    {
        var type = Type.GetType(typeName) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            { IsEnum: true } => $"one of {string.Join(", ", Enum.GetNames(type))}",
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(TimeSpan) => "a duration such as 00:05:00",
            _ when type == typeof(Uri) => "a URL",
            _ => "a value of another kind",
        };
    }

    [GeneratedRegex("^Failed to convert configuration value '(.*)' at '(.*)' to type '(.*)'\\.$", RegexOptions.Singleline)]
    private static partial Regex BinderFailure();
}

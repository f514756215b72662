using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrleansRag.Bench;

/// <summary>
/// An answer-quality set (bench/data/answers-dev layout): documents under docs/, and questions.json with each question's
/// document, kind and facts (each fact a list of alternatives), plus questions no document answers. The scoring rule:
/// an answer is complete when, for every fact, one of its alternatives appears in the answer's text (case and white
/// space aside, citation markers and code backticks removed: facts are text, and a command that spans two lines of a
/// code block is one fact). Shared by the benchmark and the CI test (linked into the test project).
/// </summary>
internal static partial class AnswerFacts
{
    internal sealed record Question(string Id, string Doc, string Kind, string Text, string[][] Facts);

    internal sealed record Set(IReadOnlyList<Question> Questions, IReadOnlyList<string> Unanswerable, IReadOnlyList<string> Documents);

    public static Set Load(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "questions.json")));
        var questions = json.RootElement.GetProperty("questions").EnumerateArray().Select(q => new Question(
            q.GetProperty("id").GetString()!, q.GetProperty("doc").GetString()!, q.GetProperty("kind").GetString()!, q.GetProperty("question").GetString()!,
            [.. q.GetProperty("facts").EnumerateArray().Select(f => f.EnumerateArray().Select(a => a.GetString()!).ToArray())])).ToList();
        var unanswerable = json.RootElement.TryGetProperty("unanswerable", out var none) ? none.EnumerateArray().Select(q => q.GetString()!).ToList() : [];
        return new Set(questions, unanswerable, [.. Directory.EnumerateFiles(Path.Combine(folder, "docs")).Order(StringComparer.Ordinal)]);
    }

    /// <summary>How many of the facts the answer names.</summary>
    public static int Found(string answer, string[][] facts)
    {
        var text = Normalize(Marker().Replace(answer, "").Replace("`", "", StringComparison.Ordinal));
        return facts.Count(alternatives => alternatives.Any(a => text.Contains(Normalize(a), StringComparison.Ordinal)));
    }

    private static string Normalize(string text) => Space().Replace(text, " ").Trim().ToLowerInvariant();

    [GeneratedRegex(@" ?\[\d+\]")]
    private static partial Regex Marker();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Space();
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace OrleansRag.Generation;

/// <summary>
/// Maps the [n] markers of a model's answer back to the prompt's sources: markers are renumbered by first
/// appearance so citations run 1..m, and markers that point to no source are dropped and counted.
/// </summary>
public static partial class CitationMapper
{
    /// <param name="text">The model's answer.</param>
    /// <param name="sources">The sources as numbered in the prompt.</param>
    /// <param name="renumber">Renumber 1..m by first appearance; false keeps the prompt's numbers (streamed text already showed them).</param>
    public static (GeneratedAnswer Answer, int DroppedMarkers) Map(string text, IReadOnlyList<NumberedSource> sources, bool renumber = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sources);
        var byNumber = sources.ToDictionary(s => s.N);
        var renumbered = new Dictionary<int, int>();
        var citations = new List<Citation>();
        var dropped = 0;
        var mapped = Marker().Replace(text, match =>
        {
            var kept = new List<int>();
            foreach (var part in match.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || !byNumber.TryGetValue(n, out var source))
                {
                    dropped++;
                    continue;
                }

                if (!renumbered.TryGetValue(n, out var m))
                {
                    m = renumbered[n] = renumber ? citations.Count + 1 : n;
                    citations.Add(new Citation(m, source.Hit.DocumentId, source.Hit.Title, source.Hit.ChunkIndex, Snippet(source.Text), source.Hit.Score, source.Hit.Page));
                }

                kept.Add(m);
            }

            return kept.Count == 0 ? "" : string.Concat(kept.Distinct().Select(m => $"[{m}]"));
        });

        return (new GeneratedAnswer(Whitespace().Replace(mapped, " ").Replace(" .", ".", StringComparison.Ordinal).Trim(), citations), dropped);
    }

    private static string Snippet(string text) => text.Length <= 300 ? text : text[..300] + "…";

    [GeneratedRegex(@"\[(\d+(?:\s*,\s*\d+)*)\]")]
    private static partial Regex Marker();

    [GeneratedRegex(@"[ \t]{2,}")]
    private static partial Regex Whitespace();
}

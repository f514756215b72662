using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace OrleansRag.Generation.Rerank;

/// <summary>
/// Listwise reranking by the configured language model (as RankGPT does): the question and the numbered candidates
/// (each cut to <see cref="RerankOptions.PassageCharacters"/>) in one prompt, and the model names them best first
/// ("3, 1, 2"). Numbers it leaves out keep their fused order after the ones it named; a reply that names none fails.
/// </summary>
public sealed partial class LanguageModelReranker(LanguageModelGenerator model, RerankOptions options) : IReranker
{
    public string Name => "language model";

    public async Task<int[]> OrderAsync(string question, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var reply = await model.CompleteAsync(Prompt(question, hits, options.PassageCharacters), maxOutputTokens: 8 * hits.Count + 16, cancellationToken);
        return Parse(reply, hits.Count);
    }

    /// <summary>The prompt: what to do, the question, and the passages numbered from 1.</summary>
    public static IReadOnlyList<ChatMessage> Prompt(string question, IReadOnlyList<SearchHit> hits, int passageCharacters)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var passages = new StringBuilder();
        for (var i = 0; i < hits.Count; i++)
        {
            var text = hits[i].Text.Length > passageCharacters ? hits[i].Text[..passageCharacters] + "…" : hits[i].Text;
            passages.Append(CultureInfo.InvariantCulture, $"[{i + 1}] {hits[i].Title}: {text.ReplaceLineEndings(" ")}\n");
        }

        return
        [
            new(ChatRole.System, "You rank passages by how well they answer a question. Reply with the passage numbers only, the most relevant first, separated by commas (for example: 3, 1, 2). Leave out passages that do not help."),
            new(ChatRole.User, $"Question: {question}\n\nPassages:\n{passages}\nRanking:"),
        ];
    }

    /// <summary>The order a reply gives: the numbers it names (1-based, in range, each once), then the rest in their order.</summary>
    public static int[] Parse(string reply, int count)
    {
        ArgumentNullException.ThrowIfNull(reply);
        // "[3] > [1]" and "1. Passage 3" name passages by their marks; a bare "3, 1, 2" by its numbers.
        var marked = Marked().Matches(reply);
        var matches = marked.Count > 0 ? marked.Select(m => m.Groups[1]) : Number().Matches(reply).Select(m => (Group)m);
        var named = new List<int>();
        foreach (var match in matches)
        {
            if (int.TryParse(match.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= count && !named.Contains(n - 1))
            {
                named.Add(n - 1);
            }
        }

        if (named.Count == 0)
        {
            throw new InvalidOperationException($"the model's ranking named no passage (it replied \"{RagValidation.Truncate(reply.Trim())}\")");
        }

        return [.. named, .. Enumerable.Range(0, count).Where(i => !named.Contains(i))];
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();

    [GeneratedRegex(@"(?:\[|\bpassages?\s*#?)(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex Marked();
}

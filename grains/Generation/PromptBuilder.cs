using System.Text;
using Microsoft.Extensions.AI;
using OrleansRag.Ingestion;

namespace OrleansRag.Generation;

/// <summary>A source as numbered in the prompt.</summary>
public sealed record NumberedSource(int N, SearchHit Hit, string Text, bool Truncated);

/// <summary>
/// Builds the chat prompt: numbered sources that fit a token budget (strongest first; the weakest are dropped,
/// and a source is cut only at a sentence end, marked "[truncated]"), and instructions to cite them as [n].
/// </summary>
public sealed class PromptBuilder(Func<string, int> countTokens, int budgetTokens)
{
    public const string SystemPrompt =
        "You answer questions using only the numbered sources provided. After every sentence that uses a source, " +
        "cite it as [n] with the source's number, e.g. \"Grains are virtual actors [1].\" If the sources do not " +
        "contain the answer, say that you could not find it. Do not invent sources or numbers.";

    public (IReadOnlyList<ChatMessage> Messages, IReadOnlyList<NumberedSource> Sources) Build(string question, IEnumerable<SearchHit> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var sources = new List<NumberedSource>();
        var used = countTokens(question);
        foreach (var hit in hits.OrderByDescending(h => h.Score).ThenBy(h => h.ChunkId, StringComparer.Ordinal))
        {
            var tokens = countTokens(hit.Text) + 8;
            if (used + tokens <= budgetTokens)
            {
                sources.Add(new NumberedSource(sources.Count + 1, hit, hit.Text, false));
                used += tokens;
            }
            else if (sources.Count == 0)
            {
                // Even the strongest source does not fit: keep whole sentences while they fit, and say so.
                var kept = new StringBuilder();
                foreach (var sentence in SentenceSplitter.SplitText(hit.Text))
                {
                    if (used + countTokens(kept + " " + sentence) + 8 > budgetTokens)
                    {
                        break;
                    }

                    kept.Append(kept.Length > 0 ? " " : "").Append(sentence);
                }

                if (kept.Length > 0)
                {
                    sources.Add(new NumberedSource(1, hit, kept + " [truncated]", true));
                }

                break;
            }
        }

        var user = new StringBuilder("Sources:\n");
        foreach (var source in sources)
        {
            user.Append('[').Append(source.N).Append("] ").Append(source.Hit.Title).Append('\n').Append(source.Text).Append("\n\n");
        }

        user.Append("Question: ").Append(question);
        return ([new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, user.ToString())], sources);
    }
}

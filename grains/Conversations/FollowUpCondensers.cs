using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using OrleansRag.Embedding;
using OrleansRag.Generation;

namespace OrleansRag.Conversations;

/// <summary>A follow-up as it will be answered: the standalone question and how it was made.</summary>
/// <param name="Question">The question retrieval and generation see.</param>
/// <param name="Rewritten">True when it differs from what was asked.</param>
/// <param name="Method">"none", "keywords" or "model".</param>
public sealed record CondensedQuestion(string Question, bool Rewritten, string Method)
{
    public static CondensedQuestion Unchanged(string question) => new(question, false, "none");
}

/// <summary>Turns a follow-up question into one that retrieval can answer without the conversation.</summary>
public interface IFollowUpCondenser
{
    /// <param name="question">The new question.</param>
    /// <param name="history">Earlier turns, oldest first; empty for the first question.</param>
    /// <param name="cancellationToken">Stops a model call.</param>
    Task<CondensedQuestion> CondenseAsync(string question, IReadOnlyList<ChatTurn> history, CancellationToken cancellationToken);
}

/// <summary>Answers every question as it is written (<c>Conversations:Condense</c> = Off).</summary>
public sealed class NoFollowUpCondenser : IFollowUpCondenser
{
    public Task<CondensedQuestion> CondenseAsync(string question, IReadOnlyList<ChatTurn> history, CancellationToken cancellationToken) =>
        Task.FromResult(CondensedQuestion.Unchanged(question));
}

/// <summary>
/// The offline rewrite, deterministic and cheap (no model, no embedding): a follow-up that cannot stand alone — it
/// refers back (it, they, this, those…), continues the last question ("and…", "what about…") or has at most one
/// word of its own — gets the subject of the most recent turn appended in parentheses: the names in its question
/// (capitalised words, identifiers such as "bzip2" or "--keep", and words the question shares with the title of the
/// document its answer cited first), plus the subject that turn itself carried when it was a follow-up too. Only
/// the subject travels, not the aspect asked about before ("placement"), so the follow-up's own words still decide
/// what is retrieved. A question that stands alone is left as it is, so single questions answer exactly as an ask.
/// </summary>
public sealed partial class KeywordFollowUpCondenser : IFollowUpCondenser
{
    /// <summary>Most terms carried over.</summary>
    public const int MaxTerms = 6;

    /// <summary>Content words of the last question taken when it names nothing recognisable as its subject.</summary>
    private const int FallbackTerms = 3;

    /// <summary>Words that point back to something said before.</summary>
    private static readonly HashSet<string> Referring = new(StringComparer.Ordinal)
    {
        "it", "its", "it's", "itself", "they", "them", "their", "theirs", "themselves", "this", "these", "those",
        "he", "him", "his", "she", "her", "hers", "former", "latter", "same", "another",
    };

    /// <summary>Openings that continue the previous question.</summary>
    private static readonly string[] Continuations =
    [
        "and ", "but ", "or ", "also ", "so ", "then ", "what about ", "how about ", "what else", "anything else",
        "tell me more", "more about", "why not", "why?", "how come", "in that case", "same for ", "what if ",
    ];

    /// <summary>Function words, question words and verbs too general to say what a question is about.</summary>
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "but", "if", "then", "else", "so", "of", "in", "on", "at", "to", "for", "from",
        "by", "with", "without", "about", "into", "onto", "over", "under", "as", "than", "too", "very", "just", "also",
        "not", "no", "yes", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "done",
        "have", "has", "had", "having", "can", "could", "should", "would", "will", "shall", "may", "might", "must",
        "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "that", "there", "here", "i", "me", "my",
        "we", "us", "our", "you", "your", "one", "ones", "some", "any", "all", "each", "every", "other", "others",
        "more", "most", "less", "many", "much", "few", "such", "own", "only", "again", "else", "way", "ways", "thing",
        "things", "use", "used", "uses", "using", "work", "works", "mean", "means", "get", "gets", "make", "makes",
        "need", "needs", "want", "know", "tell", "explain", "describe", "show", "give", "like", "please", "now",
        "let", "lets", "let's", "there's", "what's", "how's", "it's", "i'm", "don't", "doesn't", "can't", "difference",
        "kind", "kinds", "type", "types", "example", "examples", "happen", "happens", "instead", "well", "still",
    };

    public Task<CondensedQuestion> CondenseAsync(string question, IReadOnlyList<ChatTurn> history, CancellationToken cancellationToken) =>
        Task.FromResult(Condense(question, history));

    public static CondensedQuestion Condense(string question, IReadOnlyList<ChatTurn> history)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0 || !NeedsContext(question))
        {
            return CondensedQuestion.Unchanged(question);
        }

        var present = Words(question).ToHashSet(StringComparer.Ordinal);
        var terms = new List<string>();
        foreach (var word in SubjectOf(history[^1]))
        {
            if (terms.Count < MaxTerms && present.Add(word))
            {
                terms.Add(word);
            }
        }

        var rewrite = $"{question.Trim()} ({string.Join(' ', terms)})";
        return terms.Count == 0 || rewrite.Length > RagConstants.MaxQueryLength
            ? CondensedQuestion.Unchanged(question)
            : new CondensedQuestion(rewrite, true, "keywords");
    }

    /// <summary>
    /// What a turn was about: the subject it carried (when it was itself rewritten by this class), then the names in its
    /// question; when it names nothing recognisable, its first content words.
    /// </summary>
    public static IEnumerable<string> SubjectOf(ChatTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var subject = new List<string>();
        if (turn.StandaloneQuestion is { } standalone && standalone.EndsWith(')')
            && standalone.StartsWith(turn.Question.Trim(), StringComparison.Ordinal) && standalone.Length > turn.Question.Trim().Length + 2)
        {
            subject.AddRange(Words(standalone[(turn.Question.Trim().Length + 2)..^1]));
        }

        // The title's words, and the parts of its compound ones ("git-fetch", "pg_dump"); its first word names the subject
        // even when it is a common word ("more - file perusal filter").
        var titleWords = Words(turn.CitedTitle ?? "");
        var title = titleWords.Concat(titleWords.SelectMany(w => w.Split(['-', '_', '.'], StringSplitOptions.RemoveEmptyEntries))).ToHashSet(StringComparer.Ordinal);
        var titleName = titleWords.FirstOrDefault();
        var names = WordPattern().Matches(turn.Question).Select(m => m.Value).ToList(); // as written: case tells names
        var named = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var word = names[i].ToLowerInvariant().TrimEnd('.', '\'', '-', '_');
            var capitalised = i > 0 && char.IsUpper(names[i][0]); // a question's first word is capitalised anyway
            var identifier = word.Any(char.IsDigit) || word.StartsWith('-') || word.Contains('.', StringComparison.Ordinal) || word.Contains('_', StringComparison.Ordinal);
            if ((IsContent(word) && (capitalised || identifier || title.Contains(word))) || (word == titleName && word.Length > 1))
            {
                named.Add(word);
            }
        }

        subject.AddRange(Words(turn.Question).Where(named.Contains));
        if (subject.Count == 0)
        {
            subject.AddRange(Words(turn.Question).Where(IsContent).Take(FallbackTerms));
        }

        return subject.Distinct(StringComparer.Ordinal);
    }

    /// <summary>Whether a question leans on what was said before.</summary>
    public static bool NeedsContext(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var lowered = question.Trim().ToLowerInvariant();
        if (Continuations.Any(c => lowered.StartsWith(c, StringComparison.Ordinal)))
        {
            return true;
        }

        var words = Words(lowered);
        return words.Any(Referring.Contains) || words.Count(IsContent) <= 1;
    }

    private static bool IsContent(string word) => word.Length > 1 && !StopWords.Contains(word) && !Referring.Contains(word);

    /// <summary>Lower-case words: letters and digits, with inner apostrophes, dots, dashes and underscores (e.g. "bzip2", "--keep", "node.js").</summary>
    private static List<string> Words(string text) =>
        [.. WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value.TrimEnd('.', '\'', '-', '_'))];

    [GeneratedRegex(@"-{0,2}[\p{L}\p{N}][\p{L}\p{N}'._-]*")]
    private static partial Regex WordPattern();
}

/// <summary>
/// The rewrite by the configured language model: one prompt (<see cref="SystemPrompt"/>, built in
/// <see cref="BuildMessages"/>), with as many of the newest turns as fit <c>Conversations:HistoryTokenBudget</c>.
/// When the model fails or answers nothing usable, the offline rewrite stands in.
/// </summary>
public sealed class LanguageModelFollowUpCondenser(LanguageModelGenerator model, EmbeddingService embeddings, int historyTokenBudget) : IFollowUpCondenser
{
    public const string SystemPrompt =
        "You rewrite the last question of a conversation as a standalone question that can be understood without the " +
        "conversation. Replace pronouns and references (it, they, this, the second one) with what they refer to, and keep " +
        "every detail the question asks for. If the question already stands alone, return it unchanged. Do not answer it. " +
        "Reply with the rewritten question only.";

    /// <summary>Longest answer text of an earlier turn put into the prompt.</summary>
    public const int MaxAnswerChars = 600;

    public async Task<CondensedQuestion> CondenseAsync(string question, IReadOnlyList<ChatTurn> history, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
        {
            return CondensedQuestion.Unchanged(question);
        }

        var tokenizer = (await embeddings.GetModelAsync()).Tokenizer;
        string reply;
        try
        {
            reply = await model.CompleteAsync(BuildMessages(question, history, tokenizer.CountTokens, historyTokenBudget), maxOutputTokens: 200, cancellationToken);
        }
        catch (LanguageModelUnavailableException exception)
        {
            Activity.Current?.SetTag("orleansrag.condense.fallback", exception.Message);
            return KeywordFollowUpCondenser.Condense(question, history);
        }

        var rewrite = Clean(reply);
        if (rewrite.Length == 0)
        {
            return KeywordFollowUpCondenser.Condense(question, history);
        }

        return string.Equals(rewrite, question.Trim(), StringComparison.OrdinalIgnoreCase)
            ? CondensedQuestion.Unchanged(question)
            : new CondensedQuestion(rewrite, true, "model");
    }

    /// <summary>The prompt: the system instruction, then the newest turns that fit the budget and the question.</summary>
    public static IReadOnlyList<ChatMessage> BuildMessages(string question, IReadOnlyList<ChatTurn> history, Func<string, int> countTokens, int historyTokenBudget)
    {
        ArgumentNullException.ThrowIfNull(countTokens);
        var window = ConversationHistory.Window(history, countTokens, historyTokenBudget, MaxAnswerChars);
        var text = new StringBuilder("Conversation:\n");
        foreach (var turn in window)
        {
            text.Append("User: ").Append(turn.Question.Trim()).Append('\n');
            text.Append("Assistant: ").Append(ConversationHistory.Shorten(turn.Answer, MaxAnswerChars)).Append('\n');
        }

        text.Append("\nLast question: ").Append(question.Trim());
        return [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, text.ToString())];
    }

    /// <summary>The first non-empty line of the reply, without a label or quotes, at most the longest query allowed.</summary>
    private static string Clean(string reply)
    {
        var line = reply.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        foreach (var label in new[] { "standalone question:", "rewritten question:", "question:" })
        {
            if (line.StartsWith(label, StringComparison.OrdinalIgnoreCase))
            {
                line = line[label.Length..].Trim();
            }
        }

        line = line.Trim('"', '\'', '“', '”', '`').Trim();
        return line.Length > RagConstants.MaxQueryLength ? line[..RagConstants.MaxQueryLength] : line;
    }
}

/// <summary>Which earlier turns are sent along with a follow-up.</summary>
public static class ConversationHistory
{
    /// <summary>The newest turns whose question and (shortened) answer fit <paramref name="budgetTokens"/>, oldest first.</summary>
    public static IReadOnlyList<ChatTurn> Window(IReadOnlyList<ChatTurn> history, Func<string, int> countTokens, int budgetTokens, int maxAnswerChars)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(countTokens);
        var used = 0;
        var start = history.Count;
        for (var i = history.Count - 1; i >= 0; i--)
        {
            var cost = countTokens(history[i].Question) + countTokens(Shorten(history[i].Answer, maxAnswerChars));
            if (used + cost > budgetTokens)
            {
                break;
            }

            used += cost;
            start = i;
        }

        return [.. history.Skip(start)];
    }

    /// <summary>The text cut at a word boundary to at most <paramref name="maxChars"/>, with an ellipsis when cut.</summary>
    public static string Shorten(string text, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length <= maxChars)
        {
            return text;
        }

        var cut = text.LastIndexOf(' ', maxChars);
        return string.Concat(text.AsSpan(0, cut > maxChars / 2 ? cut : maxChars), "…");
    }
}

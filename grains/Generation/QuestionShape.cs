using System.Text.RegularExpressions;

namespace OrleansRag.Generation;

/// <summary>What a question asks for, which decides what a complete extractive answer must hold.</summary>
public enum QuestionKind
{
    /// <summary>A plain fact.</summary>
    Fact,

    /// <summary>A set of rules, steps or items: the list, not the sentence that introduces it.</summary>
    List,

    /// <summary>"What is X?": the sentence that defines X.</summary>
    Definition,

    /// <summary>"How do I …?", "Which command …?": the command or code line that does it.</summary>
    Procedure,

    /// <summary>"The difference between A and B": both sides.</summary>
    Comparison,
}

/// <summary>
/// A question's kind and what it is about: the term a definition asks for, or the two sides of a comparison. English
/// phrasings only; anything else is a <see cref="QuestionKind.Fact"/>, which the generator answers as before.
/// </summary>
public sealed partial record class QuestionShape(QuestionKind Kind, string? Term = null, string? SideA = null, string? SideB = null)
{
    public static QuestionShape Of(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        // A question's kind is in its first words: a long text is judged by its first MaxLength characters.
        var text = Space().Replace(question.Trim(), " ");
        text = (text.Length > MaxLength ? text[..MaxLength] : text).TrimEnd('?', '.', '!', ' ');
        foreach (var pattern in new[] { Between(), Versus(), DifferFrom(), Compare(), AndDiffer() })
        {
            if (pattern == Versus() && !text.Contains(" vs", StringComparison.OrdinalIgnoreCase) && !text.Contains("versus", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (pattern.Match(text) is { Success: true } match)
            {
                return new QuestionShape(QuestionKind.Comparison, SideA: Subject(match.Groups["a"].Value), SideB: Subject(match.Groups["b"].Value));
            }
        }

        if (ListWords().IsMatch(text))
        {
            return new QuestionShape(QuestionKind.List);
        }

        if (Procedure().IsMatch(text))
        {
            return new QuestionShape(QuestionKind.Procedure);
        }

        return Definition().Match(text) is { Success: true } definition
            ? new QuestionShape(QuestionKind.Definition, Term: Subject(definition.Groups["x"].Value))
            : new QuestionShape(QuestionKind.Fact);
    }

    /// <summary>The characters of a question its kind is judged by.</summary>
    public const int MaxLength = 300;

    /// <summary>A phrase without its leading article and a trailing "in Python"-like context.</summary>
    private static string Subject(string phrase)
    {
        var subject = Article().Replace(phrase.Trim(), "");
        subject = Context().Replace(subject, "");
        return subject.Trim().Trim('"', '\'', '“', '”', '`');
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Space();

    [GeneratedRegex(@"\bdifferences? between (?<a>.+?) and (?<b>.+)$", RegexOptions.IgnoreCase)]
    private static partial Regex Between();

    [GeneratedRegex(@"^(?:.*?\b(?:is|are|use|choose|prefer|pick)\s+)?(?<a>.+?)\s+(?:vs\.?|versus)\s+(?<b>.+)$", RegexOptions.IgnoreCase)]
    private static partial Regex Versus();

    [GeneratedRegex(@"^how (?:does|do|is|are|did) (?<a>.+?) differ(?:ent)? from (?<b>.+?)(?: in .+)?$", RegexOptions.IgnoreCase)]
    private static partial Regex DifferFrom();

    [GeneratedRegex(@"^(?:how (?:does|do) )?(?<a>.+?) compare (?:to|with) (?<b>.+)$|^compare (?<a>.+?) (?:and|with|to) (?<b>.+)$", RegexOptions.IgnoreCase)]
    private static partial Regex Compare();

    [GeneratedRegex(@"^how (?:do|does) (?<a>.+?) and (?<b>.+?) differ(?: in .+)?$", RegexOptions.IgnoreCase)]
    private static partial Regex AndDiffer();

    [GeneratedRegex(@"\b(?:steps?|rules|ways|points|options|kinds|types|formats|limits|list|items|conditions|cases|benefits|advantages|disadvantages|requirements|locations|places|stages|phases|parts|fields|categories|restrictions|guidelines|properties|characteristics|reasons)\b|^(?:what|which) are the\b|\bstep by step\b|^in (?:what|which) (?:order|ways?)\b|\b(?:consists? of|made up of|composed of)\b|^(?:which|what) (?:\w+ ){0,2}\w+s (?:are|does|do|can|may|must|should|did|will)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ListWords();

    [GeneratedRegex(@"^(?:how (?:do|can|should|would|could|might) (?:i|you|we|one)\b|how to\b|(?:which|what) (?:command|function|method|option|flag|switch|syntax|code)\b|what (?:should|do|can) (?:i|you|we) (?:use|run|type|write|call)\b)", RegexOptions.IgnoreCase)]
    private static partial Regex Procedure();

    [GeneratedRegex(@"^(?:what(?:'s| is| are| was| does| do)|define|explain|describe|who (?:is|are))\s+(?<x>.+?)(?:\s+(?:used for|for|mean|means|do|does|stand for|refer to))?$", RegexOptions.IgnoreCase)]
    private static partial Regex Definition();

    [GeneratedRegex(@"^(?:an?|the)\s+", RegexOptions.IgnoreCase)]
    private static partial Regex Article();

    [GeneratedRegex(@"\s+(?:in|for|with|on|under|according to)\s+(?:python|git|debian|rust|c#|\.net|java|javascript|the [\w\s]+?)(?:'s [\w\s]+)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Context();
}

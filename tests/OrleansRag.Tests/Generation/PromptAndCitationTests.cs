using OrleansRag.Generation;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Generation;

[Trait("Category", "Unit")]
public sealed class PromptAndCitationTests
{
    private static SearchHit Hit(string doc, string text, float score) => new(doc, 0, doc + "#0", doc.ToUpperInvariant(), text, score);

    private static int Count(string text) => TestModel.Tokenizer.CountTokens(text);

    [Fact]
    public void Sources_are_numbered_strongest_first_and_the_weakest_dropped_to_fit_the_budget()
    {
        var strong = Hit("a", string.Join(' ', Enumerable.Repeat("Strong evidence sentence here.", 10)), 0.9f);
        var middle = Hit("b", string.Join(' ', Enumerable.Repeat("Middle evidence sentence here.", 10)), 0.6f);
        var weak = Hit("c", string.Join(' ', Enumerable.Repeat("Weak evidence sentence here.", 10)), 0.3f);
        var budget = Count("q?") + Count(strong.Text) + Count(middle.Text) + 20;
        var (messages, sources) = new PromptBuilder(Count, budget).Build("q?", [weak, strong, middle]);

        Assert.Equal(["a", "b"], sources.Select(s => s.Hit.DocumentId));
        Assert.Equal([1, 2], sources.Select(s => s.N));
        var user = messages[1].Text;
        Assert.Contains("[1] A\n", user, StringComparison.Ordinal);
        Assert.Contains("[2] B\n", user, StringComparison.Ordinal);
        Assert.DoesNotContain("Weak evidence", user, StringComparison.Ordinal);
        Assert.EndsWith("Question: q?", user, StringComparison.Ordinal);
        Assert.Contains("[n]", messages[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_source_too_long_for_the_budget_is_cut_at_a_sentence_end_and_marked()
    {
        var text = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"Sentence number {i} says something useful."));
        var (_, sources) = new PromptBuilder(Count, 120).Build("question?", [Hit("long", text, 0.8f)]);
        var source = Assert.Single(sources);
        Assert.True(source.Truncated);
        Assert.EndsWith("useful. [truncated]", source.Text, StringComparison.Ordinal);
        Assert.StartsWith("Sentence number 0 says something useful.", source.Text, StringComparison.Ordinal);
        Assert.True(Count(source.Text) <= 120);
    }

    [Fact]
    public void Markers_are_renumbered_by_first_appearance_and_stray_ones_dropped_and_counted()
    {
        NumberedSource[] sources = [new(1, Hit("a", "A text.", 0.9f), "A text.", false), new(2, Hit("b", "B text.", 0.5f), "B text.", false)];
        var (answer, dropped) = CitationMapper.Map("First claim [2]. Second [1, 2]. Third [5]. Fourth [2][9].", sources);
        Assert.Equal("First claim [1]. Second [2][1]. Third. Fourth [1].", answer.Answer);
        Assert.Equal(["b", "a"], answer.Citations.Select(c => c.DocumentId));
        Assert.Equal([1, 2], answer.Citations.Select(c => c.N));
        Assert.Equal(2, dropped);

        var (kept, _) = CitationMapper.Map("Claim [2].", sources, renumber: false);
        Assert.Equal("Claim [2].", kept.Answer);
        Assert.Equal(2, Assert.Single(kept.Citations).N);
    }
}

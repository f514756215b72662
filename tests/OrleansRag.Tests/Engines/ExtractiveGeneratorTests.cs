using System.Text.RegularExpressions;
using OrleansRag.Generation;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Engines;

[Trait("Category", "Unit")]
public sealed partial class ExtractiveGeneratorTests
{
    private static readonly SearchHit[] Sources =
    [
        new("coffee", 0, "coffee#0", "Coffee", "Water between 90 and 96 degrees Celsius extracts flavour well. Boiling water tends to make coffee bitter.", 0.71f),
        new("tea", 0, "tea#0", "Tea", "Green tea is best brewed with water at about 80 degrees Celsius. Black tea tolerates boiling water.", 0.52f),
        new("cars", 0, "cars#0", "Cars", "Electric cars use batteries to store energy. They have fewer moving parts than petrol cars.", 0.10f),
    ];

    private static GeneratedAnswer Generate(string question)
    {
        var candidates = ExtractiveGenerator.Candidates(Sources);
        var vectors = TestModel.Embed([.. candidates.Select(c => c.Text)]);
        var questionVector = TestModel.Embedder.EmbedBatch([TestModel.Embedder.Tokenize(question, EmbeddingKind.Query)])[0];
        return new ExtractiveGenerator(3, 0.45).Generate(question, questionVector, candidates, vectors);
    }

    [Fact]
    public void Answer_quotes_supporting_sentences_with_markers_that_resolve_to_citations()
    {
        var answer = Generate("What water temperature is best for brewing coffee?");
        Assert.Contains("90 and 96 degrees Celsius", answer.Answer, StringComparison.Ordinal);
        var markers = Marker().Matches(answer.Answer).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(markers);
        Assert.All(markers, n => Assert.Contains(answer.Citations, c => c.N == n));
        Assert.All(answer.Citations, c => Assert.Contains(c.N, markers));
        Assert.Equal(Enumerable.Range(1, answer.Citations.Count), answer.Citations.Select(c => c.N));
        Assert.Equal("coffee", answer.Citations[0].DocumentId);
        Assert.DoesNotContain(answer.Citations, c => c.DocumentId == "cars");
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        var question = "How hot should the water be for tea?";
        Assert.Equal(Generate(question), Generate(question), new AnswerComparer());
    }

    [Fact]
    public void Unrelated_question_gets_no_answer_and_no_citations()
    {
        var answer = Generate("Who won the football world cup in 1954?");
        Assert.Equal(ExtractiveGenerator.NoAnswer, answer.Answer);
        Assert.Empty(answer.Citations);
    }

    [Theory]
    [InlineData("Grains are actors.", 2, "Grains are actors [2].")]
    [InlineData("He said \"stop.\"", 1, "He said \"stop [1].\"")]
    [InlineData("Is it \"quoted\"?", 1, "Is it \"quoted\" [1]?")]
    [InlineData("No punctuation", 3, "No punctuation [3]")]
    public void Marker_goes_before_the_final_punctuation(string sentence, int n, string expected)
    {
        Assert.Equal(expected, ExtractiveGenerator.WithMarker(sentence, n));
    }

    [Theory]
    [InlineData("DESCRIPTION The default signal for kill is TERM.", "The default signal for kill is TERM.")]
    [InlineData("EXIT STATUS The command returns zero on success.", "The command returns zero on success.")]
    [InlineData("The sig\u2010 nal is sent to every process in the group.", "The signal is sent to every process in the group.")]
    [InlineData("Pre- and post-processing steps run in order.", "Pre- and post-processing steps run in order.")]
    [InlineData("DNA methylation changes with age.", "DNA methylation changes with age.")]
    public void Layout_artefacts_are_cleaned_from_quoted_sentences(string sentence, string expected)
    {
        Assert.Equal(expected, ExtractiveGenerator.Clean(sentence));
    }

    [Fact]
    public void Headings_are_not_quoted()
    {
        SearchHit[] sources = [new("man", 0, "man#0", "kill(1)", "Sending signals to processes\n\nThe kill command sends a signal to a process.", 0.6f)];
        Assert.Equal(["The kill command sends a signal to a process."], ExtractiveGenerator.Candidates(sources).Select(c => c.Text));
    }

    [Fact]
    public void Sentences_are_quoted_in_document_order_and_from_the_best_document_only()
    {
        SearchHit[] sources =
        [
            new("apache", 0, "apache#0", "Apache License 2.0",
                "Redistributions of the Apache License 2.0 work must include a copy of the license. "
                + "The Apache License 2.0 grants each user a patent license from every contributor. "
                + "Modified files under the Apache License 2.0 must carry notices stating that they were changed.", 0.62f),
            new("mpl", 0, "mpl#0", "Mozilla Public License",
                "The Mozilla Public License is a weak copyleft license. Files covered by the MPL must stay under the MPL when modified.", 0.48f),
        ];
        var question = "What must redistributions and modified files under the Apache License 2.0 include?";
        var candidates = ExtractiveGenerator.Candidates(sources);
        var vectors = TestModel.Embed([.. candidates.Select(c => c.Text)]);
        var questionVector = TestModel.Embedder.EmbedBatch([TestModel.Embedder.Tokenize(question, EmbeddingKind.Query)])[0];
        var answer = new ExtractiveGenerator(3, 0.45).Generate(question, questionVector, candidates, vectors);

        Assert.Equal(["apache"], answer.Citations.Select(c => c.DocumentId));
        var quoted = candidates.Where(c => answer.Answer.Contains(c.Text.TrimEnd('.'), StringComparison.Ordinal)).ToList();
        Assert.True(quoted.Count >= 2, answer.Answer);
        var positions = quoted.Select(c => answer.Answer.IndexOf(c.Text.TrimEnd('.'), StringComparison.Ordinal)).ToList();
        Assert.Equal(positions.Order(), positions); // in the order the document has them
        Assert.Equal(quoted.Select(c => c.Position).Order(), quoted.Select(c => c.Position));
    }

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex Marker();

    private sealed class AnswerComparer : IEqualityComparer<GeneratedAnswer>
    {
        public bool Equals(GeneratedAnswer? x, GeneratedAnswer? y) =>
            x!.Answer == y!.Answer && x.Citations.SequenceEqual(y.Citations);

        public int GetHashCode(GeneratedAnswer obj) => obj.Answer.GetHashCode(StringComparison.Ordinal);
    }
}

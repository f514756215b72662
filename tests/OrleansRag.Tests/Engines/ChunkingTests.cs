using OrleansRag.Ingestion;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Engines;

[Trait("Category", "Unit")]
public sealed class ChunkingTests
{
    private static readonly TextChunker Chunker = new(TestModel.Tokenizer);

    private static string Paragraph(int seed, int sentences) => string.Join(' ', Enumerable.Range(0, sentences).Select(i =>
        $"Sentence {seed}.{i} talks about topic number {seed * 100 + i} and a few other words to fill it."));

    [Fact]
    public void Every_chunk_fits_the_token_budget_counted_by_the_model_tokenizer()
    {
        var text = string.Join("\n\n", Enumerable.Range(0, 12).Select(i => Paragraph(i, 7)));
        var chunks = Chunker.Chunk(text, 64, 16);
        Assert.True(chunks.Count > 5);
        Assert.All(chunks, chunk =>
        {
            Assert.True(chunk.TokenCount <= 64, $"chunk {chunk.Index} has {chunk.TokenCount} tokens");
            Assert.Equal(TestModel.Tokenizer.CountTokens(chunk.Text), chunk.TokenCount);
        });
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
    }

    [Fact]
    public void Chunks_break_at_sentence_ends_and_cover_every_sentence()
    {
        var text = string.Join("\n\n", Enumerable.Range(0, 6).Select(i => Paragraph(i, 5)));
        var chunks = Chunker.Chunk(text, 80, 0);
        Assert.All(chunks, chunk => Assert.EndsWith(".", chunk.Text, StringComparison.Ordinal));
        var all = string.Join(" ", chunks.Select(c => c.Text));
        foreach (var sentence in SentenceSplitter.SplitText(text))
        {
            Assert.Contains(sentence, all, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Overlap_repeats_trailing_sentences_of_the_previous_chunk()
    {
        var text = Paragraph(1, 30);
        var chunks = Chunker.Chunk(text, 80, 30);
        Assert.True(chunks.Count >= 3);
        for (var i = 1; i < chunks.Count; i++)
        {
            var lastSentenceOfPrevious = SentenceSplitter.Sentences(chunks[i - 1].Text).Last();
            Assert.StartsWith(lastSentenceOfPrevious, chunks[i].Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Paragraph_boundaries_are_preferred_over_filling_the_chunk()
    {
        // Two paragraphs that each take ~60% of a chunk: they must not be merged or split mid-paragraph.
        var first = Paragraph(1, 3);
        var second = Paragraph(2, 3);
        var budget = TestModel.Tokenizer.CountTokens(first) * 10 / 6;
        var chunks = Chunker.Chunk(first + "\n\n" + second, budget, 0);
        Assert.Equal(2, chunks.Count);
        Assert.Equal(first, chunks[0].Text);
        Assert.Equal(second, chunks[1].Text);
    }

    [Fact]
    public void An_over_long_sentence_is_split_at_words_within_budget()
    {
        var sentence = string.Join(' ', Enumerable.Range(0, 400).Select(i => $"w{i}"));
        var chunks = Chunker.Chunk(sentence, 50, 0);
        Assert.True(chunks.Count > 5);
        Assert.All(chunks, c => Assert.True(c.TokenCount <= 50));
        Assert.Equal(sentence.Split(' '), string.Join(' ', chunks.Select(c => c.Text)).Split(' '));
    }

    [Fact]
    public void Chunking_is_deterministic()
    {
        var text = string.Join("\n\n", Enumerable.Range(0, 8).Select(i => Paragraph(i, 6)));
        var a = Chunker.Chunk(text, 70, 20);
        var b = Chunker.Chunk(text, 70, 20);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Sentence_splitter_keeps_abbreviations_and_decimals()
    {
        var sentences = SentenceSplitter.Sentences("Dr. Smith measured 3.5 kg, e.g. in Fig. 2. The result was clear! Was it? Yes.").ToList();
        Assert.Equal(["Dr. Smith measured 3.5 kg, e.g. in Fig. 2.", "The result was clear!", "Was it?", "Yes."], sentences);
    }

    [Fact]
    public void Markdown_is_parsed_to_plain_blocks_with_h1_as_title()
    {
        var parsed = OrleansRag.Ingestion.Extractors.MarkdownExtractor.FromText(
            "# The *Title*\n\nSome **bold** text with a [link](http://x).\n\n- item one\n- item two\n\n3. third\n4. fourth\n\n```sh\ncargo new hello\n\ncd hello\n```\n");
        Assert.Equal("The Title", parsed.Title);
        Assert.Equal("The Title\n\nSome bold text with a link.\n\n• item one\n\n• item two\n\n3. third\n\n4. fourth\n\n`cargo new hello`\n\n`cd hello`", parsed.PlainText);
        Assert.Equal(OrleansRag.Ingestion.Pipeline.BlockKind.Heading, parsed.Blocks[0].Kind);
    }

    [Fact]
    public void Html_lists_keep_their_marks_and_numbers_and_code_keeps_its_lines()
    {
        var parsed = OrleansRag.Ingestion.Extractors.HtmlExtractor.FromText("""
            <html><body><p>The rules are as follows:</p>
            <ul><li><p>Each value has an <span>owner</span>.</p><p>Only one at a time.</p></li><li>Owners drop values.<ul><li>nested</li></ul></li></ul>
            <ol start="3"><li>third</li><li value="7">seventh</li><li>eighth</li></ol>
            <pre><code class="language-console">$ cargo new hello

            $ cd hello
            }</code></pre></body></html>
            """);
        Assert.Equal(
            "The rules are as follows:\n\n• Each value has an owner. Only one at a time.\n\n• Owners drop values.\n\n• nested\n\n3. third\n\n7. seventh\n\n8. eighth\n\n`$ cargo new hello`\n\n`$ cd hello`",
            parsed.PlainText);
    }

    [Fact]
    public void A_bare_pre_is_preformatted_prose_and_code_keeps_its_br_lines()
    {
        var parsed = OrleansRag.Ingestion.Extractors.HtmlExtractor.FromText(
            "<html><body><pre>Network Working Group. This memo defines\nan Experimental Protocol.</pre>"
            + "<div class=\"highlight\"><pre>first()<br>second()</pre></div></body></html>");
        Assert.Equal("Network Working Group. This memo defines an Experimental Protocol.\n\n`first()`\n\n`second()`", parsed.PlainText);
    }

    [Fact]
    public void A_sentence_that_introduces_a_list_opens_the_chunk_that_holds_the_list()
    {
        var paragraphs = Enumerable.Range(0, 12).Select(i => $"Sentence number {i} of the opening section is plain prose about nothing in particular.").ToList();
        paragraphs.Add("Keep these rules in mind as we work through the examples:");
        paragraphs.AddRange(Enumerable.Range(1, 4).Select(i => $"• Rule {i} is a rule of its own with a few words."));
        var chunks = new TextChunker(TestModel.Tokenizer).Chunk(string.Join("\n\n", paragraphs), maxTokens: 200, overlapTokens: 20);
        var holder = chunks.Single(c => c.Text.Contains("• Rule 1", StringComparison.Ordinal));
        Assert.StartsWith("Keep these rules in mind", holder.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(chunks.Where(c => c != holder), c => c.Text.EndsWith("examples:", StringComparison.Ordinal));
    }
}

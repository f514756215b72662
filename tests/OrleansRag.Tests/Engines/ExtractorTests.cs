using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansRag.Embedding;
using OrleansRag.Ingestion;
using OrleansRag.Ingestion.Extractors;
using OrleansRag.Ingestion.Ocr;
using OrleansRag.Ingestion.Pipeline;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Engines;

/// <summary>The extract, normalise and chunk stages on real files made with PdfPig and the Open XML SDK.</summary>
[Trait("Category", "Unit")]
public sealed class ExtractorTests
{
    private static readonly ExtractionLimits Limits = new(50 * 1024 * 1024, 8 * 1024 * 1024);

    [Fact]
    public void Pdf_text_comes_out_per_page_in_reading_order_with_the_info_title()
    {
        var pdf = TestDocuments.Pdf(
        [
            "Chapter one. The harbour of Velmora was busy with fishing boats every morning.",
            "Chapter two. The lighthouse keeper counted forty-two ships passing in the night. The keeper wrote each one down.",
            "Chapter three. Winter closed the harbour until the ice melted in April.",
        ], title: "Harbour Chronicle");

        var extracted = new PdfExtractor().Extract(pdf, Limits, CancellationToken.None);

        Assert.Equal("Harbour Chronicle", extracted.Title);
        Assert.Equal(3, extracted.PageCount);
        var lighthouse = Assert.Single(extracted.Blocks, b => b.Text.Contains("lighthouse keeper", StringComparison.Ordinal));
        Assert.Equal(2, lighthouse.Page);
        Assert.True(lighthouse.Text.IndexOf("forty-two", StringComparison.Ordinal) < lighthouse.Text.IndexOf("wrote each", StringComparison.Ordinal));
        Assert.Equal([1, 2, 3], extracted.Blocks.Select(b => b.Page!.Value).Distinct());
    }

    [Fact]
    public void Chunks_of_a_pdf_carry_the_pages_they_span()
    {
        var pages = Enumerable.Range(1, 6).Select(p => $"Page {p} marker-{p}. " + string.Join(' ', Enumerable.Repeat($"Sentence about topic {p} with several words in it.", 12))).ToList();
        var extracted = new TextNormalizer().Normalize(new PdfExtractor().Extract(TestDocuments.Pdf(pages), Limits, CancellationToken.None));

        var chunks = new SectionChunker().Chunk(extracted, new ChunkingPlan(TestModel.Tokenizer, 64, 8), CancellationToken.None).ToList();

        Assert.True(chunks.Count >= 6);
        Assert.All(chunks, c => Assert.NotNull(c.Page));
        var marker = Assert.Single(chunks, c => c.Text.Contains("marker-4", StringComparison.Ordinal));
        Assert.Equal(4, marker.Page);
        Assert.All(chunks, c => Assert.Equal(c.Page, c.LastPage)); // no chunk runs across a page break
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
    }

    [Fact]
    public void Corrupt_encrypted_and_textless_pdfs_are_refused_with_the_reason()
    {
        var corrupt = Assert.Throws<DocumentRejectedException>(() => new PdfExtractor().Extract(TestDocuments.CorruptPdf(), Limits, CancellationToken.None));
        Assert.Contains("cannot be read", corrupt.Message, StringComparison.Ordinal);

        var drawing = Assert.Throws<DocumentRejectedException>(() => new PdfExtractor().Extract(TestDocuments.DrawingOnlyPdf(), Limits, CancellationToken.None));
        Assert.Contains("no extractable text", drawing.Message, StringComparison.Ordinal);
        Assert.Contains("no scanned pages", drawing.Message, StringComparison.Ordinal);

        var notPdf = Assert.Throws<DocumentRejectedException>(() => new PdfExtractor().Check("Just some words."u8));
        Assert.Contains("not a PDF", notPdf.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Docx_headings_start_sections_tables_become_rows_and_the_core_title_wins()
    {
        var docx = TestDocuments.Docx("Operations Handbook",
        [
            ("Heading1", "Backups"),
            ("", "Backups run every night at two o'clock and are kept for thirty days."),
            ("Heading2", "Restores"),
            ("", "A restore needs the approval of the on-call engineer."),
        ],
        [["Service", "Owner"], ["billing", "team-ledger"], ["search", "team-atlas"]]);

        var extracted = new DocxExtractor().Extract(docx, Limits, CancellationToken.None);

        Assert.Equal("Operations Handbook", extracted.Title);
        Assert.Equal(["Backups", "Restores"], extracted.Blocks.Where(b => b.Kind == BlockKind.Heading).Select(b => b.Text));
        Assert.Contains(extracted.Blocks, b => b.Kind == BlockKind.TableRow && b.Text == "billing | team-ledger");
        var order = extracted.Blocks.Select(b => b.Text).ToList();
        Assert.True(order.IndexOf("Backups") < order.IndexOf("Restores"));

        var chunks = new SectionChunker().Chunk(extracted, new ChunkingPlan(TestModel.Tokenizer, 200, 0), CancellationToken.None).ToList();
        Assert.DoesNotContain(chunks, c => c.Text.Contains("thirty days", StringComparison.Ordinal) && c.Text.Contains("on-call", StringComparison.Ordinal));
        Assert.Equal("Backups", Assert.Single(chunks, c => c.Text.Contains("thirty days", StringComparison.Ordinal)).Section);
        Assert.Equal("Restores", Assert.Single(chunks, c => c.Text.Contains("on-call", StringComparison.Ordinal)).Section);
        Assert.All(chunks, c => Assert.Equal(TestModel.Tokenizer.CountTokens(c.Text), c.TokenCount));
    }

    [Fact]
    public void A_docx_that_expands_beyond_the_limit_is_refused_as_a_zip_bomb()
    {
        var bomb = TestDocuments.ZipBombDocx(16 * 1024 * 1024);
        Assert.True(bomb.Length < 200 * 1024, $"the bomb is {bomb.Length} bytes");

        var rejected = Assert.Throws<DocumentRejectedException>(() => new DocxExtractor().Extract(bomb, Limits, CancellationToken.None));
        Assert.Equal(RejectionReason.TooLarge, rejected.Reason);
        Assert.Contains("zip bomb", rejected.Message, StringComparison.Ordinal);

        var notDocx = Assert.Throws<DocumentRejectedException>(() => new DocxExtractor().Extract(Encoding.UTF8.GetBytes("plain words"), Limits, CancellationToken.None));
        Assert.Contains("not a DOCX", notDocx.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_keeps_the_article_and_drops_scripts_styles_navigation_and_page_chrome()
    {
        const string Html = """
            <!doctype html><html><head><title>Tide Tables</title><style>.nav { color: red } STYLEWORD</style>
            <script>var tracking = "SCRIPTWORD";</script></head>
            <body><header><a href="/">SiteBanner</a></header>
            <nav><ul><li><a href="/a">MenuEntryAlpha</a></li><li>MenuEntryBeta</li></ul></nav>
            <main><article><h1>High water at Port Ellis</h1>
            <p>High water comes <b>twice</b> a day, about fifty minutes later each day.</p>
            <table><tr><th>Day</th><th>Time</th></tr><tr><td>Monday</td><td>06:12</td></tr></table>
            <h2>Spring tides</h2><p>Spring tides follow the new and the full moon.</p></article></main>
            <aside>Related: AsideWord</aside><footer>Copyright FooterWord</footer>
            <div hidden>HiddenWord</div><noscript>NoscriptWord</noscript></body></html>
            """;

        var extracted = new HtmlExtractor().Extract(Encoding.UTF8.GetBytes(Html), Limits, CancellationToken.None);
        var text = extracted.PlainText;

        Assert.Equal("Tide Tables", extracted.Title);
        Assert.Contains("High water comes twice a day, about fifty minutes later each day.", text, StringComparison.Ordinal);
        Assert.Contains(extracted.Blocks, b => b.Kind == BlockKind.TableRow && b.Text == "Monday | 06:12");
        Assert.Equal(["High water at Port Ellis", "Spring tides"], extracted.Blocks.Where(b => b.Kind == BlockKind.Heading).Select(b => b.Text));
        foreach (var dropped in new[] { "STYLEWORD", "SCRIPTWORD", "SiteBanner", "MenuEntryAlpha", "MenuEntryBeta", "AsideWord", "FooterWord", "HiddenWord", "NoscriptWord" })
        {
            Assert.DoesNotContain(dropped, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x48, 0x69, 0x00, 0x01, 0x02 }, "binary data")]
    [InlineData(new byte[] { 0x48, 0x69, 0xFF, 0xFE, 0x41 }, "not valid UTF-8")]
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D, 0x31 }, "is a PDF")]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14 }, "ZIP container")]
    public void Bytes_that_are_not_text_are_refused_as_text(byte[] content, string reason)
    {
        foreach (var extractor in new IDocumentExtractor[] { new PlainTextExtractor(), new MarkdownExtractor(), new HtmlExtractor() })
        {
            var rejected = Assert.Throws<DocumentRejectedException>(() => extractor.Check(content));
            Assert.Contains(reason, rejected.Message, StringComparison.Ordinal);
            Assert.Contains(extractor.ContentType, rejected.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Normalising_rejoins_hyphenated_line_breaks_spells_out_ligatures_and_drops_invisible_characters()
    {
        Assert.Equal("The configuration file defines the fi", TextNormalizer.NormalizeText("The con-\nfiguration file de-\r\n  fines the \uFB01"));
        Assert.Equal("soft hyphen and zero width", TextNormalizer.NormalizeText("soft hy\u00ADphen and zero\u200B width"));
        Assert.Equal("Well-known names stay", TextNormalizer.NormalizeText("Well-known  names\tstay "));
        Assert.Equal("line one. Line two", TextNormalizer.NormalizeText("line one.\nLine two"));
    }

    [Fact]
    public void Every_declared_content_type_needs_exactly_one_extractor()
    {
        using var embeddings = new EmbeddingModels(Options.Create(new EmbeddingOptions()), NullLogger<EmbeddingService>.Instance);
        var ocrOptions = Options.Create(new OcrOptions());
        using var ocr = new TesseractOcrEngine(ocrOptions, NullLogger<TesseractOcrEngine>.Instance);
        var stage = new OcrStage(ocr, ocrOptions);
        IDocumentExtractor[] all = [new PlainTextExtractor(), new MarkdownExtractor(), new HtmlExtractor(), new PdfExtractor(), new DocxExtractor(),
            new PngExtractor(ocrOptions), new JpegExtractor(ocrOptions), new TiffExtractor(ocrOptions)];
        _ = new IngestionPipeline(all, stage, new TextNormalizer(), new SectionChunker(), embeddings, Options.Create(new IngestionOptions()));

        var missing = Assert.Throws<InvalidOperationException>(() => new IngestionPipeline(all[..4], stage, new TextNormalizer(), new SectionChunker(), embeddings, Options.Create(new IngestionOptions())));
        Assert.Contains(ContentTypes.Docx, missing.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<InvalidOperationException>(() => new IngestionPipeline([.. all, new PdfExtractor()], stage, new TextNormalizer(), new SectionChunker(), embeddings, Options.Create(new IngestionOptions())));
        Assert.Contains("Two document extractors", twice.Message, StringComparison.Ordinal);
        Assert.All(ContentTypes.All, t => Assert.Contains(all, e => e.ContentType == t.MediaType));
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansRag.Ingestion.Ocr;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Tests.Engines;

/// <summary>
/// The OCR stage's rules as a plain class: where read pages go among the others, what happens without OCR, and how OCR
/// output becomes paragraphs. The engine here is Tesseract pointed at programs that do not exist (as on a silo without
/// them), or a recorded reader of pages for the ordering rules.
/// </summary>
[Trait("Category", "Unit")]
public sealed class OcrPolicyTests
{
    /// <summary>Answers each page with the text it was given, as Tesseract would after reading it.</summary>
    private sealed class PageReader(Dictionary<int, string> pages) : IOcrEngine
    {
        public List<int> Asked { get; } = [];

        public Task Checked => Task.CompletedTask;

        public string? Unavailable => null;

        public string Description => "recorded pages";

        public Task<IReadOnlyList<string>> ReadImageAsync(ReadOnlyMemory<byte> image, int pages1, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>([.. Enumerable.Range(1, pages1).Select(p => pages[p])]);

        public Task<IReadOnlyList<string>> ReadPdfPagesAsync(ReadOnlyMemory<byte> pdf, IReadOnlyList<int> pageNumbers, CancellationToken cancellationToken)
        {
            Asked.AddRange(pageNumbers);
            return Task.FromResult<IReadOnlyList<string>>([.. pageNumbers.Select(p => pages[p])]);
        }
    }

    private static async Task<TesseractOcrEngine> MissingProgramsAsync(bool? enabled = null)
    {
        var engine = new TesseractOcrEngine(Options.Create(new OcrOptions { Enabled = enabled, TesseractPath = "/nonexistent/tesseract" }), NullLogger<TesseractOcrEngine>.Instance);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    [Fact]
    public async Task Only_scanned_pages_are_read_and_their_paragraphs_take_their_place_in_page_order()
    {
        var reader = new PageReader(new() { [2] = "Second page, first paragraph.\n\nSecond page, second paragraph.", [4] = "" });
        var extracted = new ExtractedDocument(
            [new TextBlock("Page one.", BlockKind.Paragraph, 1), new TextBlock("2", BlockKind.Paragraph, 2), new TextBlock("Page three.", BlockKind.Paragraph, 3),
                new TextBlock("Harbour Annual Report", BlockKind.Paragraph, 4)], "Mixed", 4, [2, 4]);

        var read = await new OcrStage(reader, Options.Create(new OcrOptions())).ReadAsync(extracted, new byte[] { 1 }, ContentTypes.Pdf, CancellationToken.None);

        Assert.Equal([2, 4], reader.Asked);
        // Page 2's page number gives way to what OCR read; page 4 (a title under a picture) OCR found empty, so it keeps its own text.
        Assert.Equal(["Page one.", "Second page, first paragraph.", "Second page, second paragraph.", "Page three.", "Harbour Annual Report"], read.Blocks.Select(b => b.Text));
        Assert.Equal([1, 2, 2, 3, 4], read.Blocks.Select(b => b.Page!.Value));
        Assert.Equal([2], read.OcrPages);
        Assert.Equal("Mixed", read.Title);
    }

    [Fact]
    public async Task Too_many_scanned_pages_are_refused_naming_the_setting()
    {
        var reader = new PageReader([]);
        var extracted = new ExtractedDocument([], null, 3, [1, 2, 3]);
        var refused = await Assert.ThrowsAsync<DocumentRejectedException>(() =>
            new OcrStage(reader, Options.Create(new OcrOptions { MaxPages = 2 })).ReadAsync(extracted, new byte[] { 1 }, ContentTypes.Pdf, CancellationToken.None));
        Assert.Contains("Ocr:MaxPages", refused.Message, StringComparison.Ordinal);
        Assert.Empty(reader.Asked);
    }

    [Fact]
    public async Task Without_the_programs_a_scanned_pdf_fails_saying_how_to_enable_ocr_and_a_mixed_one_keeps_its_text_pages()
    {
        using var engine = await MissingProgramsAsync();
        Assert.Contains("/nonexistent/tesseract", engine.Unavailable, StringComparison.Ordinal);
        var stage = new OcrStage(engine, Options.Create(new OcrOptions()));

        var scanned = new ExtractedDocument([], null, 2, [1, 2]);
        var refused = await Assert.ThrowsAsync<DocumentRejectedException>(() => stage.ReadAsync(scanned, new byte[] { 1 }, ContentTypes.Pdf, CancellationToken.None));
        Assert.Contains("scanned PDF", refused.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils", refused.Message, StringComparison.Ordinal);

        var image = await Assert.ThrowsAsync<DocumentRejectedException>(() => stage.ReadAsync(scanned, new byte[] { 1 }, ContentTypes.Png, CancellationToken.None));
        Assert.StartsWith("Images are read by OCR.", image.Message, StringComparison.Ordinal);

        var mixed = new ExtractedDocument([new TextBlock("Typed page.", BlockKind.Paragraph, 1)], null, 2, [2]);
        var kept = await stage.ReadAsync(mixed, new byte[] { 1 }, ContentTypes.Pdf, CancellationToken.None);
        Assert.Equal(["Typed page."], kept.Blocks.Select(b => b.Text));
        Assert.Null(kept.OcrPages);
    }

    [Fact]
    public async Task Ocr_turned_off_says_so_and_ocr_required_without_the_programs_stops_the_silo()
    {
        using (var off = new TesseractOcrEngine(Options.Create(new OcrOptions { Enabled = false }), NullLogger<TesseractOcrEngine>.Instance))
        {
            await off.StartAsync(CancellationToken.None);
            Assert.Contains("Ocr:Enabled is false", off.Unavailable, StringComparison.Ordinal);
        }

        var required = new TesseractOcrEngine(Options.Create(new OcrOptions { Enabled = true, TesseractPath = "/nonexistent/tesseract" }), NullLogger<TesseractOcrEngine>.Instance);
        var stopped = await Assert.ThrowsAsync<OptionsValidationException>(() => required.StartAsync(CancellationToken.None));
        Assert.Contains("Ocr:Enabled is true but '/nonexistent/tesseract' (Tesseract) was not found", string.Join(" ", stopped.Failures), StringComparison.Ordinal);
        required.Dispose();
    }

    [Fact]
    public void Lines_of_a_paragraph_are_joined_and_words_hyphenated_across_lines_made_whole()
    {
        const string output = "The keeper recog-\nnised the  ship\nat dawn.\n\n\nA second para-\nGraph stays hyphenated before a capital.\n";
        Assert.Equal("The keeper recognised the  ship at dawn.\n\nA second para- Graph stays hyphenated before a capital.", OcrText.Paragraphs(output));
        Assert.Equal("", OcrText.Paragraphs(" \n\n"));
    }

    [Fact]
    public void An_image_is_measured_from_its_headers_and_damaged_ones_are_refused()
    {
        Assert.Equal((3, 0L), OcrText.Measure(Tiff(little: true, pages: 3), ContentTypes.Tiff, 10));
        Assert.Equal((2, 0L), OcrText.Measure(Tiff(little: false, pages: 2), ContentTypes.Tiff, 10));
        Assert.Equal(3, OcrText.Measure(Tiff(little: true, pages: 5), ContentTypes.Tiff, 2).Pages); // counting stops past the limit
        var sized = Tiff(little: true, pages: 1);
        sized[10] = 0; // the entry: tag 256 (width), type LONG, count 1, value 70,000
        sized[11] = 1;
        sized[12] = 4;
        BitConverter.TryWriteBytes(sized.AsSpan(14), 1);
        BitConverter.TryWriteBytes(sized.AsSpan(18), 70_000);
        Assert.Equal(0L, OcrText.Measure(sized, ContentTypes.Tiff, 10).Pixels); // no height tag: no size claimed

        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0x27, 0x10, 0, 0, 0x4E, 0x20];
        Assert.Equal((1, 10_000L * 20_000), OcrText.Measure(png, ContentTypes.Png, 10));
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0x03, 0xE8, 0x07, 0xD0, 1, 0, 0, 0];
        Assert.Equal((1, 1000L * 2000), OcrText.Measure(jpeg, ContentTypes.Jpeg, 10));

        var loop = Tiff(little: true, pages: 2);
        loop[8 + 2 + 12 + 4 + 2 + 12] = 8; // the second page's "next" points back at the first
        Assert.Throws<DocumentRejectedException>(() => OcrText.Measure(loop, ContentTypes.Tiff, 10));
        Assert.Throws<DocumentRejectedException>(() => OcrText.Measure(Tiff(little: true, pages: 2).AsSpan(0, 20), ContentTypes.Tiff, 10));
        Assert.Throws<DocumentRejectedException>(() => OcrText.Measure("II*\0"u8, ContentTypes.Tiff, 10));
        Assert.Throws<DocumentRejectedException>(() => OcrText.Measure(png.AsSpan(0, 20), ContentTypes.Png, 10));
    }

    /// <summary>A TIFF skeleton: the header and <paramref name="pages"/> directories of one entry each, chained.</summary>
    private static byte[] Tiff(bool little, int pages)
    {
        var bytes = new List<byte>();
        void Add16(int value) => bytes.AddRange(little ? [(byte)value, (byte)(value >> 8)] : [(byte)(value >> 8), (byte)value]);
        void Add32(int value) => bytes.AddRange(little
            ? [(byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24)]
            : [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
        bytes.AddRange(little ? "II"u8.ToArray() : "MM"u8.ToArray());
        Add16(42);
        Add32(8);
        for (var page = 0; page < pages; page++)
        {
            var start = bytes.Count;
            Add16(1); // one entry
            bytes.AddRange(new byte[12]);
            Add32(page + 1 < pages ? start + 2 + 12 + 4 : 0);
        }

        return [.. bytes];
    }
}

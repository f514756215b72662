using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansRag.Ingestion.Ocr;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Engines;

/// <summary>
/// The Tesseract engine itself, with the real programs (test.sh installs them): a TIFF of two pages, written here from
/// pages pdftoppm rendered, comes back as two texts in page order.
/// </summary>
public sealed class TesseractEngineTests
{
    [Fact]
    public async Task Every_page_of_a_multi_page_tiff_is_read_in_order()
    {
        using var engine = new TesseractOcrEngine(Options.Create(new OcrOptions { Enabled = true }), NullLogger<TesseractOcrEngine>.Instance);
        await engine.StartAsync(CancellationToken.None);
        var first = await GreyPageAsync("Page one. The lighthouse keeper counted seventeen gulls.");
        var second = await GreyPageAsync("Page two. The harbour master rang the brass bell twice.");
        var tiff = Tiff([first, second]);
        Assert.Equal(2, OcrText.Measure(tiff, ContentTypes.Tiff, 10).Pages);

        var pages = await engine.ReadImageAsync(tiff, 2, CancellationToken.None);

        Assert.Equal(2, pages.Count);
        Assert.Contains("seventeen gulls", pages[0], StringComparison.Ordinal);
        Assert.Contains("brass bell", pages[1], StringComparison.Ordinal);
    }

    /// <summary>A page of text as 8-bit grey pixels (width, height, rows top to bottom), rendered by pdftoppm as PGM at 100 dpi.</summary>
    private static async Task<(int Width, int Height, byte[] Pixels)> GreyPageAsync(string text)
    {
        var pgm = await TestDocuments.PageImageAsync(text, "pgm", dpi: 100);
        var header = Encoding.ASCII.GetString(pgm, 0, 64).Split((char[])['\n', ' '], 5, StringSplitOptions.RemoveEmptyEntries);
        var (width, height) = (int.Parse(header[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(header[2], System.Globalization.CultureInfo.InvariantCulture));
        return (width, height, pgm[^(width * height)..]);
    }

    /// <summary>An uncompressed grey TIFF (little-endian), one strip per page, the pages' directories chained.</summary>
    private static byte[] Tiff(IReadOnlyList<(int Width, int Height, byte[] Pixels)> pages)
    {
        using var output = new MemoryStream();
        using var writer = new BinaryWriter(output);
        writer.Write("II"u8);
        writer.Write((ushort)42);
        writer.Write(0u); // the first directory's offset, filled in below
        var next = 4L;
        foreach (var (width, height, pixels) in pages)
        {
            var strip = output.Position;
            writer.Write(pixels);
            var directory = output.Position;
            output.Position = next;
            writer.Write((uint)directory);
            output.Position = directory;
            (ushort Tag, ushort Type, uint Value)[] entries =
            [
                (256, 4, (uint)width), (257, 4, (uint)height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
                (273, 4, (uint)strip), (277, 3, 1), (278, 4, (uint)height), (279, 4, (uint)pixels.Length),
            ];
            writer.Write((ushort)entries.Length);
            foreach (var (tag, type, value) in entries)
            {
                writer.Write(tag);
                writer.Write(type);
                writer.Write(1u);
                if (type == 3)
                {
                    writer.Write((ushort)value);
                    writer.Write((ushort)0);
                }
                else
                {
                    writer.Write(value);
                }
            }

            next = output.Position;
            writer.Write(0u); // the next directory, if another page follows
        }

        writer.Flush();
        return output.ToArray();
    }
}

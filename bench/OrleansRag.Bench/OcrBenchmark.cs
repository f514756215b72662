using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Ingestion.Ocr;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Bench;

/// <summary>
/// OCR through the host over HTTP: a scanned PDF of <c>--pages</c> SciFact abstracts (each page an image of its text,
/// rendered by pdftoppm at 150 dpi, no text layer) and <c>--images</c> PNG pages, each ingested until ready: pages/s, and
/// the share of each page's words (4 letters or more) found again in its chunks. Prints; asserts nothing.
/// </summary>
internal static partial class OcrBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var pageCount = BenchArgs.Int(args, "--pages", 20);
        var imageCount = BenchArgs.Int(args, "--images", 5);
        var app = BenchHost.Build(new Dictionary<string, string?>
        {
            ["Ocr:Dpi"] = BenchArgs.String(args, "--dpi") ?? "300",
            ["Ocr:MaxParallelPages"] = BenchArgs.String(args, "--parallel") ?? "0",
        });
        await app.StartAsync();
        var ocr = app.Services.GetRequiredService<IOcrEngine>();
        if (ocr.Unavailable is { } reason)
        {
            Console.WriteLine($"OCR benchmark skipped: {reason}");
            await app.StopAsync();
            return;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address + "/"), Timeout = TimeSpan.FromMinutes(10) };
        // ASCII only: Helvetica (a standard font, not embedded) has no Greek letters, which some abstracts use.
        var texts = SciFact.Documents(pageCount + imageCount)
            .Select(d => new string([.. (d.Title + ". " + (d.Text.Length > 1100 ? d.Text[..1100] : d.Text)).Select(c => c is >= ' ' and <= '~' ? c : ' ')]))
            .ToList();
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OcrOptions>>().Value;
        Console.WriteLine($"OCR benchmark: {Environment.ProcessorCount} cores, {ocr.Description}, {options.Parallelism} page(s) at once, PDF pages rendered at {options.Dpi} dpi");

        var watch = Stopwatch.StartNew();
        var pdf = await TestDocuments.ScannedPdfAsync([.. texts.Take(pageCount).Select(t => (t, true))]);
        Console.WriteLine($"made a scanned PDF of {pageCount} pages ({pdf.Length / 1024.0 / 1024.0:F1} MB) in {watch.Elapsed.TotalSeconds:F1} s");
        var (seconds, chunks) = await FileIngestBenchmark.IngestAsync(http, "ocr", "scanned.pdf", new FileIngestBenchmark.Sample("PDF", ".pdf", ContentTypes.Pdf, pdf));
        var recall = await RecallAsync(http, "scanned.pdf", texts.Take(pageCount).ToList());
        Console.WriteLine($"scanned PDF: {pageCount} pages ready in {seconds:F1} s = {pageCount / seconds:F2} pages/s ({chunks} chunks; rendering, recognition, then embedding); words found again {recall:P1}");

        var images = new List<byte[]>();
        foreach (var text in texts.Skip(pageCount))
        {
            images.Add(await TestDocuments.PageImageAsync(text, "png"));
        }

        watch.Restart();
        await Task.WhenAll(images.Select((image, i) => FileIngestBenchmark.IngestAsync(http, "ocr", $"page-{i}.png", new FileIngestBenchmark.Sample("PNG", ".png", ContentTypes.Png, image))));
        var imageSeconds = watch.Elapsed.TotalSeconds;
        var imageRecall = 0.0;
        for (var i = 0; i < images.Count; i++)
        {
            imageRecall += await RecallAsync(http, $"page-{i}.png", [texts[pageCount + i]]) / images.Count;
        }

        Console.WriteLine($"PNG pages: {images.Count} ({images.Sum(i => i.Length) / 1024.0 / images.Count:F0} KB each) ready in {imageSeconds:F1} s = {images.Count / imageSeconds:F2} pages/s, all at once; words found again {imageRecall:P1}");
        await app.StopAsync();
    }

    /// <summary>The share of the pages' words (4 letters or more, lower case) that appear in the document's chunks.</summary>
    private static async Task<double> RecallAsync(HttpClient http, string id, List<string> pages)
    {
        var page = await http.GetFromJsonAsync<JsonElement>($"v1/collections/ocr/documents/{id}/chunks?limit=1000");
        var read = Words(string.Join(" ", page.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("text").GetString()))).ToHashSet(StringComparer.Ordinal);
        var expected = pages.SelectMany(Words).ToList();
        return expected.Count(read.Contains) / (double)expected.Count;
    }

    private static IEnumerable<string> Words(string text) => WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value);

    [GeneratedRegex("[a-z]{4,}")]
    private static partial Regex WordPattern();
}

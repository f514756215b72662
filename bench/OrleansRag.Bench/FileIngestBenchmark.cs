using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Embedding;
using OrleansRag.Ingestion.Extractors;
using OrleansRag.Ingestion.Pipeline;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Bench;

/// <summary>
/// Ingestion of files per format. Prints figures; asserts nothing.
/// 1. end to end over HTTP (upload, extract, chunk, embed, index, commit) of the same SciFact text as plain
///    text, Markdown, HTML, PDF and DOCX: MB/s of file bytes and chunks/s (embedding-bound);
/// 2. the extract + normalise + chunk stages alone on ~20 MB of each format: MB/s (the parsers' cost);
/// 3. 50 MB text and PDF files through the host: time to ready, MB/s, chunks/s and the process's peak working set.
/// </summary>
internal static class FileIngestBenchmark
{
    internal sealed record Sample(string Format, string Extension, string ContentType, byte[] Bytes);

    public static async Task RunAsync(string[] args)
    {
        var parts = BenchArgs.String(args, "--parts") ?? "1,2,3";
        var app = BenchHost.Build(new Dictionary<string, string?>
        {
            ["Ingestion:MaxDocumentBytes"] = (64 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Embedding:Quantized"] = BenchArgs.String(args, "--quantized") ?? "true", // the model new collections get: --quantized false for fp32
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address + "/"), Timeout = TimeSpan.FromMinutes(10) };
        var model = await app.Services.GetRequiredService<EmbeddingService>().GetModelAsync();
        Console.WriteLine($"file ingestion benchmark: {Environment.ProcessorCount} cores, model {model.Name}; peak working set after start {Peak():F0} MiB");
        var all = SciFact.Documents(5183);
        if (parts.Contains('1', StringComparison.Ordinal))
        {
            await EndToEndAsync(http, all[..BenchArgs.Int(args, "--docs", 150)]);
        }

        if (parts.Contains('2', StringComparison.Ordinal))
        {
            ParsersAlone(all, model.Tokenizer);
        }

        if (parts.Contains('3', StringComparison.Ordinal))
        {
            await LargeFilesAsync(http, all[..BenchArgs.Int(args, "--large-distinct", 300)], BenchArgs.Int(args, "--large-mb", 50));
        }

        await app.StopAsync();
    }

    /// <summary>1. End to end over HTTP, the same text in every format.</summary>
    private static async Task EndToEndAsync(HttpClient http, List<(string Id, string Title, string Text)> documents)
    {
        Console.WriteLine($"1. end to end over HTTP, {documents.Count} SciFact abstracts as one document per format (distinct text, so every chunk is embedded):");
        foreach (var sample in Samples(documents))
        {
            var (seconds, chunks) = await IngestAsync(http, "bench-files", "sample" + sample.Extension, sample);
            Console.WriteLine($"   {sample.Format,-10} {sample.Bytes.Length / 1e6,6:F2} MB  {chunks,5} chunks  {seconds,6:F1} s  {sample.Bytes.Length / 1e6 / seconds,6:F3} MB/s  {chunks / seconds,6:F1} chunks/s");
        }
    }

    /// <summary>2. The extract, normalise and chunk stages alone, ~20 MB of each format, on one thread.</summary>
    private static void ParsersAlone(List<(string Id, string Title, string Text)> all, BertTokenizer tokenizer)
    {
        Console.WriteLine("2. extract + normalise + chunk only (no embedding), one thread:");
        var normalizer = new TextNormalizer();
        var chunker = new SectionChunker();
        var extractors = new IDocumentExtractor[] { new PlainTextExtractor(), new MarkdownExtractor(), new HtmlExtractor(), new PdfExtractor(), new DocxExtractor() };
        foreach (var sample in Samples(Cycle(all, 20 * 1024 * 1024)))
        {
            var extractor = extractors.Single(e => e.ContentType == sample.ContentType);
            var watch = Stopwatch.StartNew();
            var extracted = normalizer.Normalize(extractor.Extract(sample.Bytes, new ExtractionLimits(long.MaxValue, 1L << 32), CancellationToken.None));
            var extractSeconds = watch.Elapsed.TotalSeconds;
            var chunks = chunker.Chunk(extracted, new ChunkingPlan(tokenizer, 200, 32), CancellationToken.None).Count();
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"   {sample.Format,-10} {sample.Bytes.Length / 1e6,6:F1} MB  extract {extractSeconds,5:F1} s ({sample.Bytes.Length / 1e6 / extractSeconds,6:F1} MB/s), with chunking {seconds,5:F1} s ({sample.Bytes.Length / 1e6 / seconds,5:F1} MB/s, {chunks / seconds,7:F0} chunks/s, {chunks} chunks)");
        }
    }

    /// <summary>
    /// 3. Large files through the host. Their text cycles through a few hundred SciFact abstracts, so each distinct
    /// chunk is embedded once: this measures everything but the model (1 gives the model-bound rate).
    /// </summary>
    private static async Task LargeFilesAsync(HttpClient http, List<(string Id, string Title, string Text)> distinct, int megabytes)
    {
        Console.WriteLine($"3. {megabytes} MB files through the host (text cycles through the first {distinct.Count} SciFact abstracts; repeated chunks are embedded once):");
        foreach (var sample in Samples(Cycle(distinct, megabytes * 1024L * 1024)).Where(s => s.Format is "plain text" or "PDF"))
        {
            var (seconds, chunks) = await IngestAsync(http, "bench-large", "large" + sample.Extension, sample);
            Console.WriteLine($"   {sample.Format,-10} {sample.Bytes.Length / 1e6,6:F1} MB  {chunks,6} chunks  ready in {seconds,6:F1} s  {sample.Bytes.Length / 1e6 / seconds,5:F2} MB/s  {chunks / seconds,6:F0} chunks/s  peak working set so far {Peak():F0} MiB");
        }
    }

    /// <summary>PUTs a file and polls it until ready: the seconds it took and its chunks (throws when it failed).</summary>
    internal static async Task<(double Seconds, int Chunks)> IngestAsync(HttpClient http, string collection, string id, Sample sample)
    {
        var watch = Stopwatch.StartNew();
        var content = new ByteArrayContent(sample.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(sample.ContentType);
        using (var put = await http.PutAsync($"v1/collections/{collection}/documents/{id}", content))
        {
            put.EnsureSuccessStatusCode();
        }

        while (true)
        {
            var document = await http.GetFromJsonAsync<JsonElement>($"v1/collections/{collection}/documents/{id}");
            switch (document.GetProperty("status").GetString())
            {
                case "ready":
                    return (watch.Elapsed.TotalSeconds, document.GetProperty("chunkCount").GetInt32());
                case "failed":
                    throw new InvalidOperationException($"{id} failed: {document.GetProperty("error").GetString()}");
                default:
                    await Task.Delay(100);
                    break;
            }
        }
    }

    private static IEnumerable<Sample> Samples(List<(string Id, string Title, string Text)> documents)
    {
        yield return new Sample("plain text", ".txt", ContentTypes.PlainText,
            Encoding.UTF8.GetBytes(string.Join("\n\n", documents.Select(d => d.Title + "\n\n" + d.Text))));
        yield return new Sample("Markdown", ".md", ContentTypes.Markdown,
            Encoding.UTF8.GetBytes(string.Join("\n\n", documents.Select(d => "## " + d.Title + "\n\n" + d.Text))));
        yield return new Sample("HTML", ".html", ContentTypes.Html, Encoding.UTF8.GetBytes(
            "<html><head><title>SciFact</title><script>var x = 1;</script></head><body><nav><a href='/'>Home</a></nav><main>"
            + string.Concat(documents.Select(d => $"<h2>{System.Net.WebUtility.HtmlEncode(d.Title)}</h2><p>{System.Net.WebUtility.HtmlEncode(d.Text)}</p>"))
            + "</main></body></html>"));
        using (var pdf = new MemoryStream())
        {
            TestDocuments.WriteRawPdf(pdf, documents.Count, i => documents[i].Title + ". " + documents[i].Text, "SciFact");
            yield return new Sample("PDF", ".pdf", ContentTypes.Pdf, pdf.ToArray());
        }

        yield return new Sample("DOCX", ".docx", ContentTypes.Docx,
            TestDocuments.Docx("SciFact", documents.SelectMany(d => new[] { ("Heading2", d.Title), ("", d.Text) })));
    }

    /// <summary>SciFact documents, repeated in order until their text passes <paramref name="bytes"/>.</summary>
    private static List<(string Id, string Title, string Text)> Cycle(List<(string Id, string Title, string Text)> documents, long bytes)
    {
        var result = new List<(string Id, string Title, string Text)>();
        long total = 0;
        for (var i = 0; total < bytes; i++)
        {
            var document = documents[i % documents.Count];
            result.Add(document);
            total += document.Title.Length + document.Text.Length + 4;
        }

        return result;
    }

    private static double Peak()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}

using System.Diagnostics;
using System.Text;

namespace OrleansRag.Bench;

/// <summary>
/// Export and import of a collection through the SDK on the embedded default: SciFact abstracts ingested (as text
/// files, so each has an original), exported with and without originals into a file, then imported into a new
/// collection (vectors kept: no embedding) and, once, into a collection of another model (embedded again in the
/// background; only the call is timed). Prints MB/s and chunks/s each way, and the process's peak working set.
/// </summary>
internal static class ArchiveBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var documents = SciFact.Documents(BenchArgs.Int(args, "--docs", 1000));
        Console.WriteLine($"OrleansRag archive benchmark: {Environment.ProcessorCount} cores, {documents.Count} SciFact abstracts as text files");
        var app = BenchHost.Build(new Dictionary<string, string?>());
        await app.StartAsync();
        try
        {
            var rag = BenchHost.Client(app);
            var ingest = Stopwatch.StartNew();
            foreach (var (id, title, text) in documents)
            {
                using var file = new MemoryStream(Encoding.UTF8.GetBytes(text));
                await rag.IngestFileAsync("bench", id, file, ContentTypes.PlainText, title);
            }

            foreach (var (id, _, _) in documents)
            {
                await rag.WaitForDocumentAsync("bench", id, TimeSpan.FromMinutes(10));
            }

            var chunks = (await rag.GetCollectionAsync("bench"))!.ChunkCount;
            Console.WriteLine($"ingested {documents.Count} documents, {chunks} chunks in {ingest.Elapsed.TotalSeconds:F1} s");

            foreach (var sources in new[] { false, true })
            {
                var path = Path.Combine(Path.GetTempPath(), $"orleansrag-bench-{Guid.NewGuid():N}.tar.gz");
                try
                {
                    var export = Stopwatch.StartNew();
                    await using (var file = File.Create(path))
                    {
                        await rag.ExportAsync("bench", file, includeSources: sources);
                    }

                    var seconds = export.Elapsed.TotalSeconds;
                    var megabytes = new FileInfo(path).Length / 1048576.0;
                    Console.WriteLine($"export{(sources ? " with originals" : "")}: {megabytes:F1} MB, {chunks} chunks in {seconds:F2} s = {megabytes / seconds:F1} MB/s, {chunks / seconds:F0} chunks/s");

                    var target = sources ? "restored-sources" : "restored";
                    var import = Stopwatch.StartNew();
                    await using (var file = File.OpenRead(path))
                    {
                        await rag.ImportAsync(target, file);
                    }

                    seconds = import.Elapsed.TotalSeconds;
                    Console.WriteLine($"import{(sources ? " with originals" : "")} (same model, no embedding): {megabytes / seconds:F1} MB/s, {chunks / seconds:F0} chunks/s ({seconds:F2} s, checked whole before it is written)");
                }
                finally
                {
                    File.Delete(path);
                }
            }

            Console.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MiB");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

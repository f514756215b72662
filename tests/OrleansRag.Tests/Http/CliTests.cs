using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;

namespace OrleansRag.Tests.Http;

/// <summary>The orag CLI as a user runs it: a separate process against the real host.</summary>
[Collection(HostCollection.Name)]
public sealed class CliTests(RagHostFixture host) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orag-cli-").FullName;

    private Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunOragAsync(host.BaseAddress, args);

    /// <summary>Runs the orag CLI (the built orag.dll) against <paramref name="baseAddress"/>; its exit code and output.</summary>
    internal static async Task<(int ExitCode, string Output)> RunOragAsync(Uri baseAddress, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "orag.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ORAG_URL"] = baseAddress.ToString();
        start.Environment["COLUMNS"] = "200";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Keys_create_prints_a_key_its_configuration_and_a_cluster_secret_that_the_silo_accepts()
    {
        var (exit, output) = await RunAsync("keys", "create", "--tenant", "acme", "--role", "writer");
        Assert.Equal(0, exit);
        var key = System.Text.RegularExpressions.Regex.Match(output, @"key:\s+(orag_\S+)").Groups[1].Value;
        Assert.True(OrleansRag.Security.ApiKeys.TryGetId(key, out var id), output);
        Assert.Contains($"Security__ApiKeys__0__Id={id}", output, StringComparison.Ordinal);
        Assert.Contains($"Security__ApiKeys__0__Hash={OrleansRag.Security.ApiKeys.Hash(key)}", output, StringComparison.Ordinal);
        var secret = System.Text.RegularExpressions.Regex.Match(output, @"Security__ClusterSecret=(\S+)").Groups[1].Value;
        Assert.Null(OrleansRag.Security.SecurityOptions.ClusterSecretProblem(secret));
    }

    [Fact]
    public async Task Export_and_import_move_a_collection_through_a_file_and_refuse_a_cut_one()
    {
        await host.PutAsync("cli-export", "owls", "Owls can rotate their heads about 270 degrees.", "Owls");
        var file = Path.Combine(_folder, "owls.tar.gz");
        var (exported, output) = await RunAsync("export", "--collection", "cli-export", "--sources", "-o", file);
        Assert.True(exported == 0, output);
        Assert.Contains($"Wrote {file} (", output, StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".partial"));

        var (imported, summary) = await RunAsync("import", file, "--collection", "cli-imported");
        Assert.True(imported == 0, summary);
        Assert.Contains("Imported 1 documents (1 chunks, 1 originals) into 'cli-imported' (created).", summary, StringComparison.Ordinal);
        Assert.Equal("Owls can rotate their heads about 270 degrees.", await host.Http.GetStringAsync("v1/collections/cli-imported/documents/owls/content"));

        var (again, refused) = await RunAsync("import", file, "--collection", "cli-imported");
        Assert.NotEqual(0, again);
        Assert.Contains("replace", refused, StringComparison.Ordinal);

        var cut = Path.Combine(_folder, "cut.tar.gz");
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(cut, bytes[..(bytes.Length / 2)]);
        var (broken, message) = await RunAsync("import", cut, "--collection", "cli-cut");
        Assert.NotEqual(0, broken);
        Assert.Contains("400 Bad Request: The archive is", message, StringComparison.Ordinal);
        Assert.Contains("cut short", message.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_walks_a_folder_and_summarises_ingested_unchanged_failed()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "guides"));
        await File.WriteAllTextAsync(Path.Combine(_folder, "guides", "bees.md"), "# Bees\n\nHoney bees communicate the direction of flowers with a waggle dance.\n");
        await File.WriteAllTextAsync(Path.Combine(_folder, "owls.txt"), "Owls can rotate their heads about 270 degrees.");
        await File.WriteAllBytesAsync(Path.Combine(_folder, "broken.txt"), [0x48, 0x69, 0xFF, 0xFE, 0x00]);
        await File.WriteAllTextAsync(Path.Combine(_folder, "image.gif"), "not a document");
        await File.WriteAllBytesAsync(Path.Combine(_folder, "guides", "tides.pdf"), Infrastructure.TestDocuments.Pdf(["Tide tables.", "Spring tides come after the full moon."]));
        await File.WriteAllBytesAsync(Path.Combine(_folder, "empty.md"), []);

        var (exit, output) = await RunAsync("ingest", _folder, "--collection", "cli");
        Assert.Equal(1, exit); // one file failed
        Assert.Contains("ingested", output, StringComparison.Ordinal);
        Assert.Matches(@"│\s*3\s*│\s*0\s*│\s*0\s*│\s*1\s*│\s*2\s*│", output); // ingested (the PDF waited for), unchanged, queued, failed, skipped
        Assert.Contains("skipped empty.md: empty file", output, StringComparison.Ordinal);
        Assert.Contains("broken.txt: 400", output, StringComparison.Ordinal);
        Assert.Contains("binary data", output, StringComparison.Ordinal);
        Assert.Contains("skipped image.gif: .gif is not a format the service reads", output, StringComparison.Ordinal);

        File.Delete(Path.Combine(_folder, "broken.txt"));
        var (again, secondOutput) = await RunAsync("ingest", _folder, "--collection", "cli");
        Assert.Equal(0, again);
        Assert.Matches(@"│\s*0\s*│\s*3\s*│\s*0\s*│\s*0\s*│\s*2\s*│", secondOutput);
        var pdf = await host.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("v1/collections/cli/documents/guides__tides.pdf");
        Assert.Equal("ready", pdf.GetProperty("status").GetString());
        Assert.Equal(2, pdf.GetProperty("pageCount").GetInt32());

        var document = await host.Http.GetAsync("v1/collections/cli/documents/guides__bees.md");
        Assert.Equal(System.Net.HttpStatusCode.OK, document.StatusCode);

        // Ingested files carry their path as metadata "source", which filters can use.
        var (filtered, filteredOutput) = await RunAsync("search", "animals", "-c", "cli", "--filter", """{"field":"source","eq":"owls.txt"}""");
        Assert.Equal(0, filtered);
        Assert.Contains("owls.txt #0", filteredOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("bees.md #0", filteredOutput, StringComparison.Ordinal);

        var (badFilter, badFilterOutput) = await RunAsync("search", "animals", "-c", "cli", "--filter", """{"field":"source","near":"x"}""");
        Assert.NotEqual(0, badFilter);
        Assert.Contains("unknown operator \"near\"", badFilterOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_and_search_print_answers_sources_and_results()
    {
        await host.PutAsync("cli-ask", "saturn", "Saturn's rings are made mostly of ice particles with some rock and dust.", "Saturn");
        await host.PutAsync("cli-ask", "mars", "Mars appears red because iron oxide covers its surface.", "Mars");

        var (exit, output) = await RunAsync("ask", "What are Saturn's rings made of?", "--collection", "cli-ask");
        Assert.Equal(0, exit);
        Assert.Contains("ice particles", output, StringComparison.Ordinal);
        Assert.Contains("[1]", output, StringComparison.Ordinal);
        Assert.Contains("Sources", output, StringComparison.Ordinal);
        Assert.Contains("Saturn (saturn, chunk 0", output, StringComparison.Ordinal);
        Assert.Contains("total", output, StringComparison.Ordinal);

        var (waited, waitedOutput) = await RunAsync("ask", "What makes Mars red?", "--collection", "cli-ask", "--no-stream", "--mode", "dense");
        Assert.Equal(0, waited);
        Assert.Contains("iron oxide", waitedOutput, StringComparison.Ordinal);

        var (searchExit, searchOutput) = await RunAsync("search", "red planet iron", "-c", "cli-ask", "-k", "1");
        Assert.Equal(0, searchExit);
        Assert.Contains("mars #0", searchOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("saturn #0", searchOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_print_a_message_and_exit_non_zero()
    {
        var (missing, missingOutput) = await RunAsync("ask", "anything?", "--collection", "no-such-collection");
        Assert.Equal(1, missing);
        Assert.Contains("404", missingOutput, StringComparison.Ordinal);
        Assert.Contains("does not exist", missingOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missingOutput, StringComparison.Ordinal); // no stack trace

        var (badK, badKOutput) = await RunAsync("search", "q", "-c", "x", "-k", "0");
        Assert.NotEqual(0, badK);
        Assert.Contains("topK must be between 1 and 100", badKOutput, StringComparison.Ordinal);

        var (noCollection, noCollectionOutput) = await RunAsync("ask", "q");
        Assert.NotEqual(0, noCollection);
        Assert.Contains("--collection is required", noCollectionOutput, StringComparison.Ordinal);

        var (unreachable, unreachableOutput) = await RunAsync("ask", "q", "-c", "x", "--url", "http://127.0.0.1:9");
        Assert.Equal(1, unreachable);
        Assert.Contains("cannot reach OrleansRag", unreachableOutput, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using OrleansRag.Client;

namespace OrleansRag.Bench;

/// <summary>
/// Conversations over 29 manual pages of similar tools (bench/data): how many follow-ups are answered from the right
/// page offline and through a model's rewrite (a fake OpenAI-compatible server that returns a person's rewrite), how
/// many the last question alone gets right, and that questions which stand alone answer exactly as they do alone;
/// then latency: an offline conversation turn against a plain ask, MCP search against HTTP search, and a streamed
/// chat completion's first token. Prints figures; asserts nothing.
/// </summary>
internal static class ConversationBenchmark
{
    private const string Collection = "man";

    private sealed record Dataset(IReadOnlyList<Conversation> FollowUps, IReadOnlyList<Conversation> TopicSwitches);

    private sealed record Conversation(string Id, string[] Turns, string Expected, string? Standalone);

    public static async Task RunAsync(string[] args)
    {
        var rounds = BenchArgs.Int(args, "--rounds", 200);
        var data = Load();
        Console.WriteLine($"dataset: {data.FollowUps.Count} follow-up conversations, {data.TopicSwitches.Count} topic switches, {Pages().Count} manual pages");

        await using var model = await FakeChatModel.StartAsync([.. data.FollowUps.Where(c => c.Standalone is not null).Select(c => (c.Turns[0], c.Turns[^1], c.Standalone!))]);

        // Offline (extractive, keyword rewrite), answer cache off so every figure is a computation.
        var offline = BenchHost.Build(new Dictionary<string, string?> { ["Query:AnswerCacheEntries"] = "0" });
        await offline.StartAsync();
        var offlineHttp = Http(offline);
        await IngestAsync(BenchHost.Client(offline));
        var quality = !args.Contains("--latency-only");
        if (quality)
        {
            await QualityAsync("offline (keyword rewrite)", offlineHttp, data, reportAlone: true);
        }

        var withModel = BenchHost.Build(new Dictionary<string, string?>
        {
            ["Query:AnswerCacheEntries"] = "0",
            ["Generation:Provider"] = "OpenAI",
            ["Generation:Endpoint"] = model.BaseAddress.ToString(),
            ["Generation:Model"] = "fake-model",
        });
        await withModel.StartAsync();
        var modelHttp = Http(withModel);
        await IngestAsync(BenchHost.Client(withModel));
        if (quality)
        {
            await QualityAsync("fake model (a person's rewrite)", modelHttp, data, reportAlone: false);
        }

        await TurnLatencyAsync(offlineHttp, data, rounds);
        await McpLatencyAsync(offline, offlineHttp, data, rounds);
        await FirstTokenAsync("extractive", offlineHttp, rounds / 2);
        await FirstTokenAsync("fake model", modelHttp, rounds / 2);

        await withModel.StopAsync();
        await offline.StopAsync();
    }

    private static Dataset Load()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "conversations.json")));
        static IReadOnlyList<Conversation> Read(JsonElement set) => [.. set.EnumerateArray().Select(c => new Conversation(
            c.GetProperty("id").GetString()!, [.. c.GetProperty("turns").EnumerateArray().Select(t => t.GetString()!)],
            c.GetProperty("expected").GetString()!, c.TryGetProperty("standalone", out var s) ? s.GetString() : null))];
        return new Dataset(Read(json.RootElement.GetProperty("followUps")), Read(json.RootElement.GetProperty("topicSwitches")));
    }

    private static List<string> Pages() => [.. Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "data", "manpages"), "*.txt").Order(StringComparer.Ordinal)];

    /// <summary>Each page under its command name, titled by its NAME line ("gzip, gunzip, zcat - compress or expand files").</summary>
    private static async Task IngestAsync(IRagClient rag)
    {
        var watch = Stopwatch.StartNew();
        foreach (var file in Pages())
        {
            var lines = await File.ReadAllLinesAsync(file);
            var name = Array.FindIndex(lines, l => l.Trim() == "NAME");
            var title = name >= 0 && name + 1 < lines.Length ? lines[name + 1].Trim() : Path.GetFileNameWithoutExtension(file);
            await rag.IngestAsync(Collection, Path.GetFileNameWithoutExtension(file), new DocumentInput(string.Join('\n', lines), title, ContentTypes.PlainText));
        }

        Console.WriteLine($"ingest: {Pages().Count} pages in {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task QualityAsync(string path, HttpClient http, Dataset data, bool reportAlone)
    {
        int right = 0, aloneRight = 0, aloneWrongBothWays = 0, rewritten = 0;
        var misses = new List<string>();
        foreach (var conversation in data.FollowUps)
        {
            var (top, rewrite) = await ConverseAsync(http, conversation.Turns);
            var alone = await TopOfAskAsync(http, conversation.Turns[^1]);
            var aloneSearch = await TopOfSearchAsync(http, conversation.Turns[^1]);
            right += top == conversation.Expected ? 1 : 0;
            aloneRight += alone == conversation.Expected ? 1 : 0;
            aloneWrongBothWays += alone != conversation.Expected && aloneSearch != conversation.Expected ? 1 : 0;
            rewritten += rewrite is null ? 0 : 1;
            if (top != conversation.Expected)
            {
                misses.Add($"{conversation.Id}: got {top ?? "(no citation)"} for \"{rewrite ?? conversation.Turns[^1]}\"");
            }

            if (reportAlone && (alone == conversation.Expected || aloneSearch == conversation.Expected))
            {
                Console.WriteLine($"  note: {conversation.Id}: the last question alone already finds {conversation.Expected} (answer {alone}, search {aloneSearch})");
            }
        }

        Console.WriteLine($"{path}: {right} of {data.FollowUps.Count} follow-ups answered from the right page ({rewritten} rewritten); the last question alone: {aloneRight} of {data.FollowUps.Count}" +
            (reportAlone ? $" ({aloneWrongBothWays} of {data.FollowUps.Count} wrong alone by both the answer's citation and search's top hit)" : ""));
        foreach (var miss in misses)
        {
            Console.WriteLine($"  miss {miss}");
        }

        // Questions that stand alone: the first turn of every conversation and the topic switches' last turns.
        int same = 0, total = 0, switchRight = 0;
        foreach (var conversation in data.FollowUps.Concat(data.TopicSwitches))
        {
            var (first, _) = await ConverseAsync(http, conversation.Turns[..1]);
            same += first == await TopOfAskAsync(http, conversation.Turns[0]) ? 1 : 0;
            total++;
        }

        foreach (var conversation in data.TopicSwitches)
        {
            var (top, rewrite) = await ConverseAsync(http, conversation.Turns);
            var alone = await TopOfAskAsync(http, conversation.Turns[^1]);
            switchRight += top == conversation.Expected ? 1 : 0;
            same += top == alone ? 1 : 0;
            total++;
            if (rewrite is not null)
            {
                Console.WriteLine($"  topic switch {conversation.Id} was rewritten: {rewrite}");
            }
        }

        Console.WriteLine($"{path}: single questions in a conversation answered from the same page as alone: {same} of {total}; topic switches right: {switchRight} of {data.TopicSwitches.Count}");
    }

    /// <summary>A new conversation through HTTP with every turn asked in order: the last answer's first cited page and its rewrite.</summary>
    private static async Task<(string? Top, string? Rewrite)> ConverseAsync(HttpClient http, string[] turns)
    {
        var id = await CreateAsync(http);
        JsonElement last = default;
        foreach (var question in turns)
        {
            last = await PostAsync(http, $"v1/collections/{Collection}/conversations/{id}/messages", new { question });
        }

        return (Top(last), last.TryGetProperty("standaloneQuestion", out var rewrite) ? rewrite.GetString() : null);
    }

    private static async Task<string?> TopOfAskAsync(HttpClient http, string question) =>
        Top(await PostAsync(http, $"v1/collections/{Collection}/ask", new { question }));

    private static async Task<string?> TopOfSearchAsync(HttpClient http, string query)
    {
        var found = await PostAsync(http, $"v1/collections/{Collection}/search", new { query, mode = "hybrid", topK = 1 });
        return found.GetProperty("hits").GetArrayLength() > 0 ? found.GetProperty("hits")[0].GetProperty("documentId").GetString() : null;
    }

    private static string? Top(JsonElement answer) =>
        answer.GetProperty("citations").GetArrayLength() > 0 ? answer.GetProperty("citations")[0].GetProperty("documentId").GetString() : null;

    private static async Task<string> CreateAsync(HttpClient http)
    {
        using var response = await http.PostAsync($"v1/collections/{Collection}/conversations", null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return response.IsSuccessStatusCode ? json : throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {json}");
    }

    /// <summary>
    /// The follow-up as a conversation turn (condensed from the turns before it) against the same question as a plain
    /// ask, interleaved in random order, over HTTP with the answer cache off.
    /// </summary>
    private static async Task TurnLatencyAsync(HttpClient http, Dataset data, int rounds)
    {
        var random = new Random(7);
        var asks = new List<double>();
        var turns = new List<double>();
        for (var i = 0; i < rounds + 20; i++)
        {
            var conversation = data.FollowUps[i % data.FollowUps.Count];
            var id = await CreateAsync(http);
            foreach (var earlier in conversation.Turns[..^1])
            {
                await PostAsync(http, $"v1/collections/{Collection}/conversations/{id}/messages", new { question = earlier });
            }

            async Task<double> TimeAsync(string path)
            {
                var watch = Stopwatch.StartNew();
                await PostAsync(http, path, new { question = conversation.Turns[^1] });
                return watch.Elapsed.TotalMilliseconds;
            }

            var turnFirst = random.Next(2) == 0;
            var a = await TimeAsync(turnFirst ? $"v1/collections/{Collection}/conversations/{id}/messages" : $"v1/collections/{Collection}/ask");
            var b = await TimeAsync(turnFirst ? $"v1/collections/{Collection}/ask" : $"v1/collections/{Collection}/conversations/{id}/messages");
            if (i >= 20) // the first rounds warm the caches and the JIT
            {
                turns.Add(turnFirst ? a : b);
                asks.Add(turnFirst ? b : a);
            }
        }

        Report("offline conversation turn", turns, "plain ask of the same question", asks);
    }

    /// <summary>The MCP search tool (C# SDK client, Streamable HTTP) against POST .../search, the same queries interleaved.</summary>
    private static async Task McpLatencyAsync(WebApplication app, HttpClient http, Dataset data, int rounds)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        await using var mcp = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(address + "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }));
        var queries = data.FollowUps.Select(c => c.Turns[0]).ToList();
        var tool = new List<double>();
        var rest = new List<double>();
        for (var i = 0; i < rounds + 20; i++)
        {
            var query = queries[i % queries.Count];
            var watch = Stopwatch.StartNew();
            var result = await mcp.CallToolAsync("search", new Dictionary<string, object?> { ["collection"] = Collection, ["query"] = query, ["topK"] = 5 });
            var mcpMs = watch.Elapsed.TotalMilliseconds;
            if (result.IsError == true)
            {
                throw new InvalidOperationException("the MCP search failed");
            }

            watch.Restart();
            await PostAsync(http, $"v1/collections/{Collection}/search", new { query, topK = 5, mode = "hybrid" });
            var httpMs = watch.Elapsed.TotalMilliseconds;
            if (i >= 20)
            {
                tool.Add(mcpMs);
                rest.Add(httpMs);
            }
        }

        Report("MCP search (tools/call)", tool, "HTTP search", rest);
    }

    /// <summary>Time from the request to the first piece of content of a streamed chat completion (stream: true).</summary>
    private static async Task FirstTokenAsync(string generator, HttpClient http, int rounds)
    {
        var first = new List<double>();
        var total = new List<double>();
        var questions = new[] { "How does ssh authenticate users?", "What does gzip use to compress files?", "What does git clone create?", "What is less?" };
        for (var i = 0; i < rounds + 10; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = JsonContent.Create(new { model = Collection, stream = true, messages = new[] { new { role = "user", content = questions[i % questions.Length] } } }),
            };
            var watch = Stopwatch.StartNew();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            double? firstMs = null;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (firstMs is null && line.StartsWith("data: {", StringComparison.Ordinal) && line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"content\":\"\"", StringComparison.Ordinal))
                {
                    firstMs = watch.Elapsed.TotalMilliseconds;
                }
            }

            if (i >= 10)
            {
                first.Add(firstMs ?? double.NaN);
                total.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        Report($"chat completion first token ({generator})", first, "whole streamed completion", total);
    }

    private static void Report(string name, List<double> values, string peer, List<double> peerValues)
    {
        var a = values.Order().ToArray();
        var b = peerValues.Order().ToArray();
        Console.WriteLine($"{name}: p50 {Percentiles.Of(a, 50):F2} ms, p95 {Percentiles.Of(a, 95):F2} ms; {peer}: p50 {Percentiles.Of(b, 50):F2} ms, p95 {Percentiles.Of(b, 95):F2} ms; " +
            $"ratio p50 {Percentiles.Of(a, 50) / Percentiles.Of(b, 50):F2}x, p95 {Percentiles.Of(a, 95) / Percentiles.Of(b, 95):F2}x ({a.Length} each)");
    }

    private static HttpClient Http(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new HttpClient { BaseAddress = new Uri(address + "/"), Timeout = TimeSpan.FromMinutes(2) };
    }
}

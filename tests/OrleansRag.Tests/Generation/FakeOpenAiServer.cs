using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansRag.Tests.Generation;

/// <summary>
/// A stand-in for a remote language model: a real HTTP server on 127.0.0.1 speaking OpenAI's chat-completions
/// protocol, which a test tells to answer, delay, return 429 with Retry-After, or return 500.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, string, Task>> _script = new();

    public sealed record Received(DateTimeOffset At, string? Authorization, string Body, string Path = "", string? ApiKeyHeader = null);

    private FakeOpenAiServer(WebApplication app) => _app = app;

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>What the server does when the script is empty (default: answer with <see cref="Answer"/>).</summary>
    public Func<HttpContext, string, Task> Default { get; set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeOpenAiServer(app);
        server.Default = Answer("The answer [1].");
        async Task HandleAsync(HttpContext context)
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            server.Requests.Enqueue(new Received(DateTimeOffset.UtcNow, context.Request.Headers.Authorization, body,
                context.Request.Path + context.Request.QueryString, context.Request.Headers["api-key"]));
            var step = server._script.TryDequeue(out var scripted) ? scripted : server.Default;
            await step(context, body);
        }

        app.MapPost("/v1/chat/completions", HandleAsync);                                    // OpenAI and compatible servers
        app.MapPost("/openai/deployments/{deployment}/chat/completions", HandleAsync);       // Azure OpenAI
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/v1");
        return server;
    }

    public void Then(Func<HttpContext, string, Task> step) => _script.Enqueue(step);

    /// <summary>A chat completion whose content is <paramref name="content"/>.</summary>
    public static Func<HttpContext, string, Task> Answer(string content) => (context, _) =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            id = "chatcmpl-fake",
            @object = "chat.completion",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model = "fake-model",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
        }));
    };

    /// <summary>An SSE chat-completion stream of <paramref name="pieces"/>; with <paramref name="cut"/> the connection drops after them.</summary>
    public static Func<HttpContext, string, Task> Stream(string[] pieces, bool cut = false) => async (context, body) =>
    {
        if (!body.Contains("\"stream\":true", StringComparison.Ordinal))
        {
            await Answer(string.Concat(pieces))(context, body);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        foreach (var piece in pieces)
        {
            var chunk = JsonSerializer.Serialize(new
            {
                id = "chatcmpl-fake",
                @object = "chat.completion.chunk",
                created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                model = "fake-model",
                choices = new[] { new { index = 0, delta = new { role = "assistant", content = piece }, finish_reason = (string?)null } },
            });
            await context.Response.WriteAsync($"data: {chunk}\n\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(20);
        }

        if (cut)
        {
            context.Abort();
            return;
        }

        await context.Response.WriteAsync("data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        await context.Response.WriteAsync("data: [DONE]\n\n");
    };

    public static Func<HttpContext, string, Task> Status(int status, string? retryAfter = null) => (context, _) =>
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("""{"error":{"message":"scripted failure","type":"server_error"}}""");
    };

    public static Func<HttpContext, string, Task> Delay(TimeSpan delay, Func<HttpContext, string, Task> then) => async (context, body) =>
    {
        await Task.Delay(delay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        if (!context.RequestAborted.IsCancellationRequested)
        {
            await then(context, body);
        }
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

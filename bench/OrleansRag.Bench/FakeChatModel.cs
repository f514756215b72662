using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansRag.Conversations;

namespace OrleansRag.Bench;

/// <summary>
/// A stand-in for a remote language model on 127.0.0.1, speaking OpenAI's chat-completions protocol (plain and
/// streamed): asked to condense a follow-up, it returns the rewrite a person wrote for it in that conversation (the
/// question unchanged when there is none); asked to answer, it answers from source [1] at once, so timings measure OrleansRag, not a model.
/// </summary>
internal sealed class FakeChatModel : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeChatModel(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<FakeChatModel> StartAsync(IReadOnlyList<(string FirstQuestion, string LastQuestion, string Rewrite)> rewrites)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var messages = body.RootElement.GetProperty("messages");
            var stream = body.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            var text = messages[0].GetProperty("content").GetString() == LanguageModelFollowUpCondenser.SystemPrompt
                ? Rewrite(messages[1].GetProperty("content").GetString()!, rewrites)
                : "The manual says so [1].";
            if (!stream)
            {
                await context.Response.WriteAsJsonAsync(new
                {
                    id = "chatcmpl-fake", @object = "chat.completion", created = 1, model = "fake-model",
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
                });
                return;
            }

            context.Response.ContentType = "text/event-stream";
            foreach (var piece in text.Split(' ').Select((word, i) => i == 0 ? word : " " + word))
            {
                var chunk = new
                {
                    id = "chatcmpl-fake", @object = "chat.completion.chunk", created = 1, model = "fake-model",
                    choices = new[] { new { index = 0, delta = new { content = piece }, finish_reason = (string?)null } },
                };
                await context.Response.WriteAsync($"data: {JsonSerializer.Serialize(chunk)}\n\n");
                await context.Response.Body.FlushAsync();
            }

            await context.Response.WriteAsync("data: [DONE]\n\n");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FakeChatModel(app, new Uri(address + "/v1"));
    }

    /// <summary>The rewrite of the conversation the prompt shows (its first question and its last one), else the question unchanged.</summary>
    private static string Rewrite(string prompt, IReadOnlyList<(string FirstQuestion, string LastQuestion, string Rewrite)> rewrites)
    {
        const string Marker = "Last question: ";
        var question = prompt[(prompt.LastIndexOf(Marker, StringComparison.Ordinal) + Marker.Length)..].Trim();
        var match = rewrites.FirstOrDefault(r => r.LastQuestion == question && prompt.Contains($"User: {r.FirstQuestion}\n", StringComparison.Ordinal));
        return match.Rewrite ?? question;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

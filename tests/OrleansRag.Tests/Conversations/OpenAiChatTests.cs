using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Http;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Conversations;

/// <summary>
/// The OpenAI-compatible endpoints on the real host (open mode), through the official `openai` npm client
/// (tests/tools/openai-client.mjs) and raw HTTP: models, a plain and a streamed completion, a follow-up whose history
/// decides what is retrieved, and errors in OpenAI's shape.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class OpenAiChatTests(RagHostFixture host) : TwoProductsHostTests(host)
{
    [Fact]
    public async Task The_openai_npm_client_lists_models_chats_follows_up_streams_and_reads_errors()
    {
        var result = await ExternalProcess.RunAsync("node",
            ["openai-client.mjs", Host.BaseAddress + "v1", "none", Collection, TwoProducts.FirstQuestion, TwoProducts.FollowUp],
            TestPaths.Repository("tests", "tools"), timeout: TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
        var report = JsonDocument.Parse(result.Output).RootElement;

        Assert.Contains(report.GetProperty("models").EnumerateArray(), m => m.GetProperty("id").GetString() == Collection && m.GetProperty("object").GetString() == "model");
        Assert.Equal(Collection, report.GetProperty("model").GetProperty("id").GetString());
        Assert.Equal(404, report.GetProperty("missingModel").GetProperty("status").GetInt32());

        var plain = report.GetProperty("plain");
        Assert.Equal("chat.completion", plain.GetProperty("object").GetString());
        Assert.Equal(Collection, plain.GetProperty("model").GetString());
        Assert.Equal("assistant", plain.GetProperty("role").GetString());
        Assert.Equal("stop", plain.GetProperty("finishReason").GetString());
        var content = plain.GetProperty("content").GetString()!;
        Assert.Contains("[1]", content, StringComparison.Ordinal);
        Assert.Contains("\n\nSources:\n[1] Zephyr actor placement (zephyr-placement)", content, StringComparison.Ordinal);
        Assert.Equal("zephyr-placement", plain.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.True(plain.GetProperty("usage").GetProperty("total_tokens").GetInt32() > plain.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        // The earlier messages are the conversation: the follow-up is answered about Zephyr, not Boreas.
        var followUp = report.GetProperty("followUp");
        Assert.Equal("zephyr-membership", followUp.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.Contains("zephyr", followUp.GetProperty("standaloneQuestion").GetString()!, StringComparison.OrdinalIgnoreCase);

        var stream = report.GetProperty("stream");
        Assert.Equal("stop", stream.GetProperty("finishReason").GetString());
        Assert.Equal(followUp.GetProperty("content").GetString(), stream.GetProperty("content").GetString());
        Assert.Equal("zephyr-membership", stream.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.True(stream.GetProperty("chunks").GetInt32() >= 4, stream.ToString());

        Assert.Equal(404, report.GetProperty("unknownModel").GetProperty("status").GetInt32());
        Assert.Contains("does not exist", report.GetProperty("unknownModel").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("model_not_found", report.GetProperty("unknownModel").GetProperty("code").GetString());
        Assert.Equal(400, report.GetProperty("badBody").GetProperty("status").GetInt32());
        Assert.Equal(400, report.GetProperty("toolRole").GetProperty("status").GetInt32());
        Assert.Contains("tool", report.GetProperty("toolRole").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"two-products"}""", "messages")]
    [InlineData("""{"model":"two-products","messages":"hello"}""", "messages")]
    [InlineData("""{"model":"two-products","messages":[{"role":"assistant","content":"hi"}]}""", "last message")]
    [InlineData("""{"model":"two-products","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", "text only")]
    [InlineData("""{"model":"two-products","messages":[{"role":"user","content":42}]}""", "content")]
    [InlineData("""{"model":"two-products","messages":[{"content":"hi"}]}""", "role")]
    [InlineData("""{"model":"two-products","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream")]
    [InlineData("""not json""", "JSON")]
    public async Task Bad_bodies_get_400_in_openai_error_shape(string body, string mentions)
    {
        using var response = await Host.Http.PostAsync("v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(mentions, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Content_parts_and_a_long_history_are_accepted()
    {
        var messages = new List<object>();
        for (var i = 0; i < 120; i++)
        {
            messages.Add(new { role = "user", content = $"Earlier question {i} about Zephyr?" });
            messages.Add(new { role = "assistant", content = new string('z', i == 0 ? 40_000 : 20_000) }); // over the 100 turns and 32,000 characters kept
        }

        messages.Add(new { role = "user", content = new object[] { new { type = "text", text = "And how does it detect failures?" } } });
        using var response = await Host.Http.PostAsJsonAsync("v1/chat/completions", new { model = Collection, messages });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        Assert.Equal("zephyr-membership", body.GetProperty("citations")[0].GetProperty("documentId").GetString());
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Conversations;
using OrleansRag.Tests.Generation;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Conversations;

/// <summary>
/// Conversations with a language model configured (a fake OpenAI-compatible server on loopback): the follow-up is
/// rewritten by the model with the one condensing prompt, the rewrite is what is retrieved and answered and is
/// returned; when the model fails, the offline rewrite stands in.
/// </summary>
public sealed class ModelConversationTests(ModelConversationTests.ModelHost host) : IClassFixture<ModelConversationTests.ModelHost>
{
    private const string Collection = "two-products";
    private const string Rewrite = "How does Zephyr detect failed silos?";

    public sealed class ModelHost : RagHostFixture
    {
        public FakeOpenAiServer Model { get; private set; } = null!;

        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [
            new("Generation:Provider", "OpenAI"),
            new("Generation:Endpoint", Model.BaseAddress.ToString()),
            new("Generation:Model", "fake-model"),
            new("Generation:MaxRetries", "0"),
            new("Generation:RequestTimeout", "00:00:05"),
            new("Generation:CircuitFailureThreshold", "100"),
        ];

        public override async Task InitializeAsync()
        {
            Model = await FakeOpenAiServer.StartAsync();
            Model.Default = async (context, body) =>
            {
                var rewrite = body.Contains("You rewrite the last question", StringComparison.Ordinal);
                await FakeOpenAiServer.Answer(rewrite ? Rewrite : "Zephyr silos probe each other [1].")(context, body);
            };
            await base.InitializeAsync();
            await TwoProducts.SeedAsync(this, Collection);
        }

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            await Model.DisposeAsync();
        }
    }

    private async Task<JsonElement> TurnAsync(string id, string question)
    {
        using var response = await host.Http.PostAsJsonAsync($"v1/collections/{Collection}/conversations/{id}/messages", new { question });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body;
    }

    private async Task<string> CreateAsync()
    {
        using var created = await host.Http.PostAsync($"v1/collections/{Collection}/conversations", null);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task The_model_rewrites_the_follow_up_from_the_history_and_the_rewrite_is_answered()
    {
        var id = await CreateAsync();
        await TurnAsync(id, TwoProducts.FirstQuestion);
        var before = host.Model.Requests.Count;

        var second = await TurnAsync(id, TwoProducts.FollowUp);

        Assert.Equal(Rewrite, second.GetProperty("standaloneQuestion").GetString());
        Assert.Equal(TwoProducts.FollowUp, second.GetProperty("question").GetString());
        Assert.Equal("zephyr-membership", second.GetProperty("citations")[0].GetProperty("documentId").GetString());
        var requests = host.Model.Requests.Skip(before).Select(r => r.Body).ToList();
        Assert.Equal(2, requests.Count); // one rewrite, one answer
        var condense = JsonDocument.Parse(requests[0]).RootElement.GetProperty("messages");
        Assert.Equal(LanguageModelFollowUpCondenser.SystemPrompt, condense[0].GetProperty("content").GetString());
        var prompt = condense[1].GetProperty("content").GetString()!;
        Assert.Contains($"User: {TwoProducts.FirstQuestion}", prompt, StringComparison.Ordinal);
        Assert.Contains("Assistant: Zephyr silos probe each other", prompt, StringComparison.Ordinal);
        Assert.EndsWith($"Last question: {TwoProducts.FollowUp}", prompt, StringComparison.Ordinal);
        Assert.Contains(Rewrite, requests[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_question_costs_no_rewrite()
    {
        var id = await CreateAsync();
        var before = host.Model.Requests.Count;
        var first = await TurnAsync(id, "How does Zephyr move actors when the load is uneven?");
        Assert.False(first.TryGetProperty("standaloneQuestion", out _));
        Assert.Equal(1, host.Model.Requests.Count - before);
    }

    [Fact]
    public async Task When_the_model_fails_the_offline_rewrite_stands_in()
    {
        var id = await CreateAsync();
        await TurnAsync(id, TwoProducts.FirstQuestion);
        host.Model.Then(FakeOpenAiServer.Status(500)); // the rewrite fails; the answer that follows works

        var second = await TurnAsync(id, TwoProducts.FollowUp);

        Assert.Equal($"{TwoProducts.FollowUp} (zephyr)", second.GetProperty("standaloneQuestion").GetString());
        Assert.Equal("zephyr-membership", second.GetProperty("citations")[0].GetProperty("documentId").GetString());
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Production;

/// <summary>
/// A conversation in production mode (Redis storage, PostgreSQL membership) outlives the silo that held it: after a
/// kill -9 of that silo, another silo serves its history and answers the next follow-up in context.
/// </summary>
public sealed class ConversationFailoverTests
{
    [Fact]
    public async Task A_conversation_survives_a_kill_of_its_silo()
    {
        await using var cluster = new ProductionCluster();
        await cluster.StartSilosAsync(2);
        var (holder, survivor) = (cluster.Silos[0], cluster.Silos[1]);
        foreach (var (documentId, title, text) in Conversations.TwoProducts.Documents)
        {
            using var put = await holder.Http.PutAsJsonAsync($"v1/collections/products/documents/{documentId}", new { text, title });
            put.EnsureSuccessStatusCode();
        }

        // Created through the first silo's HTTP edge, so the conversation is activated there.
        using var created = await holder.Http.PostAsync("v1/collections/products/conversations", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var path = $"v1/collections/products/conversations/{id}";
        using (var first = await holder.Http.PostAsJsonAsync($"{path}/messages", new { question = Conversations.TwoProducts.FirstQuestion }))
        {
            Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
        }

        holder.Kill();

        // The survivor answers once the membership has declared the dead silo (seconds): history, then the follow-up.
        JsonElement history = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            using var response = await survivor.Http.GetAsync(path);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            history = await response.Content.ReadFromJsonAsync<JsonElement>();
            return true;
        }, TimeSpan.FromSeconds(90), "the conversation to be served by the surviving silo", TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, history.GetProperty("turnCount").GetInt32());
        Assert.Equal(Conversations.TwoProducts.FirstQuestion, history.GetProperty("turns")[0].GetProperty("question").GetString());

        using var second = await survivor.Http.PostAsJsonAsync($"{path}/messages", new { question = Conversations.TwoProducts.FollowUp });
        var answer = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(second.IsSuccessStatusCode, answer.ToString());
        Assert.Equal(2, answer.GetProperty("turn").GetInt32());
        Assert.Equal("zephyr-membership", answer.GetProperty("citations")[0].GetProperty("documentId").GetString());

        var listed = await survivor.Http.GetFromJsonAsync<JsonElement>("v1/collections/products/conversations");
        Assert.Contains(listed.GetProperty("conversations").EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }
}

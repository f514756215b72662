using System.Text.Json;
using OrleansRag.Tests.Http;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Conversations;

/// <summary>
/// The web page's chat view in headless Debian Chromium (tests/tools/web-chat.mjs) against the real host: history on
/// screen, a streamed follow-up answered in context, citations, a new conversation, and an earlier one reopened.
/// Screenshots are kept beside the test assembly (screenshots/chat/).
/// </summary>
[Collection(HostCollection.Name)]
public sealed class WebChatTests(RagHostFixture host) : TwoProductsHostTests(host)
{
    [Fact]
    public async Task A_person_chats_follows_up_starts_over_and_reopens_a_conversation()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is not installed (apt-get install chromium; test.sh does it).");
        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots", "chat");
        var result = await ExternalProcess.RunAsync("node",
            ["web-chat.mjs", Host.BaseAddress.ToString(), screenshots, Collection, TwoProducts.FirstQuestion, TwoProducts.FollowUp],
            TestPaths.Repository("tests", "tools"), timeout: TimeSpan.FromMinutes(4));
        Assert.True(result.ExitCode == 0, result.ToString());
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Empty(report.GetProperty("pageErrors").EnumerateArray());
        Assert.All(report.GetProperty("streams").EnumerateArray(), s => Assert.StartsWith("text/event-stream", s.GetString(), StringComparison.Ordinal));

        var question = report.GetProperty("question");
        Assert.Equal("1", question.GetProperty("turn").GetString());
        Assert.Contains("zephyr-placement", question.GetProperty("citations")[0].GetString(), StringComparison.Ordinal);

        var followUp = report.GetProperty("followUp");
        Assert.Equal("2", followUp.GetProperty("turn").GetString());
        Assert.Equal("answered as: And how does it detect failures? (zephyr)", followUp.GetProperty("answeredAs").GetString());
        Assert.Contains("zephyr-membership", followUp.GetProperty("citations")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("zephyr-membership", report.GetProperty("citation").GetString(), StringComparison.Ordinal);
        Assert.Contains(report.GetProperty("listed").EnumerateArray(), o => o.GetString()!.StartsWith(TwoProducts.FirstQuestion, StringComparison.Ordinal));

        // A new conversation has no context: the same follow-up alone is about the other product.
        var fresh = report.GetProperty("newConversation");
        Assert.Equal("1", fresh.GetProperty("turn").GetString());
        Assert.Contains("boreas", fresh.GetProperty("citations")[0].GetString(), StringComparison.Ordinal);

        Assert.Equal([TwoProducts.FirstQuestion, TwoProducts.FollowUp], report.GetProperty("reopened").EnumerateArray().Select(q => q.GetString()));
    }
}

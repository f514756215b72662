using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Client;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Conversations;

/// <summary>The SDK's IChatClient over a collection: the messages are the conversation; citations as annotations; streaming.</summary>
[Collection(HostCollection.Name)]
public sealed class RagChatClientTests(RagHostFixture host) : TwoProductsHostTests(host)
{
    private IChatClient Chat() => new RagClient(Host.App.Services.GetRequiredService<IGrainFactory>(), "default", apiKey: null).AsChatClient(Collection);

    private static List<ChatMessage> Messages(string firstAnswer) =>
    [
        new(ChatRole.System, "Answer briefly."),
        new(ChatRole.User, TwoProducts.FirstQuestion),
        new(ChatRole.Assistant, firstAnswer),
        new(ChatRole.User, TwoProducts.FollowUp),
    ];

    [Fact]
    public async Task Earlier_messages_are_the_conversation_and_citations_come_as_annotations()
    {
        using var chat = Chat();
        var first = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, TwoProducts.FirstQuestion)]);
        Assert.Contains("[1]", first.Text, StringComparison.Ordinal);
        Assert.Null(first.ConversationId); // nothing stored without a conversation

        var second = await chat.GetResponseAsync(Messages(first.Text));
        var citation = second.Messages[0].Contents.OfType<TextContent>().Single().Annotations!.OfType<CitationAnnotation>().First();
        Assert.Equal("zephyr-membership", citation.FileId);
        Assert.Equal("Zephyr cluster membership", citation.Title);
        Assert.Contains("zephyr", (string)second.AdditionalProperties!["standaloneQuestion"]!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Collection, chat.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task Streaming_gives_the_text_then_a_last_update_with_the_citations()
    {
        using var chat = Chat();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync(Messages("Zephyr places actors on silos.")))
        {
            updates.Add(update);
        }

        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Contains(updates[^1].Contents.SelectMany(c => c.Annotations ?? []).OfType<CitationAnnotation>(), a => a.FileId == "zephyr-membership");
        Assert.Contains("probe", string.Concat(updates.Select(u => u.Text)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_last_message_that_is_not_the_users_question_is_refused()
    {
        using var chat = Chat();
        await Assert.ThrowsAsync<ArgumentException>(() => chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi"), new ChatMessage(ChatRole.Assistant, "hello")]));
    }
}

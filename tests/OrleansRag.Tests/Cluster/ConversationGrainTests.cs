using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Cluster;

/// <summary>
/// Conversation grains on the two-silo cluster (Conversations:MaxTurns 2, IdleTtl 5 s, MaxPerKey 3): turns numbered and
/// bounded, an idle conversation gone from the grain and from the listing, the index's sweep making room, unknown ones
/// answered as absent.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ConversationGrainTests(ClusterFixture fixture)
{
    private const string Collection = "default/talk";

    private async Task SeedAsync()
    {
        await fixture.Grains.GetGrain<IDocumentGrain>(GrainKeys.Document(Collection, "volcanoes")).UpsertAsync(
            new DocumentInput("Volcanoes erupt when magma rises through the crust. Basalt lava flows far because it is runny.", "Volcanoes"));
    }

    [Fact]
    public async Task Turns_are_numbered_and_only_the_newest_are_kept()
    {
        await SeedAsync();
        var conversation = fixture.Grains.GetGrain<IConversationGrain>(GrainKeys.Document(Collection, "bounded"));
        Assert.NotNull(await conversation.CreateAsync());
        foreach (var question in new[] { "Why do volcanoes erupt?", "And why does it flow far?", "What rises through the crust?" })
        {
            Assert.NotNull(await conversation.SendAsync(question, new SearchOptions(3, SearchMode.Hybrid)));
        }

        var stored = (await conversation.GetAsync())!;
        Assert.Equal(3, stored.TurnCount);
        Assert.Equal([2, 3], stored.Turns.Select(t => t.N));
        Assert.Equal("Why do volcanoes erupt?", stored.Title);
        Assert.Equal("And why does it flow far? (volcanoes)", stored.Turns[0].StandaloneQuestion);
    }

    [Fact]
    public async Task An_idle_conversation_expires_from_its_grain_and_its_listing()
    {
        await SeedAsync();
        var conversation = fixture.Grains.GetGrain<IConversationGrain>(GrainKeys.Document(Collection, "idle"));
        Assert.NotNull(await conversation.CreateAsync());
        Assert.NotNull(await conversation.SendAsync("Why do volcanoes erupt?", new SearchOptions(3)));
        var index = fixture.Grains.GetGrain<IConversationIndexGrain>(GrainKeys.Document(Collection, "local"));
        Assert.Contains(await index.ListAsync(), c => c.Id == "idle");

        await Eventually.WaitUntilAsync(async () => await conversation.GetAsync() is null, TimeSpan.FromSeconds(60), "the idle conversation to expire", TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain(await index.ListAsync(), c => c.Id == "idle");
        Assert.Null(await conversation.SendAsync("Still there?", new SearchOptions(3)));
        Assert.False(await conversation.DeleteAsync());
    }

    [Fact]
    public async Task A_full_index_sweeps_its_idle_conversations_to_make_room()
    {
        await SeedAsync();
        const string collection = "default/sweep";
        await fixture.Grains.GetGrain<IDocumentGrain>(GrainKeys.Document(collection, "volcanoes")).UpsertAsync(new DocumentInput("Volcanoes erupt when magma rises."));
        var index = fixture.Grains.GetGrain<IConversationIndexGrain>(GrainKeys.Document(collection, "local"));
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await fixture.Grains.GetGrain<IConversationGrain>(GrainKeys.Document(collection, $"old-{i}")).CreateAsync());
        }

        await Assert.ThrowsAsync<ConversationConflictException>(() => fixture.Grains.GetGrain<IConversationGrain>(GrainKeys.Document(collection, "one-too-many")).CreateAsync());

        // Once the three are idle past the TTL (untouched, so only the index's sweep removes them), a new one fits: the
        // sweep asks each to expire, and they must not call back into the index that is asking.
        await Eventually.WaitUntilAsync(async () => (await index.ListAsync()).Length == 0, TimeSpan.FromSeconds(60), "the three to be idle past the TTL", TimeSpan.FromMilliseconds(500));
        Assert.NotNull(await fixture.Grains.GetGrain<IConversationGrain>(GrainKeys.Document(collection, "new")).CreateAsync());
        Assert.Equal(["new"], (await index.ListAsync()).Select(c => c.Id));
        Assert.Null(await fixture.Grains.GetGrain<IConversationGrain>(GrainKeys.Document(collection, "old-0")).GetAsync());
    }

    [Fact]
    public async Task Unknown_conversations_and_collections_are_absent()
    {
        var unknown = fixture.Grains.GetGrain<IConversationGrain>(GrainKeys.Document(Collection, "never-created"));
        Assert.Null(await unknown.GetAsync());
        Assert.Null(await unknown.SendAsync("Hello?", new SearchOptions(3)));
        Assert.False(await unknown.DeleteAsync());
        var events = new List<AskStreamEvent>();
        await foreach (var item in unknown.SendStreamAsync("Hello?", new SearchOptions(3)))
        {
            events.Add(item);
        }

        Assert.Equal(AskStreamEventKind.Error, Assert.Single(events).Kind);
        Assert.Null(await fixture.Grains.GetGrain<IConversationGrain>("default/no-such-collection/c1").CreateAsync());
    }
}

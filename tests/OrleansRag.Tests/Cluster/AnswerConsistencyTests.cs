using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansRag.Embedding;

namespace OrleansRag.Tests.Cluster;

/// <summary>
/// The answer path on a two-silo cluster: answers never quote content that search no longer finds, whatever
/// write step fails, and an ask embeds nothing but its question.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AnswerConsistencyTests(ClusterFixture fixture)
{
    private const string Tenant = "answers";
    private const string Question = "What is the launch code of the rocket?";
    private static readonly SearchOptions Hybrid = new(TopK: 3, Mode: SearchMode.Hybrid);

    private IDocumentGrain Document(string collection, string id) => fixture.Grains.GetGrain<IDocumentGrain>(GrainKeys.Document(Tenant, collection, id));

    private IQueryGrain Query(string collection) => fixture.Grains.GetGrain<IQueryGrain>(GrainKeys.Collection(Tenant, collection));

    private static DocumentInput Codes(string code) => new($"The launch code of the rocket is {code}. It is changed every spring by the flight director.", "Launch codes");

    [Theory]
    [InlineData("shard")]
    [InlineData("collection")]
    [InlineData("document")]
    public async Task An_answer_never_outlives_its_content_when_a_write_step_fails_and_is_retried(string step)
    {
        var collection = $"stale-{step}";
        await Document(collection, "fruit").UpsertAsync(new DocumentInput("Bananas are yellow fruits rich in potassium and grow in clusters.", "Fruit"));
        await Document(collection, "codes").UpsertAsync(Codes("alpha seven"));
        var first = (await Query(collection).AskAsync(Question, Hybrid))!;
        Assert.Contains("alpha seven", first.Answer, StringComparison.Ordinal);
        var again = (await Query(collection).AskAsync(Question, Hybrid))!;
        Assert.True(again.Cached || again.Answer == first.Answer, "the second ask is served from the cache of the silo that answered");

        switch (step)
        {
            case "shard":
                ClusterFixture.Store.FailCommits("codes", 1);
                break;
            case "collection":
                FaultInjectingGrainStorage.FailWrites("collection", $"{Tenant}/{collection}", 1);
                break;
            default:
                FaultInjectingGrainStorage.FailWrites("document", $"{Tenant}/{collection}/codes", 1);
                break;
        }

        await Assert.ThrowsAnyAsync<Exception>(() => Document(collection, "codes").UpsertAsync(Codes("omega nine")));

        // Whatever the failed write left behind, the answer quotes what search finds now.
        await AssertAnswerMatchesSearchAsync(collection);

        var retried = await Document(collection, "codes").UpsertAsync(Codes("omega nine"));
        Assert.NotEqual(IngestStatus.Unchanged, retried.Status);
        var after = (await Query(collection).AskAsync(Question, Hybrid))!;
        Assert.Contains("omega nine", after.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("alpha", after.Answer, StringComparison.Ordinal);
        await AssertAnswerMatchesSearchAsync(collection);
        Assert.Equal(2, (await fixture.Grains.GetGrain<ICollectionGrain>(GrainKeys.Collection(Tenant, collection)).GetInfoAsync()).DocumentCount);
    }

    private async Task AssertAnswerMatchesSearchAsync(string collection)
    {
        var hits = (await Query(collection).SearchAsync(Question, Hybrid))!.Hits;
        var served = hits.First(h => h.DocumentId == "codes").Text;
        var answer = (await Query(collection).AskAsync(Question, Hybrid))!.Answer;
        Assert.Equal(served.Contains("omega", StringComparison.Ordinal), answer.Contains("omega", StringComparison.Ordinal));
        Assert.Equal(served.Contains("alpha", StringComparison.Ordinal), answer.Contains("alpha", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Chunks_carry_sentence_vectors_and_an_ask_embeds_only_its_question()
    {
        var collection = "sentence-vectors";
        await Document(collection, "codes").UpsertAsync(Codes("delta four"));
        var chunk = Assert.Single((await Document(collection, "codes").GetChunksAsync(withVectors: true))!.Chunks);
        var sentences = Assert.IsType<SentenceVectors>(chunk.Sentences);
        Assert.Equal(2, sentences.Count);
        Assert.Equal("The launch code of the rocket is delta four.", chunk.Text.Substring(sentences.Span(0).Start, sentences.Span(0).Length));

        var services = fixture.Cluster.Silos.OfType<InProcessSiloHandle>().Select(s => s.SiloHost.Services.GetRequiredService<EmbeddingService>()).ToList();
        var interactive = services.Sum(s => s.InteractiveTexts);
        var bulk = services.Sum(s => s.BulkTexts);
        var answer = (await Query(collection).AskAsync("Which launch code does the rocket use? (sentence vectors)", Hybrid))!;
        Assert.Contains("delta four", answer.Answer, StringComparison.Ordinal);
        Assert.False(answer.Cached);
        Assert.Equal(interactive + 1, services.Sum(s => s.InteractiveTexts));
        Assert.Equal(bulk, services.Sum(s => s.BulkTexts));

        // Search hits never carry the vectors (they are for answers only).
        Assert.All((await Query(collection).SearchAsync("launch code", Hybrid))!.Hits, hit => Assert.Null(hit.Sentences));
    }
}

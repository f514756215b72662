using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansRag.Embedding;

namespace OrleansRag.Tests.Engines;

/// <summary>
/// The embedding service's document queue is bounded (Embedding:MaxQueuedTexts): beyond it a write is refused
/// with <see cref="EmbeddingQueueFullException"/> (HTTP 503 + Retry-After) instead of queueing without bound, what
/// was accepted still completes, and questions are never refused.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EmbeddingQueueTests
{
    [Fact]
    public async Task Document_texts_beyond_the_bound_are_refused_and_questions_still_run()
    {
        using var service = new EmbeddingService(Options.Create(new EmbeddingOptions { MaxQueuedTexts = 64 }), NullLogger<EmbeddingService>.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            // Long texts (the model's 256 word pieces), so no batch finishes while the calls below are submitted.
            var text = string.Join(' ', Enumerable.Repeat("Grains are virtual actors that Orleans activates on demand and places across silos.", 30));
            var batch = Enumerable.Repeat(text, 32).ToArray();
            var calls = Enumerable.Range(0, 8).Select(_ => Capture(service.EmbedAsync(batch, EmbeddingKind.Document))).ToList();
            var question = await service.EmbedAsync(["What are grains?"], EmbeddingKind.Query);
            Assert.Single(question.Vectors);

            var outcomes = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromMinutes(5));
            Assert.Contains(outcomes, o => o is EmbeddingQueueFullException);
            Assert.Contains(outcomes, o => o is null);
            Assert.All(outcomes.OfType<Exception>(), e => Assert.IsType<EmbeddingQueueFullException>(e));
            Assert.Contains("Embedding:MaxQueuedTexts", outcomes.OfType<Exception>().First().Message, StringComparison.Ordinal);

            // Once drained, the queue takes work again.
            Assert.Equal(32, (await service.EmbedAsync(batch, EmbeddingKind.Document)).Vectors.Length);
            Assert.Equal(0, service.QueueLength);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<Exception?> Capture(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }
}

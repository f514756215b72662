using Microsoft.Extensions.Time.Testing;
using OrleansRag.Ingestion;

namespace OrleansRag.Tests.Engines;

/// <summary>The rules of a background ingest job, under a fake clock: states, counted attempts, backoff, giving up.</summary>
[Trait("Category", "Unit")]
public sealed class IngestJobLifecycleTests
{
    private static readonly DocumentPlacement Placement = new(3, 200, 32);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private IngestJobLifecycle Lifecycle(int maxAttempts = 3) => new(new IngestionOptions
    {
        MaxAttempts = maxAttempts,
        RetryBaseDelay = TimeSpan.FromSeconds(2),
        RetryMaxDelay = TimeSpan.FromSeconds(5),
    }, _time);

    private static IngestJob NewJob(IngestJobLifecycle lifecycle) =>
        lifecycle.Create("v1", "t/c/d/u1", ContentTypes.PlainText, "  Title  ", [], "hash", 1234, Placement);

    [Fact]
    public void A_new_job_is_queued_due_now_with_its_placement_and_a_trimmed_title()
    {
        var lifecycle = Lifecycle();
        var job = NewJob(lifecycle);

        Assert.Equal(DocumentStatus.Queued, job.Status);
        Assert.Equal(TimeSpan.Zero, lifecycle.DueIn(job));
        Assert.Equal("Title", job.Title);
        Assert.Equal(Placement, job.Placement);
        Assert.True(IngestJobLifecycle.IsActive(job));
        Assert.False(IngestJobLifecycle.IsActive(null));
    }

    [Fact]
    public void Attempts_are_counted_when_they_start_and_retried_with_doubling_backoff_up_to_the_maximum()
    {
        var lifecycle = Lifecycle(maxAttempts: 4);
        var job = NewJob(lifecycle);

        Assert.Null(lifecycle.Start(job));
        Assert.Equal((DocumentStatus.Processing, 1), (job.Status, job.Attempts));
        lifecycle.AfterFailure(job, "storage blinked");
        Assert.Equal(DocumentStatus.Queued, job.Status);
        Assert.Equal("Attempt 1 failed and will be retried: storage blinked", job.Error);
        Assert.Equal(TimeSpan.FromSeconds(2), lifecycle.DueIn(job));

        Assert.Null(lifecycle.Start(job));
        lifecycle.AfterFailure(job, "again");
        Assert.Equal(TimeSpan.FromSeconds(4), lifecycle.DueIn(job));

        Assert.Null(lifecycle.Start(job));
        lifecycle.AfterFailure(job, "again");
        Assert.Equal(TimeSpan.FromSeconds(5), lifecycle.DueIn(job)); // capped at the maximum
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)], Enumerable.Range(1, 4).Select(lifecycle.Backoff));
    }

    [Fact]
    public void The_last_attempt_failing_fails_the_job_with_the_reason()
    {
        var lifecycle = Lifecycle(maxAttempts: 2);
        var job = NewJob(lifecycle);
        lifecycle.Start(job);
        lifecycle.AfterFailure(job, "one");
        lifecycle.Start(job);
        lifecycle.AfterFailure(job, "two");

        Assert.Equal(DocumentStatus.Failed, job.Status);
        Assert.Equal("Gave up after 2 attempts; the last failed with: two", job.Error);
        Assert.False(IngestJobLifecycle.IsActive(job));
    }

    [Fact]
    public void Attempts_that_died_with_their_silo_count_and_a_job_out_of_attempts_is_not_started_again()
    {
        var lifecycle = Lifecycle(maxAttempts: 2);
        var job = NewJob(lifecycle);
        lifecycle.Start(job);
        IngestJobLifecycle.Resume(job); // its silo died while processing: queued again on activation, the attempt counted
        Assert.Equal((DocumentStatus.Queued, 1), (job.Status, job.Attempts));
        lifecycle.Start(job);
        IngestJobLifecycle.Resume(job);

        Assert.Equal("the silo running attempt 2 stopped before it ended", lifecycle.Start(job));
        Assert.Equal(DocumentStatus.Queued, job.Status);
        Assert.Equal(2, job.Attempts);
    }

    [Fact]
    public void The_listing_line_shows_the_served_version_or_the_job_alone()
    {
        var lifecycle = Lifecycle();
        var job = NewJob(lifecycle);
        IngestJobLifecycle.Fail(job, "corrupt PDF");

        var alone = IngestJobLifecycle.Summary("d", new DocumentState(), job);
        Assert.Equal(("Title", DocumentStatus.Failed, "corrupt PDF", 0), (alone.Title, alone.Status, alone.Error, alone.ChunkCount));

        var served = IngestJobLifecycle.Summary("d", new DocumentState { Exists = true, Title = "Served", ChunkCount = 7 }, job);
        Assert.Equal(("Served", DocumentStatus.Failed, 7), (served.Title, served.Status, served.ChunkCount));
        Assert.Equal("inner", IngestJobLifecycle.Describe(new AggregateException(new IOException("inner"))));
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansRag.Silo.Api;

namespace OrleansRag.Tests.Http;

/// <summary>
/// One rule for what is the caller's fault: a <see cref="RagValidationException"/> (thrown anywhere, grains
/// included) is a 400 with its message; any other exception, an ArgumentException from deep inside included, is a
/// 500 with a trace id and none of its text.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ErrorMappingTests(RagHostFixture host)
{
    [Fact]
    public async Task A_validation_exception_is_a_400_with_its_message()
    {
        var (status, problem) = await HandleAsync(new RagValidationException("topK must be between 1 and 100; it was 500.", "topK"));
        Assert.Equal(StatusCodes.Status400BadRequest, status);
        Assert.Equal("topK must be between 1 and 100; it was 500.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(typeof(ArgumentException))]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(NullReferenceException))]
    public async Task Any_other_exception_is_a_500_with_a_trace_id_and_no_internal_text(Type type)
    {
        var exception = (Exception)Activator.CreateInstance(type, "secret internal detail at OrleansRag.Retrieval.VectorIndex")!;
        var (status, problem) = await HandleAsync(exception);
        Assert.Equal(StatusCodes.Status500InternalServerError, status);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        Assert.DoesNotContain("secret", problem.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("OrleansRag.", problem.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_embedding_queue_is_a_503_with_retry_after()
    {
        var context = Context();
        var (status, problem) = await HandleAsync(new EmbeddingQueueFullException("The embedding queue holds 9000 document texts (Embedding:MaxQueuedTexts is 8192); retry shortly."), context);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
        Assert.Contains("Embedding:MaxQueuedTexts", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_validation_exception_crosses_a_grain_call_intact()
    {
        var grains = host.App.Services.GetRequiredService<IGrainFactory>();
        var thrown = await Assert.ThrowsAsync<RagValidationException>(() =>
            grains.GetGrain<IQueryGrain>(GrainKeys.Collection(RagConstants.DefaultTenant, "errors")).SearchAsync("q", new SearchOptions(TopK: 0)));
        Assert.Equal("options", thrown.Field);
        Assert.Contains("topK", thrown.Message, StringComparison.Ordinal);
    }

    private DefaultHttpContext Context()
    {
        var context = new DefaultHttpContext { RequestServices = host.App.Services };
        context.Request.Method = "POST";
        context.Request.Path = "/v1/collections/errors/search";
        context.Response.Body = new MemoryStream();
        return context;
    }

    private async Task<(int Status, JsonElement Problem)> HandleAsync(Exception exception, DefaultHttpContext? given = null)
    {
        var context = given ?? Context();
        var body = context.Response.Body;
        var handler = new RagExceptionHandler(host.App.Services.GetRequiredService<IProblemDetailsService>(), NullLogger<RagExceptionHandler>.Instance);
        Assert.True(await handler.TryHandleAsync(context, exception, CancellationToken.None));
        body.Position = 0;
        using var document = await JsonDocument.ParseAsync(body);
        return (context.Response.StatusCode, document.RootElement.Clone());
    }
}

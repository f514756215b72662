using Orleans.Persistence.Redis;
using StackExchange.Redis;

namespace OrleansRag.Hosting;

/// <summary>
/// Turns a storage failure that escapes a grain call (StackExchange.Redis' exceptions, Orleans' Redis storage
/// exception, the blob stores' S3 and Azure exceptions) into a <see cref="StorageUnavailableException"/>, which every silo and client can deserialise: without
/// this a hung Redis reaches a caller on another silo as a codec failure (a 500) instead of "storage unavailable" (503).
/// </summary>
public sealed class StorageFailureFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await context.Invoke();
        }
        catch (Exception exception) when (Describe(exception) is { } reason)
        {
            throw new StorageUnavailableException(reason);
        }
    }

    /// <summary>What a storage failure in <paramref name="exception"/>'s chain says, without client internals; null when there is none.</summary>
    public static string? Describe(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case RedisTimeoutException:
                    return "Storage (Redis) did not answer in time, so the change was not saved; retry it later.";
                case RedisConnectionException:
                    return "Storage (Redis) cannot be reached, so the change was not saved; retry it later.";
                case RedisException or RedisStorageException:
                    return "Storage (Redis) refused the write, so the change was not saved; retry it later.";
                case InvalidOperationException when e.StackTrace?.Contains("StackExchange.Redis.", StringComparison.Ordinal) == true:
                    // StackExchange.Redis writing to a connection it is closing (a Redis restart): "Writing is not allowed
                    // after writer was completed" from its pipe, not one of its own exception types.
                    return "Storage (Redis) closed its connection during the request, so the change was not saved; retry it later.";
                case Amazon.S3.AmazonS3Exception or Amazon.Runtime.AmazonServiceException or Azure.RequestFailedException:
                    return "The blob store (originals) did not take the request, so the change was not saved; retry it later.";
                case HttpRequestException when e.StackTrace?.Contains("OrleansRag.Blobs", StringComparison.Ordinal) == true:
                    return "The blob store (originals) cannot be reached, so the change was not saved; retry it later.";
            }
        }

        return null;
    }
}

using System.Text;
using OrleansRag.Blobs;
using OrleansRag.Tests.Production;

namespace OrleansRag.Tests.Storage;

/// <summary>
/// One contract, three stores: a folder, Azure Blob Storage (Azurite, Microsoft's emulator) and an S3 server (s3rver),
/// the last two real servers on 127.0.0.1 started by ./test.sh (tests/servers.sh).
/// </summary>
public sealed class BlobStoreTests
{
    public static TheoryData<string> Kinds => ["folder", "azurite", "s3"];

    /// <summary>The store <paramref name="options"/> describe, as a silo makes it.</summary>
    internal static IBlobStore Store(BlobStoreOptions options) => BlobStores.Create(options);

    /// <summary>A fresh, empty store of <paramref name="kind"/> (its own folder, container or bucket).</summary>
    internal static IBlobStore Create(string kind)
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..12];
        return kind switch
        {
            "folder" => new FolderBlobStore(Path.Combine(Path.GetTempPath(), "orleansrag-blob-test-" + name), deleteOnDispose: true),
            "azurite" => BlobStores.Create(new BlobStoreOptions
            {
                Kind = BlobStoreKind.AzureBlob,
                AzureBlob = new AzureBlobStoreOptions { ConnectionString = ProductionServers.Azurite, Container = name },
            }),
            "s3" => BlobStores.Create(new BlobStoreOptions
            {
                Kind = BlobStoreKind.S3,
                S3 = new S3StoreOptions { ServiceUrl = ProductionServers.S3, Bucket = name, AccessKey = "S3RVER", SecretKey = "S3RVER" },
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Blobs_are_written_read_in_ranges_replaced_listed_by_prefix_and_deleted(string kind)
    {
        var store = Create(kind);
        try
        {
            var big = new byte[3 * 1024 * 1024 + 17];
            new Random(7).NextBytes(big);
            var key = "originals/" + BlobKeys.Of("tenant", "manuals", "guides/Lighthouse Keeper's #1 Manual.pdf", "v1");
            await store.PutAsync(key, big, "application/pdf");

            var item = Assert.IsType<BlobItem>(await store.GetAsync(key));
            Assert.Equal(big.Length, item.Length);
            Assert.NotEmpty(item.ETag);

            // Read back in pieces, as a download does: the same bytes, exactly.
            var copy = new MemoryStream();
            for (long offset = 0; offset < big.Length; offset += 1024 * 1024)
            {
                copy.Write(await store.ReadAsync(key, offset, 1024 * 1024) ?? throw new InvalidOperationException("gone"));
            }

            Assert.Equal(big, copy.ToArray());
            Assert.Equal(big.AsSpan(big.Length - 10).ToArray(), await store.ReadAsync(key, big.Length - 10, 100));
            Assert.Empty((await store.ReadAsync(key, big.Length + 5, 100))!);
            Assert.Null(await store.ReadAsync("originals/missing", 0, 10));
            Assert.Null(await store.GetAsync("originals/missing"));

            // Replaced whole.
            await store.PutAsync(key, Encoding.UTF8.GetBytes("second version"), "text/plain");
            Assert.Equal("second version", Encoding.UTF8.GetString((await store.ReadAsync(key, 0, 1000))!));
            Assert.NotEqual(item.ETag, (await store.GetAsync(key))!.ETag);

            // Listed by prefix, in key order; other prefixes are not.
            await store.PutAsync("originals/tenant/manuals/a/v1", "a"u8.ToArray(), "text/plain");
            await store.PutAsync("originals/tenant/other/b/v1", "b"u8.ToArray(), "text/plain");
            var listed = new List<BlobItem>();
            await foreach (var blob in store.ListAsync("originals/tenant/manuals/"))
            {
                listed.Add(blob);
            }

            Assert.Equal(["originals/tenant/manuals/a/v1", key], listed.Select(b => b.Key));
            Assert.Equal([1L, 14L], listed.Select(b => b.Length));

            Assert.True(await store.DeleteAsync(key));
            Assert.False(await store.DeleteAsync(key));
            Assert.Null(await store.ReadAsync(key, 0, 10));
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public async Task Key_segments_are_safe_unique_and_bounded()
    {
        Assert.Equal("tenant/docs/a%2Fb%20c%23d/v1", BlobKeys.Of("tenant", "docs", "a/b c#d", "v1"));
        Assert.Equal("%2E%2E", BlobKeys.Segment(".."));
        var long1 = BlobKeys.Segment(new string('é', 200) + "1");
        var long2 = BlobKeys.Segment(new string('é', 200) + "2");
        Assert.NotEqual(long1, long2);
        Assert.True(long1.Length <= BlobKeys.MaxSegmentLength);
        BlobKeys.Check(BlobKeys.Of("t", "c", new string('é', 200), "v"));

        // A folder store never leaves its root.
        using var folder = (FolderBlobStore)Create("folder");
        foreach (var bad in new[] { "../escape", "a/../../b", "/absolute", "a//b", "a\\..\\b" })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => folder.PutAsync(bad, "x"u8.ToArray(), "text/plain"));
        }
    }
}

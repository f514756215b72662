using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OrleansRag.Retrieval;

/// <summary>Places a document in a shard by a hash that is the same on every machine, process and .NET version.</summary>
public static class ShardRouter
{
    public static int ShardFor(string documentId, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(documentId), hash);
        return (int)(BinaryPrimitives.ReadUInt32LittleEndian(hash) % (uint)shardCount);
    }
}

using Cloud.Unum.USearch;

namespace OrleansRag.Retrieval;

/// <summary>
/// Where a shard's HNSW graph waits between activations: <c>{path}.usearch</c> (the graph) and <c>{path}.keys</c> (its
/// format, scale and, per node, the chunk id and a fingerprint of the vector it was made from). A graph found there is
/// reconciled with the rows loaded from the shard store instead of being built again.
/// </summary>
internal sealed class HnswGraphCache(string path)
{
    /// <summary>First entry of the chunk map: a cache written with other graph settings (the bfloat16 graphs of before) is rebuilt, never misread.</summary>
    private const string Format = "orleansrag-hnsw-int8-1";

    /// <summary>Writes the graph and its chunk map (each file whole, then moved into place). A cache that cannot be written is dropped.</summary>
    public void Write(USearchIndex graph, float scale, VectorRows rows)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(rows);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            graph.Save(path + ".usearch.tmp");
            using (var keys = new BinaryWriter(File.Create(path + ".keys.tmp")))
            {
                keys.Write(Format);
                keys.Write(scale);
                keys.Write(rows.Count);
                for (var row = 0; row < rows.Count; row++)
                {
                    keys.Write(rows.Key(row));
                    keys.Write(rows.Chunk(row).ChunkId);
                    keys.Write(Fingerprint(rows.Vector(row)));
                }
            }

            File.Move(path + ".usearch.tmp", path + ".usearch", overwrite: true);
            File.Move(path + ".keys.tmp", path + ".keys", overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or USearchException)
        {
            File.Delete(path + ".keys"); // never a graph beside a map of another one: the next activation builds again
        }
    }

    /// <summary>
    /// The saved graph moved onto the current rows: saved nodes renamed to the keys their chunks have now (through a
    /// disjoint range, so no rename meets a key still to be moved), nodes of chunks that are gone or changed removed;
    /// <c>Missing</c> are the rows' keys the graph still lacks. Null when there is no cache, it does not read, or more than
    /// <paramref name="maxChanges"/> changes separate it from the rows (a build is cheaper then).
    /// </summary>
    public (USearchIndex Graph, float Scale, List<ulong> Missing)? TryLoad(VectorRows rows, int dimensions, int maxChanges)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (!File.Exists(path + ".usearch") || !File.Exists(path + ".keys"))
        {
            return null;
        }

        USearchIndex? graph = null;
        try
        {
            var rowByChunk = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
            for (var row = 0; row < rows.Count; row++)
            {
                rowByChunk[rows.Chunk(row).ChunkId] = row;
            }

            var kept = new List<(ulong Saved, ulong Current)>();
            float scale;
            var removed = new List<ulong>();
            var covered = new bool[rows.Count];
            using (var keys = new BinaryReader(File.OpenRead(path + ".keys")))
            {
                if (keys.ReadString() != Format)
                {
                    return null;
                }

                scale = keys.ReadSingle();
                if (!float.IsFinite(scale) || scale <= 0)
                {
                    return null;
                }

                var count = keys.ReadInt32();
                for (var i = 0; i < count; i++)
                {
                    var (saved, chunkId, fingerprint) = (keys.ReadUInt64(), keys.ReadString(), keys.ReadInt64());
                    if (rowByChunk.TryGetValue(chunkId, out var row) && !covered[row] && Fingerprint(rows.Vector(row)) == fingerprint)
                    {
                        kept.Add((saved, rows.Key(row)));
                        covered[row] = true;
                    }
                    else
                    {
                        removed.Add(saved);
                    }
                }
            }

            var missing = Enumerable.Range(0, rows.Count).Where(row => !covered[row]).Select(rows.Key).ToList();
            if (removed.Count + missing.Count > maxChanges)
            {
                return null;
            }

            graph = new USearchIndex(path + ".usearch");
            if ((int)graph.Dimensions() != dimensions || (int)graph.Size() != kept.Count + removed.Count)
            {
                graph.Dispose();
                return null;
            }

            const ulong Parked = 1UL << 63; // row keys count up from 0, so this range is free
            foreach (var (saved, _) in kept)
            {
                graph.Rename(saved, saved | Parked);
            }

            foreach (var key in removed)
            {
                graph.Remove(key);
            }

            foreach (var (saved, current) in kept)
            {
                graph.Rename(saved | Parked, current);
            }

            return (graph, scale, missing);
        }
        catch (Exception exception) when (exception is IOException or EndOfStreamException or FormatException or USearchException or UnauthorizedAccessException)
        {
            graph?.Dispose();
            return null; // an unreadable cache is rebuilt
        }
    }

    /// <summary>A stable 64-bit digest of a vector: a cached graph node is reused only for the same chunk with the same vector.</summary>
    private static long Fingerprint(ReadOnlySpan<float> vector) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector)), 0);
}

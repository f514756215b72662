using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OrleansRag.Client.Archives;

/// <summary>
/// Writes a collection archive (<see cref="ArchiveFormat"/>) to a stream as it goes: each entry is written and hashed
/// when it is added, so memory holds one chunk part at most, and an original is copied from its stream.
/// </summary>
public sealed class ArchiveWriter : IAsyncDisposable
{
    private readonly CountingStream _counted;
    private readonly GZipStream _gzip;
    private readonly TarWriter _tar;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _documents;
    private int _part;
    private long _chunks;
    private int _originals;

    public ArchiveWriter(Stream destination)
    {
        _counted = new CountingStream(destination);
        _gzip = new GZipStream(_counted, CompressionLevel.Fastest, leaveOpen: true);
        _tar = new TarWriter(_gzip, TarEntryFormat.Pax, leaveOpen: true);
    }

    /// <summary>Compressed bytes written so far.</summary>
    public long Bytes => _counted.Written;

    public int Documents => _documents;

    public long Chunks => _chunks;

    public int Originals => _originals;

    public Task ManifestAsync(ArchiveManifest manifest, CancellationToken cancellationToken) =>
        JsonAsync(ArchiveFormat.ManifestEntry, manifest, cancellationToken);

    public Task DocumentAsync(ArchivedDocument document, CancellationToken cancellationToken)
    {
        _documents++;
        _part = 0;
        return JsonAsync(ArchiveFormat.DocumentEntry(_documents), document, cancellationToken);
    }

    /// <summary>The current document's original, <paramref name="length"/> bytes read from <paramref name="content"/>.</summary>
    public async Task OriginalAsync(Stream content, long length, CancellationToken cancellationToken)
    {
        var name = ArchiveFormat.OriginalEntry(_documents);
        _hash.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new HashedSource(content, length, _hash) };
        await _tar.WriteEntryAsync(entry, cancellationToken);
        _originals++;
    }

    /// <summary>One part of the current document's chunks (at most <see cref="ArchiveFormat.PartChunks"/>).</summary>
    public Task ChunksAsync(IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var lines = new StringBuilder();
        foreach (var chunk in chunks)
        {
            var sentences = chunk.Sentences is { } s
                ? new ArchivedSentences(s.Spans, Convert.ToBase64String((byte[])(Array)s.Values), ArchiveFormat.Floats(s.Scales))
                : null;
            lines.Append(JsonSerializer.Serialize(new ArchivedChunk(chunk.ChunkIndex, chunk.Text, chunk.Page, chunk.LastPage, chunk.Section, chunk.TokenCount,
                ArchiveFormat.Floats(chunk.Vector), sentences), ArchiveFormat.Json)).Append('\n');
        }

        _chunks += chunks.Count;
        return EntryAsync(ArchiveFormat.ChunksEntry(_documents, _part++), Encoding.UTF8.GetBytes(lines.ToString()), cancellationToken);
    }

    /// <summary>The end entry (counts and checksum); the archive is complete once this is disposed.</summary>
    public Task EndAsync(CancellationToken cancellationToken) =>
        JsonAsync(ArchiveFormat.EndEntry, new ArchiveEnd(_documents, _chunks, _originals, Convert.ToHexStringLower(_hash.GetHashAndReset())), cancellationToken, hash: false);

    public async ValueTask DisposeAsync()
    {
        await _tar.DisposeAsync();
        await _gzip.DisposeAsync();
        await _counted.FlushAsync();
        _hash.Dispose();
    }

    private Task JsonAsync<T>(string name, T value, CancellationToken cancellationToken, bool hash = true) =>
        EntryAsync(name, JsonSerializer.SerializeToUtf8Bytes(value, ArchiveFormat.Json), cancellationToken, hash);

    private async Task EntryAsync(string name, byte[] data, CancellationToken cancellationToken, bool hash = true)
    {
        if (hash)
        {
            _hash.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
            _hash.AppendData(data);
        }

        using var stream = new MemoryStream(data, writable: false);
        await _tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = stream }, cancellationToken);
    }

    /// <summary>An original as the tar writer reads it: its known length, hashed as it passes.</summary>
    private sealed class HashedSource(Stream inner, long length, IncrementalHash hash) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => true; // the tar writer asks the length of a seekable stream; it reads from the start only

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => _ = value == _position ? value : throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - _position)], cancellationToken);
            hash.AppendData(buffer.Span[..read]);
            _position += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException("The original is read asynchronously.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) =>
            origin == SeekOrigin.Begin && offset == _position ? offset : throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>A write-through stream that counts the bytes written (an archive's size as it is made).</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Written += count;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

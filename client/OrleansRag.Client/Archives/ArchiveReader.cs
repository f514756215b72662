using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OrleansRag.Client.Archives;

/// <summary>What an archive reader hands on, entry by entry, in archive order.</summary>
public interface IArchiveVisitor
{
    Task ManifestAsync(ArchiveManifest manifest, CancellationToken cancellationToken);

    /// <summary>A document's record; its original and chunk parts follow.</summary>
    Task DocumentAsync(ArchivedDocument document, CancellationToken cancellationToken);

    /// <summary>The current document's original: <paramref name="content"/> must be read to its end or left alone.</summary>
    Task OriginalAsync(Stream content, long length, CancellationToken cancellationToken);

    Task ChunksAsync(IReadOnlyList<ArchivedChunk> chunks, CancellationToken cancellationToken);

    /// <summary>The end entry, after every check passed.</summary>
    Task EndAsync(ArchiveEnd trailer, CancellationToken cancellationToken);
}

/// <summary>
/// Reads a collection archive (<see cref="ArchiveFormat"/>) as a stream, never holding more than one chunk part, and
/// checks it on the way: the format and version, the order and names of entries, every document's chunks (numbered from
/// 0, vectors of the manifest's dimensions, sentence vectors that fit) and counts, each original's length, and the end
/// entry's counts and SHA-256 over everything before it. Anything wrong, including an archive cut short, another kind
/// of file or bytes changed in transit, is a <see cref="RagValidationException"/> that says what and where.
/// </summary>
public static class ArchiveReader
{
    public static async Task ReadAsync(Stream archive, IArchiveVisitor visitor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(visitor);
        var state = new State();
        try
        {
            await using var gzip = new GZipStream(archive, CompressionMode.Decompress, leaveOpen: true);
            await using var tar = new TarReader(gzip, leaveOpen: true);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    continue; // pax global headers and the like carry nothing of ours
                }

                await state.EntryAsync(entry, visitor, cancellationToken);
            }

            if (!state.Ended)
            {
                throw Bad(state.Seen == 0 ? "it holds no entries" : $"it ends after {state.Seen} entries, before its end entry: it was cut short");
            }

            // Past the tar's end only the zero padding of its last record may follow.
            var rest = new byte[8192];
            int read;
            while ((read = await gzip.ReadAsync(rest, cancellationToken)) > 0)
            {
                if (rest.AsSpan(0, read).ContainsAnyExcept((byte)0))
                {
                    throw Bad("data follows its end entry");
                }
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or EndOfStreamException or FormatException or JsonException or ArgumentException)
        {
            var where = state.Current is null ? "" : $" (at {state.Current})";
            throw Bad(exception switch
            {
                InvalidDataException when state.Seen == 0 => "it is not a gzip-compressed tar file",
                EndOfStreamException => $"it was cut short{where}",
                _ => $"it cannot be read{where}: {exception.Message}",
            }, exception);
        }
    }

    internal static RagValidationException Bad(string problem, Exception? inner = null)
    {
        problem = problem.TrimEnd('.');
        return inner is null
            ? new RagValidationException($"The archive is not a complete OrleansRag collection archive: {problem}.", "archive")
            : new RagValidationException($"The archive is not a complete OrleansRag collection archive: {problem}.", inner);
    }

    /// <summary>Where the reading is, and the checks that need what came before.</summary>
    private sealed class State
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private ArchiveManifest? _manifest;
        private ArchivedDocument? _document;
        private int _documents;
        private int _part;
        private int _nextChunk;
        private bool _original;
        private long _chunks;
        private const long MaxJsonBytes = 16L * 1024 * 1024;
        private const long MaxPartBytes = 256L * 1024 * 1024;

        private int _originals;
        private long _length;

        public int Seen { get; private set; }

        public bool Ended { get; private set; }

        public string? Current { get; private set; }

        public async Task EntryAsync(TarEntry entry, IArchiveVisitor visitor, CancellationToken cancellationToken)
        {
            Current = entry.Name;
            _length = entry.Length;
            Seen++;
            if (Ended)
            {
                throw Bad($"the entry {entry.Name} follows its end entry");
            }

            var data = entry.DataStream ?? Stream.Null;
            if (Seen == 1)
            {
                if (entry.Name != ArchiveFormat.ManifestEntry)
                {
                    throw Bad($"its first entry is '{entry.Name}', not {ArchiveFormat.ManifestEntry} (is it an export of OrleansRag?)");
                }

                var manifest = await JsonAsync<ArchiveManifest>(entry.Name, data, cancellationToken);
                if (manifest.Format != ArchiveFormat.Name)
                {
                    throw Bad($"its format is '{manifest.Format}', not {ArchiveFormat.Name}");
                }

                if (manifest.Version != ArchiveFormat.Version)
                {
                    throw Bad($"it is version {manifest.Version}; this OrleansRag reads version {ArchiveFormat.Version}");
                }

                if (manifest.EmbeddingModel is not { Dimensions: > 0 })
                {
                    throw Bad("its manifest names no embedding model");
                }

                _manifest = manifest;
                await visitor.ManifestAsync(manifest, cancellationToken);
                return;
            }

            if (entry.Name == ArchiveFormat.EndEntry)
            {
                EndDocument();
                var expected = Convert.ToHexStringLower(_hash.GetHashAndReset());
                var end = await JsonAsync<ArchiveEnd>(entry.Name, data, cancellationToken, hash: false);
                if (end.Documents != _documents || end.Chunks != _chunks || end.Originals != _originals)
                {
                    throw Bad($"its end entry counts {end.Documents} documents, {end.Chunks} chunks and {end.Originals} originals; it holds {_documents}, {_chunks} and {_originals}");
                }

                if (!string.Equals(end.Sha256, expected, StringComparison.OrdinalIgnoreCase))
                {
                    throw Bad("its checksum does not match its content: bytes were changed after it was written");
                }

                Ended = true;
                await visitor.EndAsync(end, cancellationToken);
                return;
            }

            if (entry.Name == ArchiveFormat.DocumentEntry(_documents + 1))
            {
                EndDocument();
                _documents++;
                _document = await JsonAsync<ArchivedDocument>(entry.Name, data, cancellationToken);
                if (string.IsNullOrEmpty(_document.Id) || string.IsNullOrEmpty(_document.ContentType))
                {
                    throw Bad($"{entry.Name} has no id or content type");
                }

                (_part, _nextChunk, _original) = (0, 0, false);
                await visitor.DocumentAsync(_document, cancellationToken);
                return;
            }

            if (_document is not null && entry.Name == ArchiveFormat.OriginalEntry(_documents) && _part == 0 && !_original)
            {
                if (_document.OriginalBytes != entry.Length)
                {
                    throw Bad($"{entry.Name} is {entry.Length} bytes; its document says {_document.OriginalBytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}");
                }

                _original = true;
                _originals++;
                using var hashed = new HashingStream(data, _hash, Header(entry.Name));
                await visitor.OriginalAsync(hashed, entry.Length, cancellationToken);
                await hashed.CopyToAsync(Stream.Null, cancellationToken); // what the visitor left is hashed too
                if (hashed.BytesRead < entry.Length)
                {
                    throw new EndOfStreamException();
                }

                return;
            }

            if (_document is not null && entry.Name == ArchiveFormat.ChunksEntry(_documents, _part))
            {
                _part++;
                var chunks = await ChunksAsync(entry.Name, data, cancellationToken);
                await visitor.ChunksAsync(chunks, cancellationToken);
                return;
            }

            throw Bad($"the entry '{entry.Name}' is not where an archive of version {ArchiveFormat.Version} has it");
        }

        private void EndDocument()
        {
            if (_document is null)
            {
                return;
            }

            if (_nextChunk != (_document.Searchable ? _document.ChunkCount : 0))
            {
                throw Bad($"document '{_document.Id}' says {_document.ChunkCount} chunks; the archive holds {_nextChunk}");
            }

            if (_document.OriginalBytes is not null && !_original)
            {
                throw Bad($"the original of document '{_document.Id}' is missing");
            }
        }

        private async Task<List<ArchivedChunk>> ChunksAsync(string name, Stream data, CancellationToken cancellationToken)
        {
            var bytes = await BytesAsync(name, data, cancellationToken);
            var chunks = new List<ArchivedChunk>(ArchiveFormat.PartChunks);
            var dimensions = _manifest!.EmbeddingModel!.Dimensions;
            foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var chunk = JsonSerializer.Deserialize<ArchivedChunk>(line, ArchiveFormat.Json) ?? throw Bad($"{name} holds a null chunk");
                if (chunk.Index != _nextChunk || string.IsNullOrEmpty(chunk.Text) || chunk.Vector is null)
                {
                    throw Bad($"{name}: chunk {_nextChunk} of document '{_document!.Id}' is missing or has no text or vector");
                }

                if (ArchiveFormat.Floats(chunk.Vector).Length != dimensions)
                {
                    throw Bad($"{name}: chunk {chunk.Index} has a vector of another length than the model's {dimensions}");
                }

                if (chunk.Sentences is { } sentences
                    && (sentences.Spans is null || sentences.Values is null || sentences.Scales is null || sentences.Spans.Length % 2 != 0 || Convert.FromBase64String(sentences.Values).Length != sentences.Spans.Length / 2 * dimensions
                        || ArchiveFormat.Floats(sentences.Scales).Length != sentences.Spans.Length / 2))
                {
                    throw Bad($"{name}: the sentence vectors of chunk {chunk.Index} do not fit together");
                }

                _nextChunk++;
                _chunks++;
                chunks.Add(chunk);
            }

            if (chunks.Count == 0 || chunks.Count > ArchiveFormat.PartChunks)
            {
                throw Bad($"{name} holds {chunks.Count} chunks; a part holds 1 to {ArchiveFormat.PartChunks}");
            }

            return chunks;
        }

        private async Task<T> JsonAsync<T>(string name, Stream data, CancellationToken cancellationToken, bool hash = true)
        {
            var bytes = hash ? await BytesAsync(name, data, cancellationToken) : await ReadAllAsync(data, cancellationToken);
            return JsonSerializer.Deserialize<T>(bytes, ArchiveFormat.Json) ?? throw Bad($"{name} is empty");
        }

        private async Task<byte[]> BytesAsync(string name, Stream data, CancellationToken cancellationToken)
        {
            var bytes = await ReadAllAsync(data, cancellationToken);
            _hash.AppendData(Header(name));
            _hash.AppendData(bytes);
            return bytes;
        }

        private async Task<byte[]> ReadAllAsync(Stream data, CancellationToken cancellationToken)
        {
            // Entries read whole are bounded by what they can hold (the JSON records; a part of 256 chunks is a few MB),
            // so a forged length or a compression bomb is refused before memory is spent on it.
            var limit = Current is { } name && name.EndsWith(".jsonl", StringComparison.Ordinal) ? MaxPartBytes : MaxJsonBytes;
            if (_length > limit)
            {
                throw Bad($"{Current} declares {_length} bytes; such an entry holds at most {limit}");
            }

            using var buffer = new MemoryStream();
            await data.CopyToAsync(buffer, cancellationToken);
            if (buffer.Length < _length)
            {
                throw new EndOfStreamException(); // the compressed stream ended inside this entry
            }

            return buffer.ToArray();
        }

        private static byte[] Header(string name) => Encoding.UTF8.GetBytes(name + "\n");
    }

    /// <summary>Hashes what is read through it (after the entry's name), so an original is checked while it is imported.</summary>
    private sealed class HashingStream : Stream
    {
        private readonly Stream _inner;
        private readonly IncrementalHash _hash;

        public HashingStream(Stream inner, IncrementalHash hash, byte[] header)
        {
            _inner = inner;
            _hash = hash;
            hash.AppendData(header);
        }

        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await _inner.ReadAsync(buffer, cancellationToken);
            _hash.AppendData(buffer.Span[..read]);
            BytesRead += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = _inner.Read(buffer, offset, count);
            _hash.AppendData(buffer.AsSpan(offset, read));
            BytesRead += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

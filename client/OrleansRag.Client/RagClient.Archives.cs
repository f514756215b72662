using OrleansRag.Client.Archives;

namespace OrleansRag.Client;

/// <summary>Export and import of whole collections (<see cref="ArchiveFormat"/>), through the same grains and checks as any other call.</summary>
public sealed partial class RagClient
{
    public async Task<ExportSummary> ExportAsync(string collection, Stream destination, bool includeSources = false, IProgress<ArchiveProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckCollection(collection);
        var info = await GetCollectionAsync(collection, cancellationToken) ?? throw RagNotFoundException.Collection(collection);
        var documents = await ListAsync(collection, cancellationToken);
        var tenant = await EnterAsync(cancellationToken);
        await using var archive = new ArchiveWriter(destination);
        await archive.ManifestAsync(new ArchiveManifest(ArchiveFormat.Name, ArchiveFormat.Version, collection, DateTimeOffset.UtcNow, info.ShardCount, info.ChunkTokens,
            info.ChunkOverlapTokens, info.EmbeddingModel, includeSources, documents.Count), cancellationToken);
        foreach (var summary in documents)
        {
            var document = Document(tenant, collection, summary.Id);
            Authenticate();
            if (await _retry.ExecuteAsync(async token => await document.GetAsync().WaitAsync(token), cancellationToken) is not { } current)
            {
                continue; // deleted since the listing
            }

            DocumentContentStream? original = null;
            if (includeSources && current.Searchable)
            {
                try
                {
                    original = await OpenContentAsync(collection, current.Id, cancellationToken);
                }
                catch (RagNotFoundException)
                {
                    // ingested while originals were not kept: the archive has its chunks only
                }
            }

            var exportedVersion = original?.Version;
            await using (original)
            {
                await archive.DocumentAsync(new ArchivedDocument(current.Id, current.Title, current.ContentType, current.Metadata, current.Text, current.ContentHash,
                    current.CreatedAt, current.UpdatedAt, current.Status, current.Error, current.Searchable, current.Searchable ? current.ChunkCount : 0, current.PageCount,
                    current.SourceBytes, original?.Length, current.OcrPages), cancellationToken);
                if (original is not null)
                {
                    await archive.OriginalAsync(original, original.Length, cancellationToken);
                }
            }

            // Every page (and the original) of one version: a replacement in between fails the export rather than mix two.
            var version = exportedVersion;
            for (var offset = 0; current.Searchable && offset < current.ChunkCount; offset += ArchiveFormat.PartChunks)
            {
                Authenticate();
                var page = await _retry.ExecuteAsync(async token =>
                    await document.GetChunksAsync(offset, ArchiveFormat.PartChunks, withVectors: true).WaitAsync(token), cancellationToken);
                version ??= page?.Version;
                if (page is null || page.Total != current.ChunkCount || page.Version != version)
                {
                    throw new DocumentChangedException($"Document '{current.Id}' changed while it was exported; export the collection again.");
                }

                await archive.ChunksAsync(page.Chunks, cancellationToken);
            }

            progress?.Report(new ArchiveProgress(archive.Documents, documents.Count, archive.Chunks, archive.Bytes));
        }

        await archive.EndAsync(cancellationToken);
        await archive.DisposeAsync();
        return new ExportSummary(collection, archive.Documents, archive.Chunks, archive.Originals, archive.Bytes);
    }

    public async Task<ImportSummary> ImportAsync(string collection, Stream archive, bool replace = false, IProgress<ArchiveProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        CheckCollection(collection);
        if (!replace)
        {
            await EnsureEmptyAsync(collection, cancellationToken); // before a large upload is read, not after
        }

        // The whole archive is checked before anything is written: it is kept in a temporary file on the way in
        // (memory holds one chunk part), and read a second time to import.
        var spool = Path.Combine(Path.GetTempPath(), $"orleansrag-import-{Guid.NewGuid():N}.tar.gz");
        try
        {
            var counted = new ArchiveCheck();
            await using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await using var tee = new TeeStream(archive, file);
                await ArchiveReader.ReadAsync(tee, counted, cancellationToken);
                await tee.CopyToAsync(Stream.Null, cancellationToken); // anything the reader left is in the file
            }

            var manifest = counted.Manifest!;
            var target = await PrepareTargetAsync(collection, manifest, replace, cancellationToken);
            var replaced = replace ? (await ListAsync(collection, cancellationToken)).Select(d => d.Id).Except(counted.Ids, StringComparer.Ordinal).ToList() : [];
            var tenant = await EnterAsync(cancellationToken);
            var importer = new ArchiveImporter(this, tenant, collection, target.Model, counted.Documents, progress);
            await using (var file = new FileStream(spool, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                try
                {
                    await ArchiveReader.ReadAsync(file, importer, cancellationToken);
                }
                catch when (!replace)
                {
                    await importer.RollBackAsync(); // replacing overwrote documents in place: there is nothing to go back to
                    throw;
                }

                foreach (var id in replaced)
                {
                    await DeleteAsync(collection, id, cancellationToken); // the replaced collection's documents the archive does not hold
                }

                return new ImportSummary(collection, target.Created, target.Model, importer.Imported, importer.Reembedding, importer.Skipped, importer.Chunks,
                    importer.Originals, file.Length);
            }
        }
        finally
        {
            File.Delete(spool);
        }
    }

    /// <summary>
    /// The collection to import into: made with the archive's settings (its model when this cluster serves it, else the
    /// default, and the documents are embedded again), or an existing one that is empty, or emptied when replacing.
    /// </summary>
    private async Task<(bool Created, string? Model)> PrepareTargetAsync(string collection, ArchiveManifest manifest, bool replace, CancellationToken cancellationToken)
    {
        if (await GetCollectionAsync(collection, cancellationToken) is { } existing)
        {
            if (!replace)
            {
                await EnsureEmptyAsync(collection, cancellationToken);
            }

            return (false, existing.EmbeddingModel?.Name);
        }

        var settings = new CollectionSettings(manifest.ShardCount, manifest.ChunkTokens, manifest.ChunkOverlapTokens, manifest.EmbeddingModel?.Name);
        CollectionInfo created;
        try
        {
            created = await CreateCollectionAsync(collection, settings, cancellationToken);
        }
        catch (RagValidationException) when (settings.EmbeddingModel is not null)
        {
            created = await CreateCollectionAsync(collection, settings with { EmbeddingModel = null }, cancellationToken); // a model this cluster does not serve
        }

        return (true, created.EmbeddingModel?.Name);
    }

    /// <summary>A collection with documents is not imported into unless they are to be replaced.</summary>
    private async Task EnsureEmptyAsync(string collection, CancellationToken cancellationToken)
    {
        if (await GetCollectionAsync(collection, cancellationToken) is not null && await ListAsync(collection, cancellationToken) is { Count: > 0 } present)
        {
            throw new CollectionNotEmptyException(
                $"Collection '{collection}' holds {present.Count} documents; an import goes into a new or empty collection, or replaces its documents when asked to (replace).");
        }
    }

    /// <summary>
    /// The first pass: the reader's checks, the rules the document grains apply to what they import (so that an archive
    /// they would refuse is refused before anything is written), and the manifest, documents and ids kept.
    /// </summary>
    private sealed class ArchiveCheck : IArchiveVisitor
    {
        public ArchiveManifest? Manifest { get; private set; }

        public int Documents { get; private set; }

        public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);

        public Task ManifestAsync(ArchiveManifest manifest, CancellationToken cancellationToken)
        {
            Manifest = manifest;
            return Task.CompletedTask;
        }

        public Task DocumentAsync(ArchivedDocument document, CancellationToken cancellationToken)
        {
            RagValidation.ThrowIfInvalid(RagValidation.CheckDocumentId("a document id in the archive", document.Id), "archive");
            var problem = !Ids.Add(document.Id) ? "appears twice"
                : ContentTypes.Find(document.ContentType) is null ? $"has the content type '{document.ContentType}', which OrleansRag does not read"
                : document.Searchable && string.IsNullOrWhiteSpace(document.Title) ? "has no title"
                : document.Searchable && string.IsNullOrEmpty(document.ContentHash) ? "has no content hash"
                : null;
            if (problem is not null)
            {
                throw ArchiveReader.Bad($"document '{document.Id}' {problem}");
            }

            Documents++;
            return Task.CompletedTask;
        }

        public Task OriginalAsync(Stream content, long length, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ChunksAsync(IReadOnlyList<ArchivedChunk> chunks, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task EndAsync(ArchiveEnd trailer, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// The second pass: each document's original uploaded, its chunks staged (or collected to be embedded again), then the
    /// document imported; what was imported is remembered so that a failure part-way removes it again.
    /// </summary>
    private sealed class ArchiveImporter(RagClient client, string tenant, string collection, string? model, int total, IProgress<ArchiveProgress>? progress) : IArchiveVisitor
    {
        private readonly List<string> _imported = [];
        private readonly List<IndexedChunk> _inline = [];
        private readonly List<DocumentChunk> _precut = [];
        private ArchiveManifest _manifest = null!;
        private ArchivedDocument? _document;
        private string _version = "";
        private string? _originalUpload;
        private long _originalBytes;
        private int _parts;

        public int Imported { get; private set; }

        public int Reembedding { get; private set; }

        public int Skipped { get; private set; }

        public long Chunks { get; private set; }

        public int Originals { get; private set; }

        private bool SameModel => string.Equals(_manifest.EmbeddingModel?.Name, model, StringComparison.OrdinalIgnoreCase);

        private IDocumentGrain Grain => client.Document(tenant, collection, _document!.Id);

        public Task ManifestAsync(ArchiveManifest manifest, CancellationToken cancellationToken)
        {
            _manifest = manifest;
            return Task.CompletedTask;
        }

        public async Task DocumentAsync(ArchivedDocument document, CancellationToken cancellationToken)
        {
            await FinishAsync(cancellationToken);
            _document = document;
            _version = Guid.NewGuid().ToString("N");
            (_originalUpload, _originalBytes, _parts) = (null, 0, 0);
        }

        public async Task OriginalAsync(Stream content, long length, CancellationToken cancellationToken)
        {
            if (!_document!.Searchable)
            {
                return;
            }

            _originalUpload = Guid.NewGuid().ToString("N");
            _originalBytes = await client.UploadAsync(Grain, _originalUpload, content, cancellationToken);
            Originals++;
        }

        public async Task ChunksAsync(IReadOnlyList<ArchivedChunk> chunks, CancellationToken cancellationToken)
        {
            if (!SameModel)
            {
                _precut.AddRange(chunks.Select(c => new DocumentChunk(c.Index, c.Text, c.Page, c.LastPage, c.Section, c.TokenCount)));
                return;
            }

            var indexed = chunks.Select(c => new IndexedChunk($"{_document!.Id}#{c.Index}", _document.Id, c.Index, _document.Title, c.Text, ArchiveFormat.Floats(c.Vector),
                c.Page, c.LastPage, c.Sentences is { } s ? new SentenceVectors(s.Spans, (sbyte[])(Array)Convert.FromBase64String(s.Values), ArchiveFormat.Floats(s.Scales)) : null,
                c.Section, c.TokenCount)).ToArray();
            if (_document!.ChunkCount <= ArchiveFormat.PartChunks)
            {
                _inline.AddRange(indexed);
                return;
            }

            client.Authenticate();
            await Grain.ImportPartAsync(_version, _parts++, indexed, cancellationToken);
        }

        public Task EndAsync(ArchiveEnd trailer, CancellationToken cancellationToken) => FinishAsync(cancellationToken);

        /// <summary>Removes every document this import made (after a failure part-way), as far as it can.</summary>
        public async Task RollBackAsync()
        {
            foreach (var id in _imported)
            {
                try
                {
                    await client.DeleteAsync(collection, id, CancellationToken.None);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // the cluster is failing too: what is left is listed, and the next import replaces it
                }
            }
        }

        /// <summary>Imports the document read so far.</summary>
        private async Task FinishAsync(CancellationToken cancellationToken)
        {
            if (_document is not { } document)
            {
                return;
            }

            _document = null;
            if (!document.Searchable || document.ChunkCount == 0)
            {
                Skipped++; // no served version (it was queued or failed when exported)
                return;
            }

            string? chunksUpload = null;
            long chunksBytes = 0;
            if (!SameModel)
            {
                chunksUpload = Guid.NewGuid().ToString("N");
                using var list = new MemoryStream(DocumentChunkList.Serialize(_precut));
                chunksBytes = await client.UploadAsync(client.Document(tenant, collection, document.Id), chunksUpload, list, cancellationToken);
                _precut.Clear();
            }

            var import = new DocumentImport(_version, document.Title, document.ContentType, document.Metadata, document.Text, document.ContentHash, document.ChunkCount,
                document.PageCount, document.SourceBytes ?? 0, _manifest.EmbeddingModel!.Name, _inline.Count > 0 ? [.. _inline] : null, _parts, chunksUpload, chunksBytes,
                _originalUpload, _originalBytes, document.OcrPages);
            _inline.Clear();
            client.Authenticate();
            var result = await client.Document(tenant, collection, document.Id).ImportAsync(import, cancellationToken);
            _imported.Add(document.Id);
            Chunks += document.ChunkCount;
            if (result.Status == IngestStatus.Accepted)
            {
                Reembedding++;
            }
            else
            {
                Imported++;
            }

            progress?.Report(new ArchiveProgress(Imported + Reembedding + Skipped, total, Chunks, 0));
        }
    }

    /// <summary>Uploads <paramref name="content"/> in pieces under <paramref name="uploadId"/>; returns its length.</summary>
    private async Task<long> UploadAsync(IDocumentGrain document, string uploadId, Stream content, CancellationToken cancellationToken)
    {
        var buffer = new byte[UploadPieceBytes];
        long offset = 0;
        while (true)
        {
            var filled = 0;
            int read;
            while (filled < buffer.Length && (read = await content.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
            {
                filled += read;
            }

            if (filled == 0)
            {
                return offset;
            }

            Authenticate();
            await document.UploadPartAsync(uploadId, offset, filled == buffer.Length ? buffer : buffer[..filled], cancellationToken);
            offset += filled;
            if (filled < buffer.Length)
            {
                return offset;
            }
        }
    }

    /// <summary>Reads through to a file: what a reader takes from the archive is kept for the second pass.</summary>
    private sealed class TeeStream(Stream source, Stream copy) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await source.ReadAsync(buffer, cancellationToken);
            await copy.WriteAsync(buffer[..read], cancellationToken);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The archive is read asynchronously.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

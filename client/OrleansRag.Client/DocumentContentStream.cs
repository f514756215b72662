namespace OrleansRag.Client;

/// <summary>
/// The original file of a document, as uploaded: its content type, size and a seekable stream that reads it from the
/// cluster a piece at a time (1 MiB per grain call), so a large file is never held whole. A read after the document was
/// replaced or deleted fails with an <see cref="IOException"/> around a <see cref="DocumentChangedException"/>.
/// </summary>
public sealed class DocumentContentStream : Stream
{
    /// <summary>Bytes one grain call reads (the grain's own limit).</summary>
    public const int PieceBytes = 1024 * 1024;

    private readonly Func<long, int, CancellationToken, Task<byte[]>> _read;
    private long _position;
    private (long Offset, byte[] Bytes) _piece = (0, []);

    internal DocumentContentStream(string documentId, string version, string contentType, long length, Func<long, int, CancellationToken, Task<byte[]>> read)
    {
        DocumentId = documentId;
        Version = version;
        ContentType = contentType;
        _read = read;
        Length = length;
    }

    public string DocumentId { get; }

    /// <summary>The served version the bytes belong to (a replacement makes later reads fail rather than mix versions).</summary>
    public string Version { get; }

    /// <summary>The media type the file was ingested as (text types are UTF-8).</summary>
    public string ContentType { get; }

    /// <summary>A file name for downloads: the document id, with the format's extension when it has none.</summary>
    public string FileName
    {
        get
        {
            var name = DocumentId[(DocumentId.LastIndexOf('/') + 1)..];
            var format = ContentTypes.Find(ContentType);
            return format is null || format.Extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)) ? name : name + format.Extensions[0];
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= Length || buffer.Length == 0)
        {
            return 0;
        }

        // Read ahead a piece at a time (one grain call, one ranged read of the blob store), whatever the caller's buffer.
        if (_position < _piece.Offset || _position >= _piece.Offset + _piece.Bytes.Length)
        {
            byte[] piece;
            try
            {
                piece = await _read(_position, PieceBytes, cancellationToken);
            }
            catch (DocumentChangedException exception)
            {
                throw new IOException(exception.Message, exception);
            }

            if (piece.Length == 0)
            {
                throw new IOException($"The original of '{DocumentId}' ended at byte {_position} of {Length}.",
                    new DocumentChangedException($"The original of '{DocumentId}' is shorter than its record says ({Length} bytes)."));
            }

            _piece = (_position, piece);
        }

        var start = (int)(_position - _piece.Offset);
        var count = Math.Min(buffer.Length, _piece.Bytes.Length - start);
        _piece.Bytes.AsMemory(start, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Synchronous reads are not offered: the bytes come from the cluster (use <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>).</summary>
    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Read the original with ReadAsync or CopyToAsync: its bytes come from the cluster.");

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

using System.Runtime.CompilerServices;

namespace OrleansRag.Blobs;

/// <summary>
/// Blobs as files under a root folder, one per key (its segments as folders). A write goes to a temporary file that
/// is then renamed over the blob, so a reader never sees half a file; a delete removes folders it leaves empty.
/// </summary>
public sealed class FolderBlobStore : IBlobStore, IDisposable
{
    private const string TemporaryPrefix = ".partial-";
    private readonly bool _deleteOnDispose;

    /// <param name="root">The folder (made when missing).</param>
    /// <param name="deleteOnDispose">Removes the folder and everything in it when disposed (a throwaway store).</param>
    public FolderBlobStore(string root, bool deleteOnDispose = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        _deleteOnDispose = deleteOnDispose;
    }

    /// <summary>The folder's full path.</summary>
    public string Root { get; }

    public BlobStoreKind Kind => BlobStoreKind.Folder;

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, TemporaryPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await file.WriteAsync(content, cancellationToken);
                file.Flush(flushToDisk: true); // on disk before the rename makes it the blob
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public Task<BlobItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? Item(key, file) : null);
    }

    public async Task<byte[]?> ReadAsync(string key, long offset, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        FileStream file;
        try
        {
            file = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        await using (file)
        {
            var length = (int)Math.Clamp(file.Length - offset, 0, count);
            var buffer = new byte[length];
            file.Position = Math.Min(offset, file.Length);
            await file.ReadExactlyAsync(buffer, cancellationToken);
            return buffer;
        }
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        for (var folder = Path.GetDirectoryName(path); folder is not null && folder.Length > Root.Length; folder = Path.GetDirectoryName(folder))
        {
            try
            {
                Directory.Delete(folder); // only when empty
            }
            catch (IOException)
            {
                break; // not empty (or in use): the folders above are not empty either
            }
        }

        return Task.FromResult(true);
    }

    public async IAsyncEnumerable<BlobItem> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Contains('\\', StringComparison.Ordinal) || prefix.StartsWith('/') || prefix.Split('/').Any(segment => segment is "." or ".."))
        {
            throw new ArgumentException($"'{prefix}' is not a blob key prefix.", nameof(prefix)); // never a listing beyond the root
        }

        var slash = prefix.LastIndexOf('/');
        var folder = slash < 0 ? Root : Path.Combine(Root, prefix[..slash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        var found = new List<(string Key, FileInfo File)>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.Name.StartsWith(TemporaryPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var key = Path.GetRelativePath(Root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                found.Add((key, file));
            }
        }

        foreach (var (key, file) in found.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            yield return Item(key, file);
        }

        await Task.CompletedTask;
    }

    public void Dispose()
    {
        if (_deleteOnDispose && Directory.Exists(Root))
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere: the temporary folder is left to the system's clean-up.
            }
        }
    }

    private static BlobItem Item(string key, FileInfo file) =>
        new(key, file.Length, file.LastWriteTimeUtc, $"\"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}\"");

    private string PathOf(string key)
    {
        BlobKeys.Check(key);
        return Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar));
    }
}

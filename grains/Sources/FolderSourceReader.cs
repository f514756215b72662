using System.Runtime.CompilerServices;

namespace OrleansRag.Sources;

/// <summary>
/// A folder on the silo's file system, confined to <see cref="SourceOptions.FolderRoots"/>: the folder itself must lie
/// under a root once every link in its path is resolved; inside it, links (to files or folders) and hidden entries are
/// never followed, and each file is checked again when it is read, so a link put in place after the listing is refused.
/// </summary>
public sealed class FolderSourceReader : ISourceReader
{
    private readonly string _root;

    private FolderSourceReader(string root) => _root = root;

    /// <summary>The reader of <paramref name="path"/> when it lies under one of <paramref name="roots"/>; else <see cref="SourceRefusedException"/>.</summary>
    public static FolderSourceReader Open(string path, IEnumerable<string> roots) => new(Confine(path, roots));

    /// <summary>
    /// The real path of <paramref name="path"/> (every link resolved) when it is an existing folder under one of
    /// <paramref name="roots"/> (themselves resolved); the reason otherwise.
    /// </summary>
    public static string Confine(string path, IEnumerable<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var allowed = roots.Where(r => !string.IsNullOrWhiteSpace(r)).ToList();
        if (allowed.Count == 0)
        {
            throw new SourceRefusedException("Folder sources are off on this cluster: an operator lists the folders they may read in Sources:FolderRoots.");
        }

        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path))
        {
            throw new SourceRefusedException($"path must be an absolute folder path under one of Sources:FolderRoots ({string.Join(", ", allowed)}).");
        }

        var real = RealPath(path);
        if (!Directory.Exists(real))
        {
            throw new SourceRefusedException($"The folder '{path}' does not exist (or is not a folder) on this silo.");
        }

        foreach (var root in allowed)
        {
            var realRoot = RealPath(root);
            if (IsUnder(real, realRoot))
            {
                return real;
            }
        }

        throw new SourceRefusedException($"The folder '{path}' is outside Sources:FolderRoots ({string.Join(", ", allowed)}), once its links are followed.");
    }

    /// <summary>
    /// The path with '.' and '..' removed and every symbolic link along it replaced by its target, component by
    /// component (what realpath(3) gives), so a link inside a root that points outside it is seen for what it is.
    /// </summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        var parts = new Queue<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        for (var links = 0; parts.Count > 0;)
        {
            var next = Path.Combine(current, parts.Dequeue());
            var info = new FileInfo(next);
            if (info.Exists || Directory.Exists(next))
            {
                if (info.LinkTarget is { } target)
                {
                    if (++links > 40)
                    {
                        throw new SourceRefusedException($"Too many links in '{path}'.");
                    }

                    // The rest of the path follows the link's target, itself resolved from the start.
                    var resolved = Path.GetFullPath(target, current);
                    var rest = parts.ToArray();
                    parts = new Queue<string>(Path.GetFullPath(resolved)[Path.GetPathRoot(resolved)!.Length..]
                        .Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                    current = Path.GetPathRoot(resolved)!;
                    continue;
                }
            }

            current = next;
        }

        return current;
    }

    private static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    public bool Truncated => false;

    public async IAsyncEnumerable<SourceEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden, // links are never followed; dot-files (.git) are not documents
            IgnoreInaccessible = false, // a folder the silo may not read fails the listing: never a partial one taken as whole
            ReturnSpecialDirectories = false,
        };

        // The walk blocks: it runs on the thread pool, not on the caller's (a grain's) turn.
        var files = await Task.Run(() => new DirectoryInfo(_root).EnumerateFiles("*", options).Take(MaxListed).Select(file => new SourceEntry(
            Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/'),
            $"{file.Length}:{file.LastWriteTimeUtc.Ticks}",
            ContentTypes.ForExtension(file.Extension)?.MediaType,
            file.Length)).ToList(), cancellationToken);
        foreach (var file in files)
        {
            yield return file;
        }
    }

    /// <summary>More than any source may list (<see cref="SourceOptions.MaxFiles"/> is at most a million): the walk stops there.</summary>
    private const int MaxListed = 1_000_001;

    public async Task<SourceContent> ReadAsync(SourceEntry entry, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var path = Path.GetFullPath(Path.Combine(_root, entry.Path.Replace('/', Path.DirectorySeparatorChar)));
        // Checked again now: the listing may be minutes old, and a file or folder may have become a link since.
        if (!IsUnder(path, _root) || !IsUnder(RealPath(path), _root) || new FileInfo(path).LinkTarget is not null)
        {
            throw Outside(entry);
        }

        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            // And the file actually opened: a folder swapped for a link between the check and the open is caught here.
            if (OpenedPath(file) is { } opened && !IsUnder(opened, _root))
            {
                throw Outside(entry);
            }

            if (file.Length > maxBytes)
            {
                throw SourceFileException.TooLarge(entry.Path, file.Length, maxBytes);
            }

            var content = new byte[file.Length];
            await file.ReadExactlyAsync(content, cancellationToken);
            return new SourceContent(content, entry.ContentType!);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SourceFileException($"'{entry.Path}' was removed during the sync.", exception);
        }
        catch (EndOfStreamException exception)
        {
            throw new SourceFileException($"'{entry.Path}' was being written during the sync; the next sync reads it again.", exception);
        }
    }

    private static SourceFileException Outside(SourceEntry entry) => new($"'{entry.Path}' leads outside the source's folder (a link); it is not read.");

    /// <summary>Where an open file really is, as the kernel knows it (Linux: /proc/self/fd); null where that cannot be asked.</summary>
    private static string? OpenedPath(FileStream file)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var descriptor = $"/proc/self/fd/{file.SafeFileHandle.DangerousGetHandle()}";
        return new FileInfo(descriptor).LinkTarget;
    }

    public void Dispose()
    {
    }
}

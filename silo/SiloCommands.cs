using OrleansRag.Embedding;

namespace OrleansRag.Silo;

/// <summary>
/// Maintenance commands of the silo binary that run instead of the host (used by the container image):
/// <c>extract-models</c> unpacks the bundled embedding models (and makes their int8 forms) beside the application so
/// that a read-only image needs no writable folder, and <c>healthcheck [url]</c> probes a running silo without curl in the image.
/// </summary>
internal static class SiloCommands
{
    public const string DefaultHealthUrl = "http://127.0.0.1:8080/ready";

    /// <summary>The exit code when <paramref name="args"/> name a command; null when the host should start.</summary>
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            return null;
        }

        switch (args[0])
        {
            case "extract-models":
                foreach (var model in BundledModels.Known.Values)
                {
                    var dll = Path.Combine(AppContext.BaseDirectory, "models", model.AssemblyName + ".dll");
                    if (File.Exists(dll))
                    {
                        var folder = BundledModels.EnsureExtracted(model.Name);
                        Console.WriteLine($"{model.Name}: {folder} (int8: {OnnxEmbedder.EnsureQuantized(folder)})");
                    }
                }

                return 0;

            case "healthcheck":
                return await ProbeAsync(args.Length > 1 ? args[1] : DefaultHealthUrl);

            default:
                return null;
        }
    }

    private static async Task<int> ProbeAsync(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            await Console.Error.WriteLineAsync($"error: '{url}' is not an absolute URL.");
            return 2;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(uri);
            Console.WriteLine($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"error: {uri} did not answer: {exception.Message}");
            return 1;
        }
    }
}

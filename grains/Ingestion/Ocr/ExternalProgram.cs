using System.ComponentModel;
using System.Diagnostics;

namespace OrleansRag.Ingestion.Ocr;

/// <summary>The outcome of a program run: its exit code and what it wrote.</summary>
internal sealed record class ProgramResult(int ExitCode, string Output, string Error)
{
    /// <summary>The last lines of standard error, for a failure's reason.</summary>
    public string ErrorTail => Error.Length <= 400 ? Error.Trim() : "…" + Error[^400..].Trim();
}

/// <summary>
/// Runs a program with arguments (never through a shell), bounded in time; the whole process tree is killed at the
/// deadline. The program sees none of the silo's environment (connection strings, keys): only PATH, the locale, the
/// variables given, and TESSDATA_PREFIX when set.
/// </summary>
internal static class ExternalProgram
{
    /// <summary>
    /// Runs <paramref name="program"/>; null when it is not there (or not executable). Throws <see cref="TimeoutException"/>
    /// after <paramref name="timeout"/> and <see cref="OperationCanceledException"/> when cancelled, the process killed either way.
    /// </summary>
    public static async Task<ProgramResult?> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var name in (string[])["PATH", "LANG", "TESSDATA_PREFIX"])
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            if (!process.Start())
            {
                return null;
            }
        }
        catch (Win32Exception exception) when (exception.NativeErrorCode is 2 or 13)
        {
            return null; // ENOENT, EACCES: not installed, or not executable
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout < TimeSpan.FromHours(12) ? timeout : TimeSpan.FromHours(12));
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception exception) when (exception is InvalidOperationException or Win32Exception or AggregateException)
            {
                // it ended meanwhile, or a child could not be signalled: the wait below still reaps the process
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(output, error).ConfigureAwait(false); // the pipes close with the process
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within {timeout.TotalSeconds:F0} s.");
        }

        return new ProgramResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }
}

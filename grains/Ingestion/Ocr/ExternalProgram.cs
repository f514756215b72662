using System.ComponentModel;
using System.Diagnostics;

namespace OrleansRag.Ingestion.Ocr;

/// <summary>The outcome of a program run: its exit code and what it wrote.</summary>
internal sealed record class ProgramResult(int ExitCode, string Output, string Error)
{
    /// <summary>The last lines of standard error, for a failure's reason.</summary>
    public string ErrorTail => Error.Length <= 400 ? Error.Trim() : "…" + Error[^400..].Trim();
}

/// <summary>Runs a program with arguments (never through a shell), bounded in time; the whole process tree is killed at the deadline.</summary>
internal static class ExternalProgram
{
    /// <summary>
    /// Runs <paramref name="program"/>; null when it cannot be started (not installed). Throws <see cref="TimeoutException"/>
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
        catch (Win32Exception)
        {
            return null; // not found or not executable
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
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
            catch (InvalidOperationException)
            {
                // it ended meanwhile
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within {timeout.TotalSeconds:F0} s.");
        }

        return new ProgramResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }
}

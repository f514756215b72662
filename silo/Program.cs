using Microsoft.Extensions.Options;
using OrleansRag.Silo;
using OrleansRag.Silo.Hosting;

if (await SiloCommands.TryRunAsync(args) is { } exitCode)
{
    return exitCode;
}

// The host is built by RagHost so that tests and benchmarks start exactly the same one.
try
{
    var app = RagHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Exception exception) when (StartupProblem(exception) is { } problem)
{
    // A setting or dependency that cannot work: one clear line that names it, no stack trace.
    await Console.Error.WriteLineAsync($"error: {problem}");
    return 1;
}

static string? StartupProblem(Exception exception)
{
    for (Exception? e = exception; e is not null; e = e.InnerException)
    {
        switch (e)
        {
            case RagStartupException startup:
                return startup.Message;
            case OptionsValidationException validation:
                return $"invalid configuration: {string.Join("; ", validation.Failures)}";
            case InvalidOperationException when ConfigurationErrors.Describe(e) is { } problem:
                return $"invalid configuration: {problem}";
        }
    }

    return null;
}

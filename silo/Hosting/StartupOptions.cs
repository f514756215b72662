using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// Options the host needs while it is being put together (which storage, which endpoints, whether keys exist), before
/// there is a container to ask: bound from their section once per configuration (later reads get the same instance),
/// a value of the wrong kind and every failed data annotation stopping the host with one line that names the setting.
/// What the grains read at run time is bound by the container (<c>AddValidatedOptions</c>).
/// </summary>
public static class StartupOptions
{
    private static readonly ConditionalWeakTable<IConfiguration, ConcurrentDictionary<Type, object>> Bound = new();

    public static TOptions Get<TOptions>(IConfiguration configuration, string section)
        where TOptions : class, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return (TOptions)Bound.GetValue(configuration, _ => new()).GetOrAdd(typeof(TOptions), _ => Bind<TOptions>(configuration, section));
    }

    private static TOptions Bind<TOptions>(IConfiguration configuration, string section)
        where TOptions : class, new()
    {
        TOptions options;
        try
        {
            options = configuration.GetSection(section).Get<TOptions>() ?? new TOptions();
        }
        catch (InvalidOperationException exception) when (ConfigurationErrors.Describe(exception) is { } problem)
        {
            throw new RagStartupException($"Invalid configuration: {problem}", exception);
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw new RagStartupException("Invalid configuration: " + string.Join("; ", results.Select(r =>
                r.ErrorMessage?.StartsWith(section + ":", StringComparison.Ordinal) == true ? r.ErrorMessage : $"{section}:{string.Join(",", r.MemberNames)} {r.ErrorMessage}")));
        }

        return options;
    }
}

using System.ComponentModel;
using OrleansRag.Security;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary>
/// <c>orag keys create --tenant T --role reader|writer|admin|operator</c>: makes a new API key offline. The key is printed once
/// (give it to its user); only its hash goes into the silos' configuration, in JSON and environment-variable form.
/// </summary>
public sealed class KeysCreateCommand : Command<KeysCreateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-t|--tenant <TENANT>")]
        [Description("The tenant the key belongs to.")]
        public string? Tenant { get; init; }

        [CommandOption("-r|--role <ROLE>")]
        [Description("reader (search, ask), writer (+ ingest, delete), admin (+ collections, the tenant's alert rules, keys) or operator (+ cluster-wide alert rules).")]
        public string? Role { get; init; }

        [CommandOption("-i|--index <N>")]
        [Description("Position in Security:ApiKeys for the environment-variable form (default 0).")]
        [DefaultValue(0)]
        public int Index { get; init; }

        public RagRole ParsedRole => Enum.Parse<RagRole>(Role!, ignoreCase: true);

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Tenant))
            {
                return ValidationResult.Error("--tenant is required.");
            }

            if (RagValidation.CheckId("--tenant", Tenant) is { } problem)
            {
                return ValidationResult.Error(problem);
            }

            if (Role is null || !Enum.TryParse<RagRole>(Role, ignoreCase: true, out _) || int.TryParse(Role, out _))
            {
                return ValidationResult.Error($"--role must be reader, writer or admin; it was '{Role}'.");
            }

            return Index < 0 ? ValidationResult.Error("--index must be 0 or more.") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (key, id, hash) = ApiKeys.Create();
        var role = settings.ParsedRole.ToString().ToLowerInvariant();
        var prefix = $"Security__ApiKeys__{settings.Index}__";
        Console.WriteLine($"key:  {key}");
        Console.WriteLine("      (shown once; store it in a secret store and give it to its user)");
        Console.WriteLine();
        Console.WriteLine("appsettings.json, under Security:ApiKeys:");
        Console.WriteLine($"  {{ \"Id\": \"{id}\", \"Tenant\": \"{settings.Tenant}\", \"Role\": \"{role}\", \"Hash\": \"{hash}\" }}");
        Console.WriteLine();
        Console.WriteLine("environment:");
        Console.WriteLine($"  {prefix}Id={id}");
        Console.WriteLine($"  {prefix}Tenant={settings.Tenant}");
        Console.WriteLine($"  {prefix}Role={role}");
        Console.WriteLine($"  {prefix}Hash={hash}");
        Console.WriteLine();
        Console.WriteLine("and once per cluster, the same on every silo (required with keys), unless it is set already:");
        Console.WriteLine($"  Security__ClusterSecret={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}");
        return 0;
    }
}

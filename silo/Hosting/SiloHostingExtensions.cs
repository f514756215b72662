using Orleans.Configuration;

namespace OrleansRag.Silo.Hosting;

public static class SiloHostingExtensions
{
    /// <summary>
    /// The embedded default: localhost clustering, in-memory grain storage and memory streams. Settings come from
    /// the "Cluster" section; an unknown value stops the host with a message that names the setting.
    /// </summary>
    public static WebApplicationBuilder UseRagSilo(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(OrleansHostingOptions.SectionName);
        var options = section.Get<OrleansHostingOptions>() ?? new OrleansHostingOptions();
        Validate(options);

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            silo.AddMemoryGrainStorage(RagConstants.StorageName);
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.AddMemoryStreams(RagConstants.StreamProvider);
        });
        builder.Services.AddSingleton<SiloReadiness>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloReadiness>());
        return builder;
    }

    private static void Validate(OrleansHostingOptions options)
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true))
        {
            var problems = results.Select(r => $"{OrleansHostingOptions.SectionName}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}");
            throw new InvalidOperationException("Invalid configuration: " + string.Join("; ", problems));
        }
    }
}

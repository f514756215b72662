using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansRag.Silo.Api;

public static class ApiExtensions
{
    public static IServiceCollection AddRagApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<RagExceptionHandler>();
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        });
        return services;
    }

    /// <summary>Maps every /v1 endpoint group.</summary>
    public static WebApplication MapRagApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var v1 = app.MapGroup("/v1");
        v1.MapCollectionsApi();
        v1.MapDocumentsApi();
        v1.MapQueryApi();
        v1.MapEmbeddingsApi();
        return app;
    }
}

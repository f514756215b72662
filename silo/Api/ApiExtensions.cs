using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OrleansRag.Ingestion;
using OrleansRag.Silo.Security;

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
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        });

        // The request limits follow Ingestion:MaxDocumentBytes, so that the error a large document gets names that setting.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<IngestionOptions>>((kestrel, ingestion) =>
            kestrel.Limits.MaxRequestBodySize = DocumentsApi.RequestLimit(ingestion.Value));
        services.AddOptions<FormOptions>().Configure<IOptions<IngestionOptions>>((form, ingestion) =>
            form.MultipartBodyLengthLimit = DocumentsApi.RequestLimit(ingestion.Value));
        return services;
    }

    /// <summary>Maps every /v1 endpoint group.</summary>
    public static WebApplication MapRagApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Every /v1 endpoint needs a key; reading is the least a key can do, writes and admin ask for more.
        var v1 = app.MapGroup("/v1").RequireAuthorization(SecurityExtensions.Reader);
        v1.MapGet("/me", (HttpContext context) => ApiKeyAuthenticationHandler.PrincipalOf(context.User) is { } me
                ? Results.Ok(new { keyId = me.KeyId, tenant = me.Tenant, role = me.Role })
                : Results.Unauthorized())
            .WithTags("Access").WithName("WhoAmI").WithSummary("The calling key's id, tenant and role");
        v1.MapCollectionsApi();
        v1.MapDocumentsApi();
        v1.MapQueryApi();
        v1.MapConversationsApi();
        v1.MapSourcesApi();
        v1.MapQueryLogApi();
        v1.MapEmbeddingsApi();
        v1.MapOpenAiChatApi();
        v1.MapAlertingApi();
        return app;
    }
}

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace OrleansRag.Silo.Api;

/// <summary>
/// The API's description for programs and people: an OpenAPI 3.1 document at <c>/openapi/v1.json</c> (generated
/// from the mapped endpoints by Microsoft.AspNetCore.OpenApi, with the API-key schemes and the problem types added
/// here) and an interactive reference at <c>/docs</c> (Scalar, served from the package: no internet needed).
/// Neither needs a key: they describe the API, they hold no data.
/// </summary>
public static class ApiDescription
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/docs";
    public const string BearerScheme = "bearer";
    public const string HeaderScheme = "apiKey";

    public static IServiceCollection AddRagOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;

            // The /v1 API; the dashboard's own endpoints and the operator probes (/health, /ready, /metrics) are not part of it.
            options.ShouldInclude = description => description.RelativePath?.StartsWith("v1/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer(DescribeDocument);
            options.AddOperationTransformer(DescribeSecurity);
        });
        return services;
    }

    public static WebApplication MapRagApiDescription(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous().ExcludeFromDescription();
        app.MapScalarApiReference(ReferencePath, options => options
                .WithTitle("OrleansRag API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .AddPreferredSecuritySchemes(BearerScheme))
            .AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Describes the JSON body an endpoint reads itself (<see cref="JsonBody"/>) in the OpenAPI document only. Not
    /// <c>Accepts</c>: that is routing metadata, and routing would then answer other content types with a bare 415
    /// before the endpoint can say which types it takes (files, multipart).
    /// </summary>
    public static RouteHandlerBuilder DescribesBody<T>(this RouteHandlerBuilder builder, params string[] contentTypes)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken);
            if (operation.RequestBody is not OpenApiRequestBody body)
            {
                operation.RequestBody = body = new OpenApiRequestBody();
            }

            body.Required = true;
            body.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal);
            foreach (var type in contentTypes)
            {
                body.Content[type] = new OpenApiMediaType { Schema = schema };
            }
        });
    }

    /// <summary>The problem responses an endpoint answers with besides its success.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(statuses);
        foreach (var status in statuses)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "OrleansRag",
            Version = "v1",
            Description = "Retrieval-augmented generation on Microsoft Orleans: ingest documents, search them, ask questions and get answers with citations. "
                + "Errors are RFC 7807 problem details (application/problem+json) whose `type` is one of: "
                + string.Join(", ", Problems.Types.Select(t => $"`{t.Uri}` ({t.Status}, {t.Title})"))
                + "; `detail` names the field and what it accepts. Every /v1 call needs an API key (Bearer or X-Api-Key) unless the silo runs in open mode on loopback.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal)
        {
            [BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An OrleansRag API key (`orag keys create`) as a bearer token: `Authorization: Bearer <key>`.",
            },
            [HeaderScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "X-Api-Key",
                Description = "The same API key in the X-Api-Key header.",
            },
        };
        return Task.CompletedTask;
    }

    /// <summary>Endpoints that need a key say so, with the 401/403 problems they answer without one.</summary>
    private static Task DescribeSecurity(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<IAllowAnonymous>().Any())
        {
            return Task.CompletedTask;
        }

        operation.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(HeaderScheme, context.Document)] = [] },
        ];
        operation.Responses ??= new OpenApiResponses();
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No API key, or one that is not valid (problem details)." });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The key lacks the role this needs (problem details)." });
        return Task.CompletedTask;
    }
}

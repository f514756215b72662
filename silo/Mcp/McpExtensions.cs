using ModelContextProtocol.Protocol;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Mcp;

/// <summary>
/// The Model Context Protocol server: Streamable HTTP at /mcp, stateless (no session to pin a client to a silo, so any
/// silo behind a load balancer answers), the tools of <see cref="RagMcpTools"/>, authenticated by the same API keys as
/// the HTTP API (Authorization: Bearer or X-Api-Key).
/// </summary>
public static class McpExtensions
{
    public const string Path = "/mcp";

    public static IServiceCollection AddRagMcp(this IServiceCollection services)
    {
        services.AddMcpServer(options =>
            {
                options.ServerInfo = new Implementation { Name = "OrleansRag", Version = typeof(McpExtensions).Assembly.GetName().Version?.ToString() ?? "1.0" };
                options.ServerInstructions =
                    "OrleansRag answers questions from document collections with citations. Call list_collections first, then search " +
                    "for passages or ask for an answer; get_document reads a cited document.";
            })
            .WithHttpTransport(options => options.Stateless = true)
            .WithTools([typeof(RagMcpTools)]);
        return services;
    }

    public static WebApplication MapRagMcp(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMcp(Path).RequireAuthorization(SecurityExtensions.Reader).WithTags("MCP").ExcludeFromDescription();
        return app;
    }
}

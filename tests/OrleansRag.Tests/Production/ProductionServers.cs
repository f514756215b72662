namespace OrleansRag.Tests.Production;

/// <summary>
/// The PostgreSQL and Redis servers that production-mode tests use, started by ./test.sh (tests/servers.sh),
/// which passes their connection strings in ORLEANSRAG_TEST_POSTGRES and ORLEANSRAG_TEST_REDIS.
/// </summary>
public static class ProductionServers
{
    public static string Postgres => Get("ORLEANSRAG_TEST_POSTGRES");

    public static string Redis => Get("ORLEANSRAG_TEST_REDIS");

    private static string Get(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Production-mode tests need real PostgreSQL and Redis servers: run ./test.sh, which starts them on 127.0.0.1 and sets it.");
}

namespace OrleansRag.Tests.Production;

/// <summary>
/// The servers that production-mode and blob store tests use, started by ./test.sh (tests/servers.sh), which passes
/// where they listen: PostgreSQL and Redis (ORLEANSRAG_TEST_POSTGRES, ORLEANSRAG_TEST_REDIS), Azurite (a storage
/// connection string, ORLEANSRAG_TEST_AZURITE) and s3rver (its URL, ORLEANSRAG_TEST_S3; key and secret "S3RVER").
/// </summary>
public static class ProductionServers
{
    public static string Postgres => Get("ORLEANSRAG_TEST_POSTGRES");

    public static string Redis => Get("ORLEANSRAG_TEST_REDIS");

    public static string Azurite => Get("ORLEANSRAG_TEST_AZURITE");

    public static string S3 => Get("ORLEANSRAG_TEST_S3");

    private static string Get(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Production-mode and blob store tests need real PostgreSQL, Redis, Azurite and S3 servers: run ./test.sh, which starts them on 127.0.0.1 and sets it.");
}

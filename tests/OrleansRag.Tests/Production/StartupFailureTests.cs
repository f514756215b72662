namespace OrleansRag.Tests.Production;

/// <summary>A wrong or unreachable connection string stops the silo at start with one line naming the setting.</summary>
public sealed class StartupFailureTests
{
    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "Cluster:RedisConnectionString", "127.0.0.1:1", "Cluster:RedisConnectionString: cannot connect to Redis at 127.0.0.1:1" },
        { "Cluster:RedisConnectionString", "", "Cluster:RedisConnectionString is required when Cluster:Storage is Redis" },
        { "Cluster:PostgresConnectionString", "Host=127.0.0.1;Port=1;Username=postgres", "Cluster:PostgresConnectionString: cannot use PostgreSQL at 127.0.0.1:1" },
        { "Cluster:PostgresConnectionString", "Hots=nowhere", "Cluster:PostgresConnectionString is not a valid Npgsql connection string" },
        { "Cluster:Storage", "Cassandra", "Cluster:Storage must be one of Memory, Redis; it was 'Cassandra'" },
        { "Cluster:Clustering", "Zookeeper", "Cluster:Clustering must be one of Localhost, AdoNet" },
        { "Ingestion:ShardCount", "abc", "Ingestion:ShardCount must be a whole number; it was 'abc'" },
        { "Generation:Temperature", "warm", "Generation:Temperature must be a number; it was 'warm'" },
        { "Query:AnswerCacheTtl", "ten minutes", "Query:AnswerCacheTtl must be a duration such as 00:05:00" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Silo_refuses_to_start_and_names_the_setting(string key, string value, string message)
    {
        var settings = new ProductionCluster().Settings();
        settings["Cluster:ConnectTimeout"] = "00:00:03";
        settings[key] = value;
        await using var silo = SiloProcess.Start(settings);
        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the silo should have exited:\n" + silo.Output);
        Assert.NotEqual(0, silo.ExitCode);
        Assert.Contains(message, silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", silo.Output, StringComparison.Ordinal); // no stack-trace wall
    }
}

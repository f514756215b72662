using OrleansRag.Bench;

// Benchmarks print figures; they assert nothing (see bench/README.md).
//   dotnet run -c Release --project bench/OrleansRag.Bench -- core [--docs 1500] [--questions 500] [--concurrency 1]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- storage --redis 127.0.0.1:6379 [--docs 300] [--shard-chunks 100000]
switch (args.FirstOrDefault())
{
    case "storage":
        await StorageBenchmark.RunAsync(args);
        return 0;
    case "core" or null:
        await CorePathBenchmark.RunAsync(args);
        return 0;
    default:
        await Console.Error.WriteLineAsync($"unknown benchmark '{args[0]}'; use 'core' or 'storage'");
        return 2;
}

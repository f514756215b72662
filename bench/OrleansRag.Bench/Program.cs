using OrleansRag.Bench;

// Benchmarks print figures; they assert nothing (see bench/README.md).
//   dotnet run -c Release --project bench/OrleansRag.Bench -- core [--docs 1500] [--questions 500] [--concurrency 1]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- storage --redis 127.0.0.1:6379 [--docs 300] [--shard-chunks 100000]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- files [--docs 150] [--large-mb 50]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- answers [--docs 1500] [--questions 500] [--show 20]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- alerts [--minutes 10] [--docs 500]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- embedders [--texts 512] [--docs 300]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- index [--sizes 100000,1000000] [--queries 300] [--hnsw-max 1000000]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- conversations [--rounds 200] [--latency-only]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- archive [--docs 1000]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- overhead [--docs 300] [--rounds 6] [--warm-rounds 2] [--quantized true]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- ocr [--pages 20] [--images 5] [--dpi 300] [--parallel 0]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- fusion [--dataset tests/data/manpages] [--quantized true]
//   dotnet run -c Release --project bench/OrleansRag.Bench -- cluster-load --gateways IP:PORT,… --http URL,… [--collection C] [--response-timeout S] [--lost-only] [--stop-file F] [--progress-file F] [--seconds 600]   (ORAG_API_KEY)
//   dotnet run -c Release --project bench/OrleansRag.Bench -- answer-quality [--set bench/data/answers-dev] [--show 20 [--all]] [--debug ID,ID]
switch (args.FirstOrDefault())
{
    case "files":
        await FileIngestBenchmark.RunAsync(args);
        return 0;
    case "alerts":
        await AlertLoadBenchmark.RunAsync(args);
        return 0;
    case "answers":
        await AnswerBenchmark.RunAsync(args);
        return 0;
    case "embedders":
        await EmbedderBenchmark.RunAsync(args);
        return 0;
    case "index":
        await IndexBenchmark.RunAsync(args);
        return 0;
    case "conversations":
        await ConversationBenchmark.RunAsync(args);
        return 0;
    case "storage":
        await StorageBenchmark.RunAsync(args);
        return 0;
    case "archive":
        await ArchiveBenchmark.RunAsync(args);
        return 0;
    case "overhead":
        await IngestOverheadBenchmark.RunAsync(args);
        return 0;
    case "ocr":
        await OcrBenchmark.RunAsync(args);
        return 0;
    case "fusion":
        await FusionBenchmark.RunAsync(args);
        return 0;
    case "cluster-load":
        return await ClusterLoadBenchmark.RunAsync(args);
    case "answer-quality":
        await AnswerQualityBenchmark.RunAsync(args);
        return 0;
    case "core" or null:
        await CorePathBenchmark.RunAsync(args);
        return 0;
    default:
        await Console.Error.WriteLineAsync($"unknown benchmark '{args[0]}'; use 'core', 'answers', 'conversations', 'alerts', 'storage', 'archive', 'overhead', 'ocr', 'fusion', 'answer-quality', 'index', 'embedders' or 'files'");
        return 2;
}

using OrleansRag.Cli;
using OrleansRag.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("orag");
    config.AddCommand<IngestCommand>("ingest").WithDescription("Ingest a file, or every supported file under a folder (PDF, DOCX, HTML, Markdown, text).")
        .WithExample("ingest", "./docs", "--collection", "handbook");
    config.AddCommand<AskCommand>("ask").WithDescription("Ask a question; prints the answer with its citations.")
        .WithExample("ask", "\"How do grains fail over?\"", "--collection", "handbook");
    config.AddCommand<ChatCommand>("chat").WithDescription("Hold a conversation with a collection: follow-ups are answered in context.")
        .WithExample("chat", "--collection", "handbook");
    config.AddCommand<SearchCommand>("search").WithDescription("Search a collection; prints the best chunks.");
    config.AddCommand<EvalCommand>("eval").WithDescription("Evaluate retrieval on a BEIR dataset (nDCG@10, recall, MRR, latency).")
        .WithExample("eval", "--dataset", "tests/data/scifact", "--collection", "scifact");
    config.AddCommand<ListCommand>("list").WithDescription("List the documents of a collection.");
    config.AddCommand<DeleteCommand>("delete").WithDescription("Delete a document.");
    config.AddCommand<ExportCommand>("export").WithDescription("Export a collection to an archive file (settings, documents, chunks with vectors; --sources adds the original files).")
        .WithExample("export", "--collection", "handbook", "--sources", "-o", "handbook.tar.gz");
    config.AddCommand<ImportCommand>("import").WithDescription("Import an archive into a new or empty collection (--replace empties it first).")
        .WithExample("import", "handbook.tar.gz", "--collection", "handbook-restored");
    config.AddBranch("sources", sources =>
    {
        sources.SetDescription("Folders, buckets and web sites kept in sync with a collection.");
        sources.AddCommand<SourcesAddCommand>("add").WithDescription("Attach a source (folder, azureblob, s3, web); secrets from $ORAG_SOURCE_CONNECTION_STRING / $ORAG_SOURCE_SECRET_KEY.")
            .WithExample("sources", "add", "handbook-share", "--kind", "folder", "--path", "/srv/shared/handbook", "--collection", "handbook")
            .WithExample("sources", "add", "docs-site", "--kind", "web", "--sitemap", "https://docs.example.org/sitemap.xml", "--collection", "handbook");
        sources.AddCommand<SourcesListCommand>("list").WithDescription("List a collection's sources with their last sync.");
        sources.AddCommand<SourcesSyncCommand>("sync").WithDescription("Sync a source now (--wait for the result).")
            .WithExample("sources", "sync", "handbook-share", "--wait", "--collection", "handbook");
        sources.AddCommand<SourcesRemoveCommand>("remove").WithDescription("Detach a source (its documents are deleted unless --keep-documents).");
    });
    config.AddCommand<RateCommand>("rate").WithDescription("Rate an answer up or down (its id is printed under the answer).")
        .WithExample("rate", "0193c4d2a4b87c3e9f1d2b3c4d5e6f70", "down", "--comment", "missed the second step", "--collection", "handbook");
    config.AddBranch("log", log =>
    {
        log.SetDescription("The query log: answered questions with their citations, timings and feedback (admin).");
        log.AddCommand<LogShowCommand>("show").WithDescription("Show the newest entries of a collection's query log.")
            .WithExample("log", "show", "--rating", "down", "--collection", "handbook");
        log.AddCommand<LogExportCommand>("export").WithDescription("Write the questions rated up and the documents their answers cited as a BEIR set for orag eval.")
            .WithExample("log", "export", "--collection", "handbook", "-o", "handbook-feedback");
    });
    config.AddBranch("keys", keys =>
    {
        keys.SetDescription("API keys.");
        keys.AddCommand<KeysCreateCommand>("create").WithDescription("Create an API key: prints the key once and the hash to configure.")
            .WithExample("keys", "create", "--tenant", "acme", "--role", "writer");
    });
    config.SetExceptionHandler((exception, _) => CliOutput.Fail(exception));
});

return await app.RunAsync(args);

using OrleansRag.Silo;

var app = RagHost.Build(args);
await app.RunAsync();

/// <summary>Entry point; the host is built by <see cref="RagHost"/> so tests and benchmarks start the same one.</summary>
public partial class Program;

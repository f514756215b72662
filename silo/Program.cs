using OrleansRag.Silo;

// The host is built by RagHost so that tests and benchmarks start exactly the same one.

var app = RagHost.Build(args);
await app.RunAsync();

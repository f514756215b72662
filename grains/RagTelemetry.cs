using System.Diagnostics;

namespace OrleansRag;

/// <summary>
/// The names OrleansRag's own telemetry is published under: one meter and one activity source, both "OrleansRag".
/// Spans: <c>embed</c> (one per embedding request), <c>retrieve</c> (one per shard searched) and <c>generate</c>,
/// children of the grain-call spans that Orleans' activity propagation creates.
/// </summary>
public static class RagTelemetry
{
    public const string Name = "OrleansRag";

    public static readonly ActivitySource ActivitySource = new(Name);
}

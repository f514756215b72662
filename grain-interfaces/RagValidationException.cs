namespace OrleansRag;

/// <summary>
/// Input that breaks a rule of the API (an id with path characters, an empty question, topK out of range): the
/// caller's fault, answered with HTTP 400 and this message, wherever it is found (the SDK, the HTTP edge or a
/// grain; it crosses grain calls intact). Any other exception is a fault of the service: HTTP 500 with a trace id
/// and no internal text.
/// </summary>
[GenerateSerializer, Alias("OrleansRag.RagValidationException")]
public sealed class RagValidationException : Exception
{
    public RagValidationException()
    {
    }

    public RagValidationException(string message)
        : base(message)
    {
    }

    public RagValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RagValidationException(string message, string field)
        : base(message) => Field = field;

    /// <summary>The request field (or argument) that is wrong.</summary>
    [Id(0)]
    public string? Field { get; init; }
}

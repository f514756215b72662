namespace OrleansRag.Silo.Hosting;

/// <summary>A setting or dependency that stops the silo at start; the message names the setting.</summary>
public sealed class RagStartupException : Exception
{
    public RagStartupException()
    {
    }

    public RagStartupException(string message)
        : base(message)
    {
    }

    public RagStartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

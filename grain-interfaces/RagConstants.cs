namespace OrleansRag;

/// <summary>Names and limits shared by the silo, the client SDK and the CLI.</summary>
public static class RagConstants
{
    /// <summary>Grain storage provider that holds documents and collections.</summary>
    public const string StorageName = "rag";

    /// <summary>Stream provider name (memory streams in the embedded default).</summary>
    public const string StreamProvider = "rag-streams";

    /// <summary>The tenant of the open mode (no API keys configured) and of the sample corpus.</summary>
    public const string DefaultTenant = "default";

    public const int MaxIdLength = 256;
    /// <summary>Sources (folders, buckets, sites) one collection may have.</summary>
    public const int MaxSourcesPerCollection = 50;

    /// <summary>Characters a comment on an answer may have.</summary>
    public const int MaxFeedbackCommentLength = 2000;

    public const int MinTopK = 1;
    public const int MaxTopK = 100;
    public const int DefaultTopK = 5;
    public const int MaxQueryLength = 4_000;

    /// <summary>Most earlier turns a follow-up may carry (OpenAI chat messages, SDK history).</summary>
    public const int MaxHistoryTurns = 100;

    /// <summary>Longest answer of an earlier turn a follow-up may carry (characters).</summary>
    public const int MaxHistoryAnswerLength = 32_000;
}

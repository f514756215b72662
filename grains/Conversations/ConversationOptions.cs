using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Conversations;

/// <summary>How a follow-up question is turned into a standalone one before retrieval.</summary>
public enum CondenseMode
{
    /// <summary>The language model when one is configured (Generation:Provider), else <see cref="Keywords"/>.</summary>
    Auto,

    /// <summary>Offline and deterministic: a follow-up that needs context gets the earlier turns' key terms.</summary>
    Keywords,

    /// <summary>Follow-ups are answered as they are written.</summary>
    Off,
}

/// <summary>Configuration section "Conversations".</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "Conversations";

    /// <summary>Turns a conversation keeps; older ones are dropped (turn numbers keep counting).</summary>
    [Range(1, 10_000)]
    public int MaxTurns { get; set; } = 50;

    /// <summary>
    /// Word pieces of earlier turns (questions and answers, newest first) sent to the language model to condense a
    /// follow-up; older turns beyond it are left out.
    /// </summary>
    [Range(64, 100_000)]
    public int HistoryTokenBudget { get; set; } = 1_500;

    /// <summary>A conversation without a turn for this long is deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan IdleTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Live conversations an API key may have with one collection; creating one more is refused (409) until some end or expire.</summary>
    [Range(1, 1_000_000)]
    public int MaxPerKey { get; set; } = 200;

    public CondenseMode Condense { get; set; } = CondenseMode.Auto;
}

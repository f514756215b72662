using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using OrleansRag.Conversations;
using OrleansRag.Security;

namespace OrleansRag.Tests.Conversations;

/// <summary>The conversation rules as plain classes: the offline rewrite, the history window and the turn log.</summary>
[Trait("Category", "Unit")]
public sealed class ConversationPolicyTests
{
    private static readonly ChatTurn[] GzipTurn =
        [new("What does gzip use to compress files?", "Gzip reduces the size of the named files using Lempel-Ziv coding (LZ77) [1].", CitedTitle: "gzip, gunzip, zcat - compress or expand files")];

    [Theory]
    [InlineData("How do I keep the original file with it?")]
    [InlineData("and what about the compression level?")]
    [InlineData("Why?")]
    [InlineData("Which option does that?")]
    [InlineData("What about speed")]
    [InlineData("How fast is this one?")]
    public void A_follow_up_that_leans_on_the_conversation_gets_the_earlier_turns_terms(string question)
    {
        var condensed = KeywordFollowUpCondenser.Condense(question, GzipTurn);

        Assert.True(condensed.Rewritten, question);
        Assert.Equal("keywords", condensed.Method);
        Assert.StartsWith(question.Trim(), condensed.Question, StringComparison.Ordinal);
        Assert.Contains("gzip", condensed.Question, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("How does bzip2 compress files?")]
    [InlineData("Which curl option follows redirects?")]
    [InlineData("What is the default compression level of xz?")]
    public void A_question_that_stands_alone_is_answered_as_written(string question)
    {
        var condensed = KeywordFollowUpCondenser.Condense(question, GzipTurn);

        Assert.False(condensed.Rewritten);
        Assert.Equal(question, condensed.Question);
        Assert.Equal(question, KeywordFollowUpCondenser.Condense(question, []).Question);
    }

    [Fact]
    public void The_subject_of_the_newest_turn_travels_not_the_aspect_it_asked_about()
    {
        ChatTurn[] history =
        [
            new("What is Boreas?", "Boreas is a scheduler.", CitedTitle: "Boreas overview"),
            new("How does Zephyr place actors on silos?", "On the silo of the first call.", CitedTitle: "Zephyr actor placement"),
        ];

        var condensed = KeywordFollowUpCondenser.Condense("And how does it detect failures?", history);

        Assert.Equal("And how does it detect failures? (zephyr)", condensed.Question);
        Assert.Equal(["bzip2", "--keep"], KeywordFollowUpCondenser.SubjectOf(new ChatTurn("what does bzip2 do with --keep?", "a")));
        Assert.Equal(["gzip", "compress", "files"], KeywordFollowUpCondenser.SubjectOf(GzipTurn[0]));
        Assert.Equal(["rotate", "logs", "nightly"], KeywordFollowUpCondenser.SubjectOf(new ChatTurn("how to rotate logs nightly and weekly?", "a")));
    }

    [Fact]
    public void A_three_turn_chain_carries_the_first_subject_through_the_rewritten_second_question()
    {
        var second = KeywordFollowUpCondenser.Condense("How do I keep the original with it?", GzipTurn);
        ChatTurn[] history = [.. GzipTurn, new("How do I keep the original with it?", "Use -k [1].", second.Question)];

        var third = KeywordFollowUpCondenser.Condense("and its fastest level?", history);

        Assert.Contains("gzip", third.Question, StringComparison.Ordinal);
    }

    [Fact]
    public void The_history_window_keeps_the_newest_turns_that_fit_the_budget()
    {
        var history = Enumerable.Range(1, 10).Select(i => new ChatTurn($"question {i}", new string('a', 40))).ToArray();
        static int Count(string text) => text.Length;

        var window = ConversationHistory.Window(history, Count, budgetTokens: 3 * (10 + 40) + 5, maxAnswerChars: 1000);

        Assert.Equal(["question 8", "question 9", "question 10"], window.Select(t => t.Question));
        Assert.Empty(ConversationHistory.Window(history, Count, budgetTokens: 10, maxAnswerChars: 1000));
    }

    [Fact]
    public void The_model_prompt_holds_the_instruction_the_turns_and_the_last_question_with_long_answers_cut()
    {
        ChatTurn[] history = [new("What is gzip?", "Gzip compresses files. " + new string('x', 2000))];

        var messages = LanguageModelFollowUpCondenser.BuildMessages("How do I keep the original?", history, t => t.Length / 4, 10_000);

        Assert.Equal(ChatRole.System, messages[0].Role);
        Assert.Equal(LanguageModelFollowUpCondenser.SystemPrompt, messages[0].Text);
        var prompt = messages[1].Text;
        Assert.Contains("User: What is gzip?", prompt, StringComparison.Ordinal);
        Assert.Contains("Assistant: Gzip compresses files.", prompt, StringComparison.Ordinal);
        Assert.EndsWith("Last question: How do I keep the original?", prompt, StringComparison.Ordinal);
        Assert.True(prompt.Length < 1000, $"the 2000-character answer was not cut: {prompt.Length}");
    }

    [Fact]
    public void The_log_numbers_turns_keeps_the_newest_and_titles_the_conversation_by_its_first_question()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var log = new ConversationLog(new ConversationState(), new ConversationOptions { MaxTurns = 2 }, time);
        log.Start("key1");

        for (var i = 1; i <= 3; i++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            log.Append($"question {i}", Answer($"answer {i}", standalone: i > 1 ? $"question {i} (context)" : null));
        }

        var view = log.View("c1", "coll");
        Assert.Equal(3, view.TurnCount);
        Assert.Equal([2, 3], view.Turns.Select(t => t.N));
        Assert.Equal("question 1", view.Title);
        Assert.Equal("question 3 (context)", view.Turns[^1].StandaloneQuestion);
        Assert.Equal(time.GetUtcNow(), view.LastActiveAt);
        Assert.Equal(["question 2", "question 3"], log.History().Select(t => t.Question));
        Assert.Equal("question 3 (context)", log.History()[^1].AnsweredQuestion);
        Assert.Equal("Doc", log.History()[^1].CitedTitle);
    }

    [Fact]
    public void A_conversation_expires_after_the_idle_ttl_from_its_last_turn()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var log = new ConversationLog(new ConversationState(), new ConversationOptions { IdleTtl = TimeSpan.FromHours(1) }, time);
        Assert.False(log.IsLive);
        log.Start("key1");

        time.Advance(TimeSpan.FromMinutes(50));
        log.Append("q", Answer("a"));
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.True(log.IsLive);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(log.IsExpired);
        Assert.False(log.IsLive);
    }

    [Fact]
    public void Only_the_owner_an_admin_or_the_silo_may_use_a_conversation()
    {
        var log = new ConversationLog(new ConversationState(), new ConversationOptions(), TimeProvider.System);
        log.Start("owner1");

        Assert.True(log.CanAccess(new RagPrincipal("owner1", "t", RagRole.Reader)));
        Assert.True(log.CanAccess(new RagPrincipal("admin1", "t", RagRole.Admin)));
        Assert.True(log.CanAccess(RagPrincipal.Internal));
        Assert.False(log.CanAccess(new RagPrincipal("writer2", "t", RagRole.Writer)));
    }

    private static AskResponse Answer(string answer, string? standalone = null) =>
        new("coll", "q", answer, [new Citation(1, "doc", "Doc", 0, "snippet", 0.9f)], new AskTimings(1, 1, 1, 3), StandaloneQuestion: standalone);
}

using OrleansRag.Generation;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Engines;

/// <summary>
/// Answers that hold what was asked for: the question's kind (<see cref="QuestionShape"/>), a chunk's paragraph kinds
/// (<see cref="ChunkLayout"/>), and the extractive generator bringing a list's items, the code after "run this:", the
/// defining sentence and both sides of a comparison, never a heading, caption or signature. Real embeddings.
/// </summary>
[Trait("Category", "Unit")]
public sealed class AnswerShapeTests
{
    private static GeneratedAnswer Generate(string question, params SearchHit[] sources)
    {
        var candidates = ExtractiveGenerator.Candidates(sources);
        var vectors = TestModel.Embed([.. candidates.Select(c => c.Text)]);
        var questionVector = TestModel.Embedder.EmbedBatch([TestModel.Embedder.Tokenize(question, EmbeddingKind.Query)])[0];
        return new ExtractiveGenerator(3, 0.45).Generate(question, questionVector, candidates, vectors);
    }

    private static SearchHit Hit(string id, string text, float score = 0.6f, int chunk = 0) => new(id, chunk, $"{id}#{chunk}", id, text, score);

    [Theory]
    [InlineData("What are the rules of ownership?", QuestionKind.List, null, null, null)]
    [InlineData("Which archive formats does shutil provide?", QuestionKind.List, null, null, null)]
    [InlineData("How do I create a virtual environment?", QuestionKind.Procedure, null, null, null)]
    [InlineData("Which command builds a Cargo project?", QuestionKind.Procedure, null, null, null)]
    [InlineData("What is a lambda expression in Python?", QuestionKind.Definition, "lambda expression", null, null)]
    [InlineData("What is functools.partial() used for?", QuestionKind.Definition, "functools.partial()", null, null)]
    [InlineData("What is the difference between git reset --soft and git reset --hard?", QuestionKind.Comparison, null, "git reset --soft", "git reset --hard")]
    [InlineData("How does a regular property differ from cached_property?", QuestionKind.Comparison, null, "regular property", "cached_property")]
    [InlineData("Should I use Vec vs VecDeque?", QuestionKind.Comparison, null, "Vec", "VecDeque")]
    [InlineData("When was the tower built?", QuestionKind.Fact, null, null, null)]
    public void Questions_are_classified_by_what_they_ask_for(string question, QuestionKind kind, string? term, string? a, string? b)
    {
        var shape = QuestionShape.Of(question);
        Assert.Equal(kind, shape.Kind);
        Assert.Equal(term, shape.Term);
        Assert.Equal(a, shape.SideA);
        Assert.Equal(b, shape.SideB);
    }

    [Theory]
    [InlineData("• Each value has an owner.", ParagraphKind.ListItem)]
    [InlineData("3. The context manager's __enter__() is invoked.", ParagraphKind.ListItem)]
    [InlineData("`$ cargo new hello_cargo`", ParagraphKind.Code)]
    [InlineData("Listing 4-1: A variable and the scope in which it is valid", ParagraphKind.Label)]
    [InlineData("Figure 2. The ownership of a string", ParagraphKind.Label)]
    [InlineData("shutil.which(cmd, mode=os.F_OK | os.X_OK, path=None)¶", ParagraphKind.Label)]
    [InlineData("Storing Keys with Associated Values in Hash Maps", ParagraphKind.Label)]
    [InlineData("--soft", ParagraphKind.Label)]
    [InlineData("The kill command sends a signal to a process.", ParagraphKind.Prose)]
    [InlineData("zip | ZIP file", ParagraphKind.Prose)]
    public void Paragraphs_are_told_apart(string paragraph, ParagraphKind kind) => Assert.Equal(kind, ChunkLayout.KindOf(paragraph));

    [Fact]
    public void A_sentence_that_introduces_a_list_brings_its_items_in_order()
    {
        var answer = Generate("What are the ownership rules?", Hit("ownership",
            "Ownership is a set of rules that govern how a program manages memory.\n\n"
            + "First, let's take a look at the ownership rules. Keep these rules in mind as we work through the examples that illustrate them:\n\n"
            + "• Each value has an owner.\n\n• There can only be one owner at a time.\n\n• When the owner goes out of scope, the value will be dropped.\n\n"
            + "Variable scope is the range within a program for which an item is valid."));
        var items = new[] { "• Each value has an owner.", "• There can only be one owner at a time.", "• When the owner goes out of scope, the value will be dropped." };
        var at = items.Select(i => answer.Answer.IndexOf(i, StringComparison.Ordinal)).ToList();
        Assert.True(at.All(i => i >= 0), answer.Answer);
        Assert.Equal(at.Order(), at);
        Assert.Contains("[1]", answer.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public void A_procedure_brings_the_command_that_does_it()
    {
        var answer = Generate("How do I create a new project with Cargo?", Hit("cargo",
            "Cargo is the Rust build system and package manager.\n\nLet's create a new project using Cargo. Navigate to your projects directory and run the following:\n\n"
            + "`$ cargo new hello_cargo`\n\n`$ cd hello_cargo`\n\nThe first command creates a new directory and project called hello_cargo."));
        Assert.Contains("`$ cargo new hello_cargo`", answer.Answer, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\$ cargo new hello_cargo` \[", answer.Answer); // code is never quoted as a sentence with a marker
    }

    [Fact]
    public void What_is_prefers_the_sentence_that_defines_it_and_the_one_under_its_signature()
    {
        var answer = Generate("What does shutil.which() do?", Hit("shutil",
            "shutil.chown(path, user=None, group=None)¶\n\nChange owner user and/or group of the given path.\n\n"
            + "shutil.which(cmd, mode=os.F_OK | os.X_OK, path=None)¶\n\nReturn the path to an executable which would be run if the given cmd was called.\n\n"
            + "For example, if you call shutil.which(\"python\"), which() will search PATHEXT to know that it should look for python.exe."));
        Assert.Contains("Return the path to an executable", answer.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("¶", answer.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public void A_comparison_brings_both_sides()
    {
        var answer = Generate("What is the difference between git reset --soft and git reset --hard?", Hit("reset",
            "git reset resets the current HEAD to the specified state.\n\n--soft\n\nDoes not touch the index file or the working tree at all, but resets the head to the commit.\n\n"
            + "--mixed\n\nResets the index but not the working tree.\n\n--hard\n\nResets the index and working tree; any changes to tracked files are discarded."));
        Assert.Contains("Does not touch the index file", answer.Answer, StringComparison.Ordinal);
        Assert.Contains("Resets the index and working tree", answer.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public void Captions_headings_and_code_never_stand_as_answers()
    {
        SearchHit[] sources = [Hit("book",
            "Understanding Ownership in Depth and Detail\n\nListing 4-1: A variable and the scope in which it is valid, shown in full here\n\n"
            + "`let s = \"hello\"; // s is valid from this point forward and stays valid until the end`\n\n"
            + "The variable s refers to a string literal, where the value of the string is hardcoded into the text of our program.")];
        Assert.Equal(["The variable s refers to a string literal, where the value of the string is hardcoded into the text of our program."],
            ExtractiveGenerator.Candidates(sources).Select(c => c.Text));
    }
}

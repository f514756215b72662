using System.Diagnostics;
using System.Globalization;
using OrleansRag.Client;

namespace OrleansRag.Bench;

/// <summary>
/// Whether offline (extractive) answers contain what a person asked for: a set of documents and questions, each with
/// the facts a complete answer names (bench/data/answers-dev: 20 HTML pages of a manual, API references, specifications
/// and prose; questions asking for lists, definitions, procedures, comparisons and plain facts). An answer is complete
/// when, for every fact, one of its alternatives appears in the answer's text (case and white space aside, citation
/// markers and code backticks removed). Prints complete answers by question kind and document kind, facts found, how often the right
/// document is cited, and ask latency. Asserts nothing.
/// </summary>
internal static class AnswerQualityBenchmark
{
    private const string Collection = "answers-dev";

    public static async Task RunAsync(string[] args)
    {
        var set = BenchArgs.String(args, "--set") ?? Path.Combine(AppContext.BaseDirectory, "data", "answers-dev");
        var show = BenchArgs.Int(args, "--show", 0);
        var data = AnswerFacts.Load(set);
        var questions = data.Questions;
        var kinds = Kinds(set);
        var docs = data.Documents;
        Console.WriteLine($"set {set}: {docs.Count} documents, {questions.Count} questions, {questions.Sum(q => q.Facts.Length)} facts");

        var host = BenchHost.Build(new Dictionary<string, string?> { ["Query:AnswerCacheEntries"] = "0" });
        await host.StartAsync();
        var rag = BenchHost.Client(host);
        var watch = Stopwatch.StartNew();
        foreach (var doc in docs)
        {
            var name = Path.GetFileName(doc);
            var type = name.EndsWith(".html", StringComparison.Ordinal) ? ContentTypes.Html : ContentTypes.PlainText;
            await using (var stream = File.OpenRead(doc))
            {
                await rag.IngestFileAsync(Collection, name, stream, type);
            }

            var info = await rag.WaitForDocumentAsync(Collection, name, TimeSpan.FromMinutes(10));
            if (info?.Status != DocumentStatus.Ready)
            {
                Console.WriteLine($"  {name}: {info?.Status} {info?.Error}");
            }
        }

        Console.WriteLine($"ingest: {docs.Count} documents in {watch.Elapsed.TotalSeconds:F1} s");

        foreach (var id in (BenchArgs.String(args, "--debug") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var question = questions.Single(q => q.Id == id);
            var found = await rag.SearchAsync(Collection, question.Text, new SearchOptions(Mode: SearchMode.Hybrid));
            Console.WriteLine($"=== {id}: {question.Text} ({QuestionShapeName(question.Text)})");
            foreach (var hit in found!.Hits)
            {
                Console.WriteLine($"  --- {hit.DocumentId} chunk {hit.ChunkIndex} score {hit.Score:F3}\n{hit.Text}");
            }
        }

        var results = new List<(AnswerFacts.Question Question, AskResponse Answer, int Found)>();
        var latencies = new List<double>();
        foreach (var question in questions)
        {
            var asked = Stopwatch.StartNew();
            var answer = (await rag.AskAsync(Collection, question.Text, new SearchOptions(Mode: SearchMode.Hybrid)))!;
            latencies.Add(asked.Elapsed.TotalMilliseconds);
            results.Add((question, answer, AnswerFacts.Found(answer.Answer, question.Facts)));
        }

        static string Line(IEnumerable<(AnswerFacts.Question Question, AskResponse Answer, int Found)> group)
        {
            var list = group.ToList();
            var complete = list.Count(r => r.Found == r.Question.Facts.Length);
            return string.Create(CultureInfo.InvariantCulture, $"{complete,3}/{list.Count,-3} complete ({100.0 * complete / list.Count,5:F1} %), facts {list.Sum(r => r.Found)}/{list.Sum(r => r.Question.Facts.Length)}");
        }

        Console.WriteLine($"all:            {Line(results)}");
        foreach (var group in results.GroupBy(r => r.Question.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {group.Key,-13} {Line(group)}");
        }

        foreach (var group in results.GroupBy(r => kinds.GetValueOrDefault(r.Question.Doc, "?")).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {group.Key,-13} {Line(group)}");
        }

        var offTopic = 0;
        foreach (var question in data.Unanswerable)
        {
            var answer = (await rag.AskAsync(Collection, question, new SearchOptions(Mode: SearchMode.Hybrid)))!;
            offTopic += answer.Citations.Count == 0 ? 1 : 0;
            if (show > 0 && answer.Citations.Count > 0)
            {
                Console.WriteLine($"  off-topic answered: {question} -> {answer.Answer.ReplaceLineEndings(" / ")[..Math.Min(160, answer.Answer.Length)]}");
            }
        }

        Console.WriteLine($"questions no document answers: {offTopic}/{data.Unanswerable.Count} get \"I could not find\"");
        var rightFirst = results.Count(r => r.Answer.Citations.Count > 0 && r.Answer.Citations[0].DocumentId == r.Question.Doc);
        var noAnswer = results.Count(r => r.Answer.Citations.Count == 0);
        latencies.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"right document cited first: {rightFirst}/{results.Count} ({100.0 * rightFirst / results.Count:F1} %); no answer: {noAnswer}; mean answer length {results.Average(r => r.Answer.Answer.Length):F0} characters"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ask latency (extractive, hybrid, cache off, one at a time): p50 {latencies[latencies.Count / 2]:F1} ms, p95 {latencies[(int)(latencies.Count * 0.95)]:F1} ms"));

        var all = args.Contains("--all"); // --show N --all: complete answers too
        foreach (var (question, answer, found) in results.Where(r => all || r.Found < r.Question.Facts.Length).Take(show))
        {
            var missing = question.Facts.Where(f => AnswerFacts.Found(answer.Answer, [f]) == 0).Select(f => f[0]);
            Console.WriteLine($"--- {question.Id} ({question.Kind}, {found}/{question.Facts.Length}): {question.Text}");
            Console.WriteLine($"    missing: {string.Join(" | ", missing)}");
            Console.WriteLine($"    answer:  {(all ? answer.Answer.ReplaceLineEndings("\n             ") : answer.Answer.ReplaceLineEndings(" / "))}");
        }

        await host.StopAsync();
    }

    private static string QuestionShapeName(string question) => OrleansRag.Generation.QuestionShape.Of(question).ToString();

    /// <summary>Each document's kind, from the set's README table (file | kind | …).</summary>
    private static Dictionary<string, string> Kinds(string set)
    {
        var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
        var readme = Path.Combine(set, "README.md");
        if (File.Exists(readme))
        {
            foreach (var row in File.ReadLines(readme).Select(l => l.Split('|', StringSplitOptions.TrimEntries)).Where(c => c.Length > 3 && c[1].Contains('.', StringComparison.Ordinal)))
            {
                kinds[row[1]] = row[2];
            }
        }

        return kinds;
    }
}

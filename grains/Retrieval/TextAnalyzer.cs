using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Util;

namespace OrleansRag.Retrieval;

/// <summary>
/// Lexical terms for BM25, from Lucene's EnglishAnalyzer (standard tokenizer, English possessives, lower-case,
/// stop words, Porter stemming) — the analyzer Anserini's BEIR baselines use.
/// </summary>
public static class TextAnalyzer
{
    private static readonly Analyzer English = new EnglishAnalyzer(LuceneVersion.LUCENE_48);

    public static List<string> Terms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        using var stream = English.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            terms.Add(term.ToString());
        }

        stream.End();
        return terms;
    }
}

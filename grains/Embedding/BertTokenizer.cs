using System.Globalization;
using System.Text;

namespace OrleansRag.Embedding;

/// <summary>
/// HuggingFace's uncased BERT tokenizer (BertNormalizer + BertPreTokenizer + WordPiece), written to match the
/// reference token for token. Microsoft.ML.Tokenizers 2.0.1's BertTokenizer drops ASCII symbols, merges words
/// across tabs/newlines and strips accents depending on globalization settings (dotnet/machinelearning 7724,
/// 7725), so the basic-tokenizer rules and the WordPiece loop live here.
/// </summary>
public sealed class BertTokenizer
{
    private const string ContinuationPrefix = "##";
    private const int MaxCharsPerWord = 100;

    private static readonly string[] SpecialTokens = ["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]"];

    private readonly Dictionary<string, int> _vocab;
    private readonly (string Token, int Id)[] _specials;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public BertTokenizer(IEnumerable<string> vocabularyLines)
    {
        ArgumentNullException.ThrowIfNull(vocabularyLines);
        _vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var line in vocabularyLines)
        {
            var token = line.TrimEnd('\r', '\n');
            if (token.Length > 0)
            {
                _vocab.TryAdd(token, index);
            }

            index++;
        }

        _lookup = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        ClsId = Require("[CLS]");
        SepId = Require("[SEP]");
        UnkId = Require("[UNK]");
        PadId = _vocab.GetValueOrDefault("[PAD]", 0);
        _specials = [.. SpecialTokens.Where(_vocab.ContainsKey).Select(t => (t, _vocab[t]))];
    }

    public int ClsId { get; }

    public int SepId { get; }

    public int UnkId { get; }

    public int PadId { get; }

    /// <summary>Reads a vocab.txt (one token per line, LF or CRLF).</summary>
    public static BertTokenizer FromFile(string vocabPath) => new(File.ReadLines(vocabPath));

    /// <summary>[CLS] pieces [SEP], truncated to <paramref name="maxTokens"/> (the last kept id is [SEP]).</summary>
    public int[] Encode(string text, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        var ids = new List<int>(Math.Min(maxTokens, text.Length / 3 + 4)) { ClsId };
        AppendIds(text, ids, maxTokens - 1);

        if (ids.Count > maxTokens - 1)
        {
            ids.RemoveRange(maxTokens - 1, ids.Count - (maxTokens - 1));
        }

        ids.Add(SepId);
        return [.. ids];
    }

    /// <summary>Number of word pieces in <paramref name="text"/>, without [CLS]/[SEP].</summary>
    public int CountTokens(string text)
    {
        var ids = new List<int>();
        AppendIds(text, ids, int.MaxValue);
        return ids.Count;
    }

    /// <summary>
    /// Special tokens written literally in the text ("[SEP]") are matched on the raw text first, as HuggingFace's
    /// added-vocabulary does; the text between them goes through normalisation, pre-tokenisation and WordPiece.
    /// </summary>
    private void AppendIds(string text, List<int> ids, int stopAt)
    {
        var position = 0;
        while (position <= text.Length && ids.Count < stopAt)
        {
            var (next, special) = NextSpecial(text, position);
            var segment = text[position..next];
            foreach (var word in PreTokenize(Normalize(segment)))
            {
                AppendWordPieces(word, ids);
                if (ids.Count >= stopAt)
                {
                    return;
                }
            }

            if (special < 0)
            {
                return;
            }

            ids.Add(_specials[special].Id);
            position = next + _specials[special].Token.Length;
        }
    }

    private (int Index, int Special) NextSpecial(string text, int from)
    {
        var best = (Index: text.Length, Special: -1);
        for (var i = 0; i < _specials.Length; i++)
        {
            var at = text.IndexOf(_specials[i].Token, from, StringComparison.Ordinal);
            if (at >= 0 && (at < best.Index || at == best.Index && _specials[i].Token.Length > _specials[best.Special].Token.Length))
            {
                best = (at, i);
            }
        }

        return best;
    }

    /// <summary>BertNormalizer: clean text, pad CJK ideographs, strip accents (NFD, drop Mn), lower-case.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cleaned = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (value == 0 || value == 0xFFFD || IsControl(rune))
            {
                continue;
            }

            if (IsWhitespace(rune))
            {
                cleaned.Append(' ');
            }
            else if (IsCjk(value))
            {
                cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            }
            else
            {
                cleaned.Append(rune.ToString());
            }
        }

        var decomposed = cleaned.ToString().Normalize(NormalizationForm.FormD);
        var result = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            result.Append(Rune.ToLowerInvariant(rune).ToString());
        }

        return result.ToString();
    }

    /// <summary>BertPreTokenizer: split on whitespace, and isolate every punctuation character.</summary>
    public static IEnumerable<string> PreTokenize(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var word = new StringBuilder();
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (IsWhitespace(rune))
            {
                if (word.Length > 0)
                {
                    yield return word.ToString();
                    word.Clear();
                }
            }
            else if (IsPunctuation(rune))
            {
                if (word.Length > 0)
                {
                    yield return word.ToString();
                    word.Clear();
                }

                yield return rune.ToString();
            }
            else
            {
                word.Append(rune.ToString());
            }
        }

        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    private void AppendWordPieces(string word, List<int> ids)
    {
        // Greedy longest-match-first over Unicode scalar values, as HuggingFace's WordPiece model does.
        var runeCount = 0;
        foreach (var _ in word.EnumerateRunes())
        {
            runeCount++;
        }

        if (runeCount > MaxCharsPerWord)
        {
            ids.Add(UnkId);
            return;
        }

        var start = ids.Count;
        var position = 0;
        Span<char> buffer = stackalloc char[word.Length + ContinuationPrefix.Length];
        while (position < word.Length)
        {
            var end = word.Length;
            var found = -1;
            while (end > position)
            {
                var piece = word.AsSpan(position, end - position);
                scoped ReadOnlySpan<char> key = piece;
                if (position > 0)
                {
                    ContinuationPrefix.AsSpan().CopyTo(buffer);
                    piece.CopyTo(buffer[ContinuationPrefix.Length..]);
                    key = buffer[..(piece.Length + ContinuationPrefix.Length)];
                }

                if (_lookup.TryGetValue(key, out var id))
                {
                    found = id;
                    break;
                }

                end--;
                if (end > position && char.IsLowSurrogate(word[end]))
                {
                    end--; // never split a surrogate pair
                }
            }

            if (found < 0)
            {
                ids.RemoveRange(start, ids.Count - start);
                ids.Add(UnkId);
                return;
            }

            ids.Add(found);
            position = end;
        }
    }

    private int Require(string token) =>
        _vocab.TryGetValue(token, out var id) ? id : throw new InvalidDataException($"The vocabulary has no {token} token.");

    private static bool IsWhitespace(Rune rune) =>
        rune.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune);

    private static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
        {
            return false;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
    }

    private static bool IsPunctuation(Rune rune)
    {
        var v = rune.Value;
        if (v is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126)
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF
            or >= 0x3400 and <= 0x4DBF
            or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F
            or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF
            or >= 0x2F800 and <= 0x2FA1F;
}

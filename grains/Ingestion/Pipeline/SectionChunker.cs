using OrleansRag.Embedding;

namespace OrleansRag.Ingestion.Pipeline;

/// <summary>How to cut a document: the tokenizer that counts, the budget per chunk (0 = the whole document) and the overlap.</summary>
public sealed record class ChunkingPlan(BertTokenizer Tokenizer, int MaxTokens, int OverlapTokens);

/// <summary>The chunk stage.</summary>
public interface IDocumentChunker
{
    /// <summary>The chunks of a document in order, numbered from 0.</summary>
    IEnumerable<TextChunk> Chunk(ExtractedDocument document, ChunkingPlan plan, CancellationToken cancellationToken);
}

/// <summary>
/// Cuts each section (a heading and the blocks up to the next heading; for paged formats also a page) with
/// the token-aware <see cref="TextChunker"/>, so no chunk runs across a heading or a page break and a
/// citation can name the page its text is on. Each chunk names the heading of its section: the nearest heading
/// above it (a title over a subtitle reads "Title › Subtitle"; a section cut by a page break keeps its heading).
/// </summary>
public sealed class SectionChunker : IDocumentChunker
{
    public IEnumerable<TextChunk> Chunk(ExtractedDocument document, ChunkingPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.MaxTokens == 0)
        {
            // The whole document as one chunk (the embedder truncates it at the model's limit; BM25 sees all of it).
            var text = document.PlainText;
            var pages = document.Blocks.Where(b => b.Page is not null).Select(b => b.Page!.Value).ToList();
            yield return new TextChunk(0, text, plan.Tokenizer.CountTokens(text), pages.Count > 0 ? pages.Min() : null, pages.Count > 0 ? pages.Max() : null);
            yield break;
        }

        var chunker = new TextChunker(plan.Tokenizer);
        var next = 0;
        string? heading = null;
        foreach (var section in Sections(document.Blocks))
        {
            cancellationToken.ThrowIfCancellationRequested();
            heading = Heading(section) ?? heading;
            foreach (var chunk in chunker.Chunk(section.Select(b => new PagedParagraph(b.Text, b.Page)), plan.MaxTokens, plan.OverlapTokens, next))
            {
                next = chunk.Index + 1;
                yield return chunk with { Section = heading };
            }
        }
    }

    /// <summary>The headings a section opens with, joined; null when it opens with text (it continues the one before).</summary>
    private static string? Heading(List<TextBlock> section)
    {
        var headings = section.TakeWhile(b => b.Kind == BlockKind.Heading).Select(b => b.Text.Trim()).Where(t => t.Length > 0).ToList();
        return headings.Count == 0 ? null : string.Join(" › ", headings);
    }

    private static IEnumerable<List<TextBlock>> Sections(IReadOnlyList<TextBlock> blocks)
    {
        var section = new List<TextBlock>();
        foreach (var block in blocks)
        {
            // A heading starts a section, unless the section so far holds only headings (a title over a subtitle);
            // so does a new page.
            if (block.Kind == BlockKind.Heading && section.Any(b => b.Kind != BlockKind.Heading)
                || section.Count > 0 && block.Page != section[^1].Page)
            {
                yield return section;
                section = [];
            }

            section.Add(block);
        }

        if (section.Count > 0)
        {
            yield return section;
        }
    }
}

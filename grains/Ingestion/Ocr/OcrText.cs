using System.Buffers.Binary;
using System.Text;

namespace OrleansRag.Ingestion.Ocr;

/// <summary>Text as OCR gives it, made into paragraphs; and the page count of image files.</summary>
public static class OcrText
{
    /// <summary>
    /// Paragraphs (separated by a blank line) from OCR output, whose lines are wrapped as they were on the page: the lines
    /// of a paragraph joined by a space, a word hyphenated across lines ("recog-" + "nised") joined whole.
    /// </summary>
    public static string Paragraphs(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var paragraphs = new List<string>();
        var current = new StringBuilder();
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                Flush();
                continue;
            }

            if (current.Length > 0)
            {
                var hyphenated = current.Length > 1 && current[^1] == '-' && char.IsLetter(current[^2]) && char.IsLower(line[0]);
                if (hyphenated)
                {
                    current.Length--;
                }
                else
                {
                    current.Append(' ');
                }
            }

            current.Append(line);
        }

        Flush();
        return string.Join("\n\n", paragraphs);

        void Flush()
        {
            if (current.Length > 0)
            {
                paragraphs.Add(current.ToString());
                current.Clear();
            }
        }
    }

    /// <summary>
    /// The pages of a TIFF (its chain of image file directories, at most <paramref name="limit"/> + 1 counted); 1 for other
    /// images; throws <see cref="DocumentRejectedException"/> for a TIFF whose chain is broken or loops.
    /// </summary>
    public static int CountPages(ReadOnlySpan<byte> image, string contentType, int limit)
    {
        if (contentType != ContentTypes.Tiff)
        {
            return 1;
        }

        var little = image.Length >= 8 && image[0] == (byte)'I';
        uint Read32(ReadOnlySpan<byte> at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(at) : BinaryPrimitives.ReadUInt32BigEndian(at);
        ushort Read16(ReadOnlySpan<byte> at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(at) : BinaryPrimitives.ReadUInt16BigEndian(at);
        var pages = 0;
        var offset = (long)Read32(image[4..]);
        var seen = new HashSet<long>();
        while (offset != 0 && pages <= limit)
        {
            if (offset + 2 > image.Length || !seen.Add(offset))
            {
                throw new DocumentRejectedException("The TIFF is damaged: its list of pages points outside the file or in a circle.");
            }

            var entries = Read16(image[(int)offset..]);
            var next = offset + 2 + (entries * 12L);
            if (next + 4 > image.Length)
            {
                throw new DocumentRejectedException("The TIFF is damaged: a page's directory runs past the end of the file.");
            }

            pages++;
            offset = Read32(image[(int)next..]);
        }

        return pages;
    }
}

using System.Buffers.Binary;
using System.Text;

namespace OrleansRag.Ingestion.Ocr;

/// <summary>Text as OCR gives it, made into paragraphs; and the pages and size of image files.</summary>
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
    /// The pages of an image file and the pixels of its largest page, from its headers alone (nothing decoded): a TIFF's
    /// chain of image file directories (at most <paramref name="limit"/> + 1 counted) with their width and height tags,
    /// a PNG's IHDR, a JPEG's start-of-frame. Throws <see cref="DocumentRejectedException"/> for headers that are damaged.
    /// </summary>
    public static (int Pages, long Pixels) Measure(ReadOnlySpan<byte> image, string contentType, int limit) => contentType switch
    {
        ContentTypes.Tiff => MeasureTiff(image, limit),
        ContentTypes.Png => image.Length >= 24 ? (1, (long)BinaryPrimitives.ReadUInt32BigEndian(image[16..]) * BinaryPrimitives.ReadUInt32BigEndian(image[20..]))
            : throw new DocumentRejectedException("The PNG is damaged: it ends before its header (IHDR)."),
        ContentTypes.Jpeg => (1, JpegPixels(image)),
        _ => (1, 0),
    };

    private static (int Pages, long Pixels) MeasureTiff(ReadOnlySpan<byte> image, int limit)
    {
        if (image.Length < 8)
        {
            throw new DocumentRejectedException("The TIFF is damaged: it ends before its header.");
        }

        var little = image[0] == (byte)'I';
        uint Read32(ReadOnlySpan<byte> at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(at) : BinaryPrimitives.ReadUInt32BigEndian(at);
        ushort Read16(ReadOnlySpan<byte> at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(at) : BinaryPrimitives.ReadUInt16BigEndian(at);
        var pages = 0;
        var largest = 0L;
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

            long width = 0, height = 0;
            for (var entry = offset + 2; entry < next; entry += 12)
            {
                var at = image[(int)entry..];
                var tag = Read16(at);
                var value = Read16(at[2..]) == 3 ? Read16(at[8..]) : Read32(at[8..]); // SHORT or LONG
                width = tag == 256 ? value : width;
                height = tag == 257 ? value : height;
            }

            largest = Math.Max(largest, width * height);
            pages++;
            offset = Read32(image[(int)next..]);
        }

        return (pages, largest);
    }

    /// <summary>Width x height from a JPEG's start-of-frame marker (SOF0-SOF15 but DHT, JPG and DAC); 0 when none comes before the data.</summary>
    private static long JpegPixels(ReadOnlySpan<byte> image)
    {
        var at = 2;
        while (at + 9 < image.Length && image[at] == 0xFF)
        {
            var marker = image[at + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(image[(at + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return (long)BinaryPrimitives.ReadUInt16BigEndian(image[(at + 5)..]) * BinaryPrimitives.ReadUInt16BigEndian(image[(at + 7)..]);
            }

            if (marker == 0xDA || length < 2)
            {
                break; // the image data starts (or a damaged length): no frame header before it
            }

            at += 2 + length;
        }

        return 0;
    }
}

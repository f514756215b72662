using System.Text;
using System.Text.Unicode;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// Decides whether bytes sent as a text format are text: UTF-8 (or UTF-16 with a byte-order mark), no NUL
/// bytes, hardly any control characters, and not the signature of a known binary format.
/// </summary>
public static class TextContent
{
    private static readonly (byte[] Signature, string Format)[] BinarySignatures =
    [
        ("%PDF-"u8.ToArray(), "a PDF (send it as application/pdf)"),
        ([0x50, 0x4B, 0x03, 0x04], "a ZIP container such as DOCX (send a .docx as " + ContentTypes.Docx + ")"),
        ([0x89, 0x50, 0x4E, 0x47], "a PNG image"),
        ("GIF8"u8.ToArray(), "a GIF image"),
        ([0xFF, 0xD8, 0xFF], "a JPEG image"),
        ([0x1F, 0x8B], "gzip-compressed data"),
        ([0xD0, 0xCF, 0x11, 0xE0], "a legacy Office file (.doc/.xls)"),
        ([0x7F, 0x45, 0x4C, 0x46], "an executable"),
    ];

    /// <summary>Throws <see cref="DocumentRejectedException"/> unless <paramref name="content"/> is text.</summary>
    public static void Check(ReadOnlySpan<byte> content, string contentType)
    {
        foreach (var (signature, format) in BinarySignatures)
        {
            if (content.StartsWith(signature))
            {
                throw new DocumentRejectedException($"The body was sent as {contentType} but is {format}.");
            }
        }

        if (HasUtf16Bom(content))
        {
            return;
        }

        if (content.IndexOf((byte)0) is var nul and >= 0)
        {
            throw new DocumentRejectedException($"The body was sent as {contentType} but holds binary data (a NUL byte at offset {nul}); send text, or the file with its own content type.");
        }

        if (!Utf8.IsValid(content))
        {
            throw new DocumentRejectedException($"The body was sent as {contentType} but is not valid UTF-8 text.");
        }

        var controls = 0;
        foreach (var b in content)
        {
            if (b < 0x20 && b is not (byte)'\n' and not (byte)'\r' and not (byte)'\t' and not 0x0C)
            {
                controls++;
            }
        }

        if (controls > 16 && controls > content.Length / 200)
        {
            throw new DocumentRejectedException($"The body was sent as {contentType} but {controls} of its {content.Length} bytes are control characters: it is not text.");
        }
    }

    /// <summary>The text, decoded from UTF-8 or BOM-marked UTF-16, without a leading byte-order mark.</summary>
    public static string Decode(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith(stackalloc byte[] { 0xFF, 0xFE }))
        {
            return Encoding.Unicode.GetString(content[2..]);
        }

        if (content.StartsWith(stackalloc byte[] { 0xFE, 0xFF }))
        {
            return Encoding.BigEndianUnicode.GetString(content[2..]);
        }

        return Encoding.UTF8.GetString(content.StartsWith(stackalloc byte[] { 0xEF, 0xBB, 0xBF }) ? content[3..] : content);
    }

    private static bool HasUtf16Bom(ReadOnlySpan<byte> content) =>
        content.Length >= 2 && (content[0] == 0xFF && content[1] == 0xFE || content[0] == 0xFE && content[1] == 0xFF);
}

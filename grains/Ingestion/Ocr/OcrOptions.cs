using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace OrleansRag.Ingestion.Ocr;

/// <summary>
/// Configuration section "Ocr": reading scanned pages (PDF pages without a text layer, and uploaded images) with
/// Tesseract, PDF pages rendered by pdftoppm (Debian: <c>tesseract-ocr</c>, <c>tesseract-ocr-eng</c>, <c>poppler-utils</c>).
/// </summary>
public sealed partial class OcrOptions : IValidatableObject
{
    public const string SectionName = "Ocr";

    /// <summary>
    /// Null (the default): on when the programs and the language's data are found at start. True: the silo refuses to
    /// start without them. False: off; scanned PDFs and images are refused with a reason that says how to turn it on.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>Tesseract's language(s), e.g. "eng" or "eng+deu" (each needs its tesseract-ocr-LANG package).</summary>
    public string Language { get; set; } = "eng";

    /// <summary>How long one page (rendering plus recognition) may take before that document fails with the reason.</summary>
    public TimeSpan PageTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The resolution PDF pages are rendered at for recognition, for an A4 page (300 is Tesseract's sweet spot): every page
    /// is scaled to the long side an A4 page has at it, so a page that declares itself huge costs no more.
    /// </summary>
    [Range(72, 600)]
    public int Dpi { get; set; } = 300;

    /// <summary>Pages recognised at once on a silo, and per document (each a Tesseract process on one thread); 0 = half the cores, at least 1.</summary>
    [Range(0, 64)]
    public int MaxParallelPages { get; set; }

    /// <summary>The most scanned pages one document may have recognised (a 2,000-page scan takes hours on two cores).</summary>
    [Range(1, 100_000)]
    public int MaxPages { get; set; } = 500;

    /// <summary>The most pixels an uploaded image (its largest page) may have: 100 million is a 10,000 x 10,000 scan.</summary>
    [Range(1_000_000, 1_000_000_000)]
    public long MaxImagePixels { get; set; } = 100_000_000;

    /// <summary>The tesseract program (a name looked up on PATH, or a path).</summary>
    public string TesseractPath { get; set; } = "tesseract";

    /// <summary>The pdftoppm program (a name looked up on PATH, or a path).</summary>
    public string PdftoppmPath { get; set; } = "pdftoppm";

    /// <summary>Pages recognised at once: <see cref="MaxParallelPages"/>, or half the cores (at least 1).</summary>
    public int Parallelism => MaxParallelPages > 0 ? MaxParallelPages : Math.Max(1, Environment.ProcessorCount / 2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!LanguagePattern().IsMatch(Language ?? ""))
        {
            yield return new ValidationResult($"Ocr:Language must be Tesseract language codes joined by '+', e.g. 'eng' or 'eng+deu'; it was '{Language}'.", [nameof(Language)]);
        }

        if (PageTimeout < TimeSpan.FromSeconds(1) || PageTimeout > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult($"Ocr:PageTimeout must be between 00:00:01 and 01:00:00; it was {PageTimeout}.", [nameof(PageTimeout)]);
        }

        if (string.IsNullOrWhiteSpace(TesseractPath) || string.IsNullOrWhiteSpace(PdftoppmPath))
        {
            yield return new ValidationResult("Ocr:TesseractPath and Ocr:PdftoppmPath must name the programs.", [nameof(TesseractPath)]);
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*(\\+[A-Za-z][A-Za-z0-9_]*)*$")]
    private static partial Regex LanguagePattern();
}

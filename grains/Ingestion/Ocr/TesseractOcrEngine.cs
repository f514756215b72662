using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansRag.Ingestion.Ocr;

/// <summary>
/// OCR with Tesseract, one process per PDF page on one thread (<c>OMP_THREAD_LIMIT=1</c>), at most
/// <see cref="OcrOptions.Parallelism"/> pages at once on the silo (and per document, so a long scan does not queue ahead
/// of everything else); PDF pages rendered to grey PNG by pdftoppm first, the long side at <see cref="OcrOptions.Dpi"/>
/// for an A4 page whatever size the page declares (a bound on the pixels). Each PDF page (rendering and recognition) is
/// bounded by <see cref="OcrOptions.PageTimeout"/>; an image file is one Tesseract run (every page of a TIFF), bounded by
/// the timeout times its pages, at most 30 of them. The first page that fails stops the document's other pages. Whether the programs and
/// the language data are here is found when the host starts: with <see cref="OcrOptions.Enabled"/> true and
/// something missing, the host does not start; unset, OCR is simply off and says how to turn it on.
/// </summary>
public sealed partial class TesseractOcrEngine : IOcrEngine, IHostedService, IDisposable
{
    private const string HowToEnable =
        "install Tesseract and poppler (Debian: apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils) or set Ocr:TesseractPath and Ocr:PdftoppmPath, then restart the silo";

    private static readonly Dictionary<string, string> OneThread = new(StringComparer.Ordinal) { ["OMP_THREAD_LIMIT"] = "1" };

    private readonly OcrOptions _options;
    private readonly ILogger<TesseractOcrEngine> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly TaskCompletionSource _checked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _unavailable = "OCR has not been checked yet (the host has not started).";
    private string _description = "tesseract";
    private string _tesseract;
    private string _pdftoppm;

    public TesseractOcrEngine(IOptions<OcrOptions> options, ILogger<TesseractOcrEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.Parallelism);
        _tesseract = _options.TesseractPath;
        _pdftoppm = _options.PdftoppmPath;
    }

    public Task Checked => _checked.Task;

    public string? Unavailable => _unavailable;

    public string Description => _description;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _checked.TrySetResult();
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled == false)
        {
            _unavailable = "OCR is turned off on this silo (Ocr:Enabled is false); to read scanned pages, leave Ocr:Enabled unset or set it to true, with Tesseract and poppler installed.";
            LogOff(_unavailable);
            return;
        }

        var missing = await ProbeAsync(cancellationToken).ConfigureAwait(false);
        if (missing is null)
        {
            _unavailable = null;
            LogOn(_description, _options.Parallelism);
            return;
        }

        if (_options.Enabled == true)
        {
            throw new OptionsValidationException(OcrOptions.SectionName, typeof(OcrOptions), [$"Ocr:Enabled is true but {missing}: {HowToEnable}."]);
        }

        _unavailable = $"OCR is off on this silo because {missing}; to read scanned pages, {HowToEnable}.";
        LogOff(_unavailable);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<IReadOnlyList<string>> ReadImageAsync(ReadOnlyMemory<byte> image, int pages, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        var folder = Directory.CreateTempSubdirectory("orleansrag-ocr-");
        try
        {
            var input = Path.Combine(folder.FullName, "image");
            await File.WriteAllBytesAsync(input, image, cancellationToken).ConfigureAwait(false);
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var text = await RecognizeAsync(input, _options.PageTimeout * Math.Clamp(pages, 1, 30), cancellationToken).ConfigureAwait(false);
                var read = text.Split('\f').ToList(); // pages of a TIFF are separated by a form feed (and one may end the last)
                if (read.Count > 1 && string.IsNullOrWhiteSpace(read[^1]))
                {
                    read.RemoveAt(read.Count - 1);
                }

                return [.. read.Select(OcrText.Paragraphs)];
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Remove(folder);
        }
    }

    public async Task<IReadOnlyList<string>> ReadPdfPagesAsync(ReadOnlyMemory<byte> pdf, IReadOnlyList<int> pages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pages);
        ThrowIfUnavailable();
        var folder = Directory.CreateTempSubdirectory("orleansrag-ocr-");
        try
        {
            var input = Path.Combine(folder.FullName, "document.pdf");
            await File.WriteAllBytesAsync(input, pdf, cancellationToken).ConfigureAwait(false);
            var texts = new string[pages.Count];

            // Parallel.ForEachAsync stops starting pages at the first failure and rethrows it.
            await Parallel.ForEachAsync(Enumerable.Range(0, pages.Count), new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken },
                async (i, token) => texts[i] = await ReadPdfPageAsync(input, pages[i], token).ConfigureAwait(false)).ConfigureAwait(false);
            return texts;
        }
        finally
        {
            Remove(folder);
        }
    }

    /// <summary>Deletes a temporary folder; a file still held (a process being reaped) is left to the system's clean-up.</summary>
    private static void Remove(DirectoryInfo folder)
    {
        try
        {
            folder.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Dispose() => _slots.Dispose();

    private async Task<string> ReadPdfPageAsync(string pdf, int page, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var started = TimeProvider.System.GetTimestamp();
            var number = page.ToString(CultureInfo.InvariantCulture);
            var prefix = Path.Combine(Path.GetDirectoryName(pdf)!, "page-" + number);
            var longSide = (int)Math.Round(_options.Dpi * 11.69); // an A4 page's long side at Ocr:Dpi; every page is scaled to it
            var rendered = await RunAsync(_pdftoppm, ["-scale-to", longSide.ToString(CultureInfo.InvariantCulture), "-gray", "-png", "-f", number, "-l", number, "-singlefile", pdf, prefix],
                _options.PageTimeout, $"rendering page {page}", cancellationToken).ConfigureAwait(false);
            if (rendered.ExitCode != 0 || !File.Exists(prefix + ".png"))
            {
                throw new DocumentRejectedException($"Page {page} of the PDF could not be rendered for OCR (pdftoppm exit code {rendered.ExitCode}): {rendered.ErrorTail}");
            }

            try
            {
                var left = _options.PageTimeout - TimeProvider.System.GetElapsedTime(started);
                return OcrText.Paragraphs(await RecognizeAsync(prefix + ".png", left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false));
            }
            finally
            {
                File.Delete(prefix + ".png");
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Tesseract over one image file (every page of it), its text on standard output.</summary>
    private async Task<string> RecognizeAsync(string image, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await RunAsync(_tesseract, [image, "stdout", "-l", _options.Language, "--psm", "3"], timeout, "recognising text", cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new DocumentRejectedException($"OCR could not read the image (tesseract exit code {result.ExitCode}): {result.ErrorTail}");
        }

        return result.Output;
    }

    private static async Task<ProgramResult> RunAsync(string program, string[] arguments, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await ExternalProgram.RunAsync(program, arguments, timeout, cancellationToken, OneThread).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"OCR stopped {what}: {program} is not there any more (it was when the silo started); the document is tried again later.");
        }
        catch (TimeoutException exception)
        {
            throw new DocumentRejectedException($"OCR gave up {what} after {timeout.TotalSeconds:F0} s (Ocr:PageTimeout); a page this dense or large needs a longer timeout.", exception);
        }
    }

    private void ThrowIfUnavailable()
    {
        if (_unavailable is { } reason)
        {
            throw new DocumentRejectedException(reason);
        }
    }

    /// <summary>Null when both programs run and know every language; otherwise what is missing.</summary>
    private async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ProbeProgramsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException exception)
        {
            return exception.Message.TrimEnd('.'); // "tesseract did not finish within 30 s"
        }
    }

    private async Task<string?> ProbeProgramsAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(30);
        _tesseract = OnPath(_options.TesseractPath);
        _pdftoppm = OnPath(_options.PdftoppmPath);
        var version = await ExternalProgram.RunAsync(_tesseract, ["--version"], timeout, cancellationToken).ConfigureAwait(false);
        if (version is null || version.ExitCode != 0)
        {
            return $"'{_options.TesseractPath}' (Tesseract) was not found";
        }

        var languages = await ExternalProgram.RunAsync(_tesseract, ["--list-langs"], timeout, cancellationToken).ConfigureAwait(false);
        var installed = (languages?.Output ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToHashSet(StringComparer.Ordinal);
        var absent = _options.Language.Split('+').Where(language => !installed.Contains(language)).ToList();
        if (absent.Count > 0)
        {
            return $"Tesseract has no data for {string.Join(", ", absent)} (Ocr:Language; Debian: tesseract-ocr-{absent[0]})";
        }

        var poppler = await ExternalProgram.RunAsync(_pdftoppm, ["-v"], timeout, cancellationToken).ConfigureAwait(false);
        if (poppler is null || poppler.ExitCode != 0)
        {
            return $"'{_options.PdftoppmPath}' (poppler) was not found";
        }

        var tesseract = (version.Output + version.Error).Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault(line => line.StartsWith("tesseract", StringComparison.Ordinal)) ?? "tesseract";
        _description = $"{tesseract} ({_options.Language})";
        return null;
    }

    /// <summary>
    /// A bare program name as the file PATH finds (.NET would look in the application's and the working folder first, so
    /// a file named like it there would run instead); a name with a folder as it is.
    /// </summary>
    private static string OnPath(string program) =>
        program.Contains('/', StringComparison.Ordinal) ? program
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists) ?? program;

    [LoggerMessage(Level = LogLevel.Information, Message = "OCR on: {Engine}, {Parallelism} page(s) at once")]
    private partial void LogOn(string engine, int parallelism);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Reason}")]
    private partial void LogOff(string reason);
}

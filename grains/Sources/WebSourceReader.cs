using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using AngleSharp.Html.Parser;

namespace OrleansRag.Sources;

/// <summary>
/// A web site: the pages its sitemap lists (a sitemap index followed, a page's lastmod as its version, so an unchanged
/// page is not even fetched), or the pages reached by links from a start page (each fetched, its content's hash as its
/// version). Only the source's own scheme, host and port are ever contacted: links and redirects elsewhere are not
/// followed, and every connection is checked at the socket, where a host name that resolves to a loopback, private or
/// link-local address is refused unless <see cref="SourceOptions.AllowPrivateNetworks"/>. robots.txt is honoured for
/// <see cref="SourceOptions.UserAgent"/>, and at most <c>maxPages</c> pages are listed.
/// </summary>
public sealed class WebSourceReader : ISourceReader
{
    private const int MaxSitemaps = 50;
    private const long MaxCachedBytes = 64L * 1024 * 1024;
    private const int MaxRedirects = 5;

    private readonly Uri _site;
    private readonly Uri? _start;
    private readonly Uri? _sitemap;
    private readonly int _maxPages;
    private readonly long _maxBytes;
    private readonly string _userAgent;
    private readonly HttpClient _http;
    private readonly Dictionary<string, (byte[] Content, string ContentType)> _fetched = new(StringComparer.Ordinal);
    private long _cachedBytes;
    private RobotsRules? _robots;

    public bool Truncated { get; private set; }

    private WebSourceReader(Uri site, Uri? start, Uri? sitemap, int maxPages, long maxBytes, SourceOptions options)
    {
        _site = site;
        _start = start;
        _sitemap = sitemap;
        _maxPages = maxPages;
        _maxBytes = maxBytes;
        _userAgent = options.UserAgent;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // each redirect is looked at: only to the same site
            UseCookies = false,
            UseProxy = false, // a proxy would connect on our behalf, past the address check
            AutomaticDecompression = DecompressionMethods.All,
            ConnectCallback = (context, token) => ConnectAsync(site, options.AllowPrivateNetworks, context, token),
        };
        _http = new HttpClient(handler) { Timeout = options.RequestTimeout };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue(options.UserAgent, "1.0"));
    }

    /// <summary>The reader of a web source; <see cref="SourceRefusedException"/> when its addresses are not usable.</summary>
    public static WebSourceReader Open(SourceSettings settings, SourceOptions options, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var start = settings.Url is null ? null : Absolute(settings.Url, "url");
        var sitemap = settings.Sitemap is null ? null : Absolute(settings.Sitemap, "sitemap");
        var site = start ?? sitemap ?? throw new SourceRefusedException("A web source needs url (a start page) or sitemap.");
        if (start is not null && sitemap is not null && !SameSite(start, sitemap))
        {
            throw new SourceRefusedException("url and sitemap must be on the same site (scheme, host and port).");
        }

        return new WebSourceReader(new Uri(site.GetLeftPart(UriPartial.Authority) + "/"), start, sitemap,
            Math.Min(settings.MaxPages ?? options.DefaultMaxPages, options.MaxFiles), maxBytes, options);
    }

    /// <summary>An absolute http(s) URL without user info, or the reason it is not.</summary>
    public static Uri Absolute(string value, string field)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new SourceRefusedException($"{field} must be an absolute http or https URL; it was '{RagValidation.Truncate(value)}'.");
        }

        if (uri.UserInfo.Length > 0)
        {
            throw new SourceRefusedException($"{field} must not carry a user name or password.");
        }

        return uri;
    }

    private static bool SameSite(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>
    /// Opens the socket for a request, only to the source's own host and, unless allowed, only to public addresses (the
    /// name is resolved here, so what is checked is what is connected to).
    /// </summary>
    private static async ValueTask<Stream> ConnectAsync(Uri site, bool allowPrivate, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        if (!string.Equals(host, site.IdnHost, StringComparison.OrdinalIgnoreCase) || context.DnsEndPoint.Port != site.Port)
        {
            throw new SourceRefusedException($"A web source only connects to its own site ({site.Authority}); '{host}:{context.DnsEndPoint.Port}' was refused.");
        }

        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var usable = allowPrivate ? addresses : [.. addresses.Where(PublicAddresses.IsPublic)];
        if (usable.Length == 0)
        {
            throw new SourceRefusedException(
                $"'{host}' resolves to a loopback, private or link-local address ({string.Join(", ", addresses.Select(a => a.ToString()))}); web sources may reach only public addresses unless Sources:AllowPrivateNetworks is true.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(usable, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async IAsyncEnumerable<SourceEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _robots = await RobotsAsync(cancellationToken);
        var listed = 0;
        if (_sitemap is not null)
        {
            await foreach (var entry in SitemapAsync(cancellationToken))
            {
                if (listed++ >= _maxPages)
                {
                    Truncated = true; // pages past the limit are neither added nor, if they were before, removed
                    yield break;
                }

                yield return entry;
            }

            yield break;
        }

        var queue = new Queue<Uri>([Normalize(_start!)]);
        var seen = new HashSet<string>(StringComparer.Ordinal) { Normalize(_start!).AbsoluteUri };
        var fetches = 0;
        while (queue.Count > 0)
        {
            if (listed >= _maxPages || fetches >= _maxPages * 2)
            {
                Truncated = true;
                yield break;
            }

            var page = queue.Dequeue();
            if (!_robots.IsAllowed(page.PathAndQuery))
            {
                continue;
            }

            fetches++;
            var fetched = await FetchListedAsync(page, cancellationToken);
            if (fetched is null)
            {
                continue; // a dead link, or a redirect off the site
            }

            var (final, content, contentType) = fetched.Value;
            if (final.AbsoluteUri != page.AbsoluteUri && !seen.Add(final.AbsoluteUri))
            {
                continue; // redirected to a page already listed
            }

            var type = ContentTypes.Find(contentType)?.MediaType;
            Keep(final, content, type);
            listed++;
            yield return new SourceEntry(PathOf(final), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content)), type, content.Length, final);
            if (type == ContentTypes.Html)
            {
                foreach (var link in Links(final, content))
                {
                    if (seen.Add(link.AbsoluteUri))
                    {
                        queue.Enqueue(link);
                    }
                }
            }
        }
    }

    public async Task<SourceContent> ReadAsync(SourceEntry entry, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var url = entry.Url ?? throw new SourceFileException($"'{entry.Path}' has no address.");
        if (_fetched.Remove(url.AbsoluteUri, out var kept))
        {
            _cachedBytes -= kept.Content.Length;
            return new SourceContent(kept.Content, kept.ContentType);
        }

        var fetched = await FetchAsync(url, cancellationToken) ?? throw new SourceFileException($"{url} is not there any more (or moved off the site).");
        var type = ContentTypes.Find(fetched.ContentType)?.MediaType
            ?? throw new SourceFileException($"{url} is {fetched.ContentType}, not a format OrleansRag reads.");
        return fetched.Content.Length > maxBytes ? throw SourceFileException.TooLarge(entry.Path, fetched.Content.Length, maxBytes) : new SourceContent(fetched.Content, type);
    }

    private void Keep(Uri url, byte[] content, string? type)
    {
        if (type is not null && _cachedBytes + content.Length <= MaxCachedBytes)
        {
            _fetched[url.AbsoluteUri] = (content, type);
            _cachedBytes += content.Length;
        }
    }

    /// <summary>The path a page is known by: its URL's path and query on the site ("index" for the site's root).</summary>
    private static string PathOf(Uri url) => url.PathAndQuery.TrimStart('/') is { Length: > 0 } path ? path : "index";

    private static Uri Normalize(Uri url) => new UriBuilder(url) { Fragment = "" }.Uri;

    private async Task<RobotsRules> RobotsAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new Uri(_site, "/robots.txt"), cancellationToken);
        if (response.StatusCode is >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests)
        {
            // RFC 9309: an unreachable robots.txt puts the whole site off limits for now. The sync fails (nothing is
            // deleted on its account) and the next one tries again.
            throw new HttpRequestException($"{new Uri(_site, "/robots.txt")} answered {(int)response.StatusCode}: the site is off limits until it answers.", null, response.StatusCode);
        }

        return response.IsSuccessStatusCode
            ? RobotsRules.Parse(Encoding.UTF8.GetString(await ReadLimitedAsync(response, 512 * 1024, cancellationToken)), _userAgent)
            : RobotsRules.AllowAll; // 4xx: no rules
    }

    private async IAsyncEnumerable<SourceEntry> SitemapAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sitemaps = new Queue<Uri>([_sitemap!]);
        var read = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (sitemaps.Count > 0)
        {
            if (read++ >= MaxSitemaps)
            {
                Truncated = true;
                yield break;
            }

            var url = sitemaps.Dequeue();
            var fetched = await FetchAsync(url, cancellationToken)
                ?? throw new InvalidOperationException($"The sitemap {url} could not be fetched (not found, or it moved off the site).");
            XDocument xml;
            try
            {
                xml = XDocument.Parse(Encoding.UTF8.GetString(fetched.Content));
            }
            catch (System.Xml.XmlException exception)
            {
                throw new InvalidOperationException($"The sitemap {url} is not valid XML: {exception.Message}", exception);
            }

            foreach (var element in xml.Root?.Elements() ?? [])
            {
                var loc = element.Elements().FirstOrDefault(e => e.Name.LocalName == "loc")?.Value.Trim();
                if (loc is null || !Uri.TryCreate(loc, UriKind.Absolute, out var target) || !SameSite(target, _site))
                {
                    continue; // another site's page is never listed
                }

                if (element.Name.LocalName == "sitemap")
                {
                    sitemaps.Enqueue(target);
                    continue;
                }

                target = Normalize(target);
                if (!seen.Add(target.AbsoluteUri) || !_robots!.IsAllowed(target.PathAndQuery))
                {
                    continue;
                }

                if (element.Elements().FirstOrDefault(e => e.Name.LocalName == "lastmod")?.Value.Trim() is { Length: > 0 } lastModified)
                {
                    // Its lastmod is its version: an unchanged page is not fetched at all. Its format is guessed from its name
                    // (a page, unless the name says PDF, DOCX, ...) and known for sure once it is fetched.
                    var type = ContentTypes.ForExtension(Path.GetExtension(target.AbsolutePath))?.MediaType ?? ContentTypes.Html;
                    yield return new SourceEntry(PathOf(target), "lastmod:" + lastModified, type, null, target);
                    continue;
                }

                var page = await FetchListedAsync(target, cancellationToken);
                if (page is { } p)
                {
                    var type = ContentTypes.Find(p.ContentType)?.MediaType;
                    Keep(target, p.Content, type);
                    yield return new SourceEntry(PathOf(target), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(p.Content)), type, p.Content.Length, target);
                }
            }
        }
    }

    /// <summary>A page fetched while listing; null when it is not there or too large to ingest (it is left out of the listing).</summary>
    private async Task<(Uri Url, byte[] Content, string ContentType)?> FetchListedAsync(Uri url, CancellationToken cancellationToken)
    {
        try
        {
            return await FetchAsync(url, cancellationToken);
        }
        catch (SourceFileException)
        {
            return null;
        }
    }

    /// <summary>
    /// GETs a page of the site, following redirects on the site only; null when it is not there (4xx: not found, gone,
    /// forbidden) or redirects off the site. A server error, 429 or a failed connection throws: the site is not
    /// answering, so the sync stops and nothing is taken for deleted.
    /// </summary>
    private async Task<(Uri Url, byte[] Content, string ContentType)?> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            using var response = await SendAsync(url, cancellationToken);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var next = new Uri(url, location);
                if (!SameSite(next, _site) || !_robots!.IsAllowed(next.PathAndQuery))
                {
                    return null;
                }

                url = Normalize(next);
                continue;
            }

            if (response.StatusCode is >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests)
            {
                // The site is struggling, not the page gone: the sync stops rather than take the page for deleted.
                throw new HttpRequestException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
            }

            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var content = await ReadLimitedAsync(response, _maxBytes, cancellationToken);
            return (url, content, response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream");
        }

        return null;
    }

    private async Task<HttpResponseMessage> SendAsync(Uri url, CancellationToken cancellationToken)
    {
        if (!SameSite(url, _site))
        {
            throw new SourceRefusedException($"A web source only reads its own site ({_site.Authority}).");
        }

        try
        {
            return await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException exception) when (exception.InnerException is SourceRefusedException refused)
        {
            throw new SourceRefusedException(refused.Message);
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, long maxBytes, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw SourceFileException.TooLarge(response.RequestMessage?.RequestUri?.PathAndQuery ?? "page", response.Content.Headers.ContentLength.Value, maxBytes);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            copy.Write(buffer, 0, read);
            if (copy.Length > maxBytes)
            {
                throw SourceFileException.TooLarge(response.RequestMessage?.RequestUri?.PathAndQuery ?? "page", copy.Length, maxBytes);
            }
        }

        return copy.ToArray();
    }

    /// <summary>The page's links on the same site (http/https, the fragment dropped), as its base URL resolves them.</summary>
    private IEnumerable<Uri> Links(Uri page, byte[] content)
    {
        var document = new HtmlParser().ParseDocument(Encoding.UTF8.GetString(content));
        var baseUrl = document.QuerySelector("base[href]")?.GetAttribute("href") is { } href && Uri.TryCreate(page, href, out var b) ? b : page;
        foreach (var anchor in document.QuerySelectorAll("a[href]"))
        {
            if (Uri.TryCreate(baseUrl, anchor.GetAttribute("href")!.Trim(), out var link)
                && (link.Scheme == Uri.UriSchemeHttp || link.Scheme == Uri.UriSchemeHttps) && SameSite(link, _site))
            {
                yield return Normalize(link);
            }
        }
    }

    public void Dispose() => _http.Dispose();
}

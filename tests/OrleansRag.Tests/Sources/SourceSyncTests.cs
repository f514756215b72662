using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OrleansRag.Blobs;
using OrleansRag.Tests.Generation;
using OrleansRag.Tests.Http;
using OrleansRag.Tests.Infrastructure;
using OrleansRag.Tests.Production;

namespace OrleansRag.Tests.Sources;

/// <summary>
/// The silo host with sources on: a folder root of its own (and a folder outside it), web sources allowed onto
/// 127.0.0.1, folder changes settling after half a second, a cluster secret (so credentials are encrypted), and every
/// log line kept (so a test can show a secret is never logged).
/// </summary>
public sealed class SourcesHost : RagHostFixture
{
    public string Root { get; } = Directory.CreateTempSubdirectory("orleansrag-sources-").FullName;

    public string Outside { get; } = Directory.CreateTempSubdirectory("orleansrag-outside-").FullName;

    public ConcurrentQueue<string> Logs { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Sources:FolderRoots:0", Root),
        new("Sources:AllowPrivateNetworks", "true"),
        new("Sources:WatchDelay", "00:00:00.500"),
        new("Sources:RetryDelay", "00:10:00"),
        new("Security:ClusterSecret", "kN3v9yQ2rT8wX1zL5pA7sD4fG6hJ0mB2cV9nE3uI8oY="),
        new("Logging:LogLevel:Default", "Information"),
        new("Logging:LogLevel:OrleansRag", "Debug"),
    ];

    protected override void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) => builder.Logging.AddProvider(new CapturingLoggerProvider(Logs));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Root, recursive: true);
        Directory.Delete(Outside, recursive: true);
    }
}

/// <summary>
/// Sources over real HTTP against real stores: a folder of the silo (changed between syncs, watched, links and paths
/// leading out refused), Azurite and an S3 server on 127.0.0.1 (started by ./test.sh), and web sites served by Kestrel
/// on 127.0.0.1 (crawled from a start page or read from a sitemap; robots.txt honoured; other hosts never contacted; a
/// site that fails part-way resumed without duplicates).
/// </summary>
public sealed class SourceSyncTests(SourcesHost host) : IClassFixture<SourcesHost>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private HttpClient Http => host.Http;

    [Fact]
    public async Task A_folder_source_ingests_its_files_then_syncs_added_changed_and_deleted_ones_and_leaves_unchanged_ones_alone()
    {
        var dir = Directory.CreateDirectory(Path.Combine(host.Root, "handbook")).FullName;
        Write(dir, "a.md", "# Lighthouse\n\nThe lighthouse keeper lights the lamp at dusk every evening.");
        Write(dir, "sub/b.txt", "The harbour master collects the mooring fees on Fridays.");
        Write(dir, "c.html", "<html><head><title>Ferries</title></head><body><p>The ferry to Kellby Island leaves from pier four at noon.</p></body></html>");
        File.WriteAllBytes(Path.Combine(dir, "engine.bin"), [1, 2, 3, 4]);
        Write(dir, "broken.pdf", "This is not a PDF at all.");
        Write(dir, ".drafts.md", "A hidden draft about zebras.");
        Write(host.Outside, "secret.md", "The vault code is 4711 quartz.");
        File.CreateSymbolicLink(Path.Combine(dir, "leak.md"), Path.Combine(host.Outside, "secret.md"));
        Directory.CreateSymbolicLink(Path.Combine(dir, "linked"), host.Outside);

        var since = DateTimeOffset.UtcNow;
        using (var created = await Http.PostAsJsonAsync("v1/collections/folders/sources", new { id = "handbook", kind = "folder", path = dir, watch = false }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            Assert.Equal("/v1/collections/folders/sources/handbook", created.Headers.Location?.OriginalString);
        }

        var first = await SyncedAsync("folders", "handbook", since);
        var report = first.GetProperty("lastSync");
        Assert.Equal("succeeded", report.GetProperty("state").GetString());
        Assert.Equal((3, 0, 0, 0, 1), Counts(report));
        Assert.Equal(1, report.GetProperty("failed").GetInt32());
        Assert.Equal(3, first.GetProperty("documents").GetInt32());
        var error = Assert.Single(first.GetProperty("errors").EnumerateArray());
        Assert.Equal("broken.pdf", error.GetProperty("path").GetString());
        Assert.Contains("PDF", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(["handbook:a.md", "handbook:c.html", "handbook:sub__b.txt"], await DocumentIdsAsync("folders"));
        var b = await Http.GetFromJsonAsync<JsonElement>("v1/collections/folders/documents/" + Uri.EscapeDataString("handbook:sub__b.txt"));
        Assert.Equal("handbook", b.GetProperty("metadata").GetProperty("source").GetString());
        Assert.Equal("sub/b.txt", b.GetProperty("metadata").GetProperty("path").GetString());
        var ferryUpdatedAt = (await DocumentAsync("folders", "handbook:c.html")).GetProperty("updatedAt").GetDateTimeOffset();

        // Added, changed, deleted between syncs; the HTML file stays as it was.
        Write(dir, "a.md", "# Lighthouse\n\nThe lighthouse keeper now lights the lamp at midnight.");
        File.SetLastWriteTimeUtc(Path.Combine(dir, "a.md"), DateTime.UtcNow.AddMinutes(1));
        File.Delete(Path.Combine(dir, "sub", "b.txt"));
        Write(dir, "d.md", "Pilots board the ships at the outer buoy.");
        since = DateTimeOffset.UtcNow;
        using (var sync = await Http.PostAsync("v1/collections/folders/sources/handbook/sync", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, sync.StatusCode);
        }

        var second = await SyncedAsync("folders", "handbook", since);
        Assert.Equal((1, 1, 2, 1, 1), Counts(second.GetProperty("lastSync"))); // the broken PDF is not tried again until it changes
        Assert.Equal(0, second.GetProperty("lastSync").GetProperty("failed").GetInt32());
        Assert.Single(second.GetProperty("errors").EnumerateArray());
        Assert.Equal(["handbook:a.md", "handbook:c.html", "handbook:d.md"], await DocumentIdsAsync("folders"));
        var hit = await BestHitAsync("folders", "When does the keeper light the lamp?");
        Assert.Equal("handbook:a.md", hit.GetProperty("documentId").GetString());
        Assert.Contains("midnight", hit.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(ferryUpdatedAt, (await DocumentAsync("folders", "handbook:c.html")).GetProperty("updatedAt").GetDateTimeOffset());

        // Nothing changed: nothing read into the pipeline.
        since = DateTimeOffset.UtcNow;
        (await Http.PostAsync("v1/collections/folders/sources/handbook/sync", null)).Dispose();
        var third = await SyncedAsync("folders", "handbook", since);
        Assert.Equal((0, 0, 4, 0, 1), Counts(third.GetProperty("lastSync")));

        // An emptied folder (an unmounted volume looks the same) fails the sync and deletes nothing.
        var away = Path.Combine(host.Outside, "away");
        Directory.Move(dir, away);
        Directory.CreateDirectory(dir);
        since = DateTimeOffset.UtcNow;
        (await Http.PostAsync("v1/collections/folders/sources/handbook/sync", null)).Dispose();
        var empty = await SyncedAsync("folders", "handbook", since);
        Assert.Equal("failed", empty.GetProperty("state").GetString());
        Assert.Contains("lists no files", empty.GetProperty("lastSync").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(["handbook:a.md", "handbook:c.html", "handbook:d.md"], await DocumentIdsAsync("folders"));
        Directory.Delete(dir);
        Directory.Move(away, dir);

        // A failed file's error goes once it is fixed.
        File.WriteAllBytes(Path.Combine(dir, "broken.pdf"), TestDocuments.Pdf(["Harbour dues are paid at the office by the gate."], "Dues"));
        since = DateTimeOffset.UtcNow;
        (await Http.PostAsync("v1/collections/folders/sources/handbook/sync", null)).Dispose();
        var fixedUp = await SyncedAsync("folders", "handbook", since);
        Assert.Equal(1, fixedUp.GetProperty("lastSync").GetProperty("updated").GetInt32() + fixedUp.GetProperty("lastSync").GetProperty("added").GetInt32());
        Assert.Empty(fixedUp.GetProperty("errors").EnumerateArray());
        Assert.Equal(4, fixedUp.GetProperty("documents").GetInt32());

        // Listed with the collection's sources; deleted with its documents.
        var list = await Http.GetFromJsonAsync<JsonElement>("v1/collections/folders/sources");
        Assert.Equal(["handbook"], list.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        using (var deleted = await Http.DeleteAsync("v1/collections/folders/sources/handbook"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Empty(await DocumentIdsAsync("folders"));
        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/folders/sources/handbook"), HttpStatusCode.NotFound, "no source 'handbook'");
        Assert.Empty((await Http.GetFromJsonAsync<JsonElement>("v1/collections/folders/sources")).GetProperty("sources").EnumerateArray());
    }

    [Fact]
    public async Task A_folder_source_cannot_be_pointed_outside_the_roots_by_path_dot_dot_or_a_link()
    {
        var inside = Directory.CreateDirectory(Path.Combine(host.Root, "confined")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(inside, "door"), host.Outside);
        foreach (var path in new[] { "/etc", host.Outside, Path.Combine(host.Root, "..", Path.GetFileName(host.Outside)), Path.Combine(inside, "door"), "relative/folder" })
        {
            using var refused = await Http.PostAsJsonAsync("v1/collections/confined/sources", new { id = "escape", kind = "folder", path });
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            Assert.Contains("Sources:FolderRoots", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await HttpApiTests.AssertProblemAsync(await Http.GetAsync("v1/collections/confined/sources/escape"), HttpStatusCode.NotFound, "no source");
        await HttpApiTests.AssertProblemAsync(
            await Http.PostAsJsonAsync("v1/collections/confined/sources", new { id = "x", kind = "azureblob", container = "c" }), HttpStatusCode.BadRequest, "needs connectionString");
        await HttpApiTests.AssertProblemAsync(
            await Http.PostAsJsonAsync("v1/collections/confined/sources", new { id = "x", kind = "ftp", path = "/" }), HttpStatusCode.BadRequest, "kind");
        await HttpApiTests.AssertProblemAsync(
            await Http.PostAsJsonAsync("v1/collections/confined/sources", new { id = "x/y", kind = "folder", path = inside }), HttpStatusCode.BadRequest, "id");
        await HttpApiTests.AssertProblemAsync(
            await Http.PostAsJsonAsync("v1/collections/confined/sources", new { id = "a:b", kind = "folder", path = inside }), HttpStatusCode.BadRequest, "must not contain ':'");
    }

    [Fact]
    public async Task A_watched_folder_is_synced_when_a_file_appears_without_being_asked()
    {
        var dir = Directory.CreateDirectory(Path.Combine(host.Root, "watched")).FullName;
        Write(dir, "one.md", "The signal station raises a red ball before a storm.");
        var since = DateTimeOffset.UtcNow;
        (await Http.PostAsJsonAsync("v1/collections/watched/sources", new { id = "w", kind = "folder", path = dir })).EnsureSuccessStatusCode();
        var first = await SyncedAsync("watched", "w", since);
        Assert.True(first.GetProperty("watching").GetBoolean());
        Assert.Equal(1, first.GetProperty("documents").GetInt32());

        Write(dir, "notes/two.md", "Divers inspect the harbour wall every spring.");
        await Infrastructure.Eventually.WaitUntilAsync(async () =>
        {
            using var response = await Http.GetAsync("v1/collections/watched/documents/" + Uri.EscapeDataString("w:notes__two.md"));
            return response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() == "ready";
        }, Patience, "the watched folder's new file to be ingested");
        Assert.Equal("watch", (await SourceAsync("watched", "w")).GetProperty("lastSync").GetProperty("trigger").GetString());
    }

    [Fact]
    public async Task The_cli_adds_lists_syncs_and_removes_a_source_and_says_why_one_is_refused()
    {
        var dir = Directory.CreateDirectory(Path.Combine(host.Root, "cli")).FullName;
        Write(dir, "tides.md", "High tide at the harbour mouth is at six in the morning.");
        var (exit, output) = await CliTests.RunOragAsync(host.BaseAddress, "sources", "add", "share", "--kind", "folder", "--path", dir, "--no-watch", "-c", "cli-sources");
        Assert.True(exit == 0, output);
        Assert.Contains("Added source 'share' (folder)", output, StringComparison.Ordinal);

        (exit, output) = await CliTests.RunOragAsync(host.BaseAddress, "sources", "sync", "share", "--wait", "-c", "cli-sources");
        Assert.True(exit == 0, output);
        Assert.Contains("succeeded", output, StringComparison.Ordinal);
        Assert.Equal(["share:tides.md"], await DocumentIdsAsync("cli-sources"));

        (exit, output) = await CliTests.RunOragAsync(host.BaseAddress, "sources", "list", "-c", "cli-sources");
        Assert.True(exit == 0, output);
        Assert.Contains("share", output, StringComparison.Ordinal);
        Assert.Contains("succeeded", output, StringComparison.Ordinal);

        (exit, output) = await CliTests.RunOragAsync(host.BaseAddress, "sources", "add", "etc", "--kind", "folder", "--path", "/etc", "-c", "cli-sources");
        Assert.NotEqual(0, exit);
        Assert.Contains("Sources:FolderRoots", output, StringComparison.Ordinal);
        (exit, output) = await CliTests.RunOragAsync(host.BaseAddress, "sources", "add", "x", "--kind", "ftp", "-c", "cli-sources");
        Assert.NotEqual(0, exit);
        Assert.Contains("--kind", output, StringComparison.Ordinal);

        (exit, output) = await CliTests.RunOragAsync(host.BaseAddress, "sources", "remove", "share", "-c", "cli-sources");
        Assert.True(exit == 0, output);
        Assert.Empty(await DocumentIdsAsync("cli-sources"));
    }

    [Fact]
    public async Task A_person_adds_a_folder_source_on_the_web_page_sees_it_sync_and_syncs_it_again()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is not installed (apt-get install chromium; test.sh does it).");
        var dir = Directory.CreateDirectory(Path.Combine(host.Root, "web-page")).FullName;
        Write(dir, "moorings.md", "# Moorings\n\nVisiting boats moor on the pontoon by the fuel dock.");
        var result = await Infrastructure.ExternalProcess.RunAsync("node",
            ["web-sources.mjs", host.BaseAddress.ToString(), Path.Combine(AppContext.BaseDirectory, "screenshots", "sources"), "web-sources", dir],
            Infrastructure.TestPaths.Repository("tests", "tools"), timeout: TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, result.ToString());
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Empty(report.GetProperty("pageErrors").EnumerateArray());
        Assert.Equal(["Id", "Kind", "Bucket", "Service URL", "Region", "Access key id", "Secret key", "Prefix", "Every (minutes)"],
            report.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        var cells = report.GetProperty("added").GetProperty("cells").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(["share", "folder"], cells.Take(2));
        Assert.Contains("(watched)", cells[2], StringComparison.Ordinal);
        Assert.Contains("1 added", cells[4], StringComparison.Ordinal);
        Assert.Equal(["share:moorings.md"], report.GetProperty("added").GetProperty("documents").EnumerateArray().Select(d => d.GetString()));
        Assert.Contains("1 unchanged", report.GetProperty("synced").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string> BlobKinds => ["azurite", "s3"];

    [Theory]
    [MemberData(nameof(BlobKinds))]
    public async Task A_bucket_source_syncs_added_changed_and_deleted_blobs_under_its_prefix_and_never_shows_nor_logs_its_secret(string kind)
    {
        var name = "src" + Guid.NewGuid().ToString("N")[..12];
        var store = kind == "azurite"
            ? BlobStores.Create(new BlobStoreOptions { Kind = BlobStoreKind.AzureBlob, AzureBlob = new AzureBlobStoreOptions { ConnectionString = ProductionServers.Azurite, Container = name } })
            : BlobStores.Create(new BlobStoreOptions { Kind = BlobStoreKind.S3, S3 = new S3StoreOptions { ServiceUrl = ProductionServers.S3, Bucket = name, AccessKey = "S3RVER", SecretKey = "S3RVER" } });
        await store.PutAsync("manuals/engine.md", Encoding.UTF8.GetBytes("# Engine\n\nThe diesel engine is serviced every four hundred hours."), "text/markdown");
        await store.PutAsync("manuals/deck/winch.txt", Encoding.UTF8.GetBytes("The anchor winch must be greased before each voyage."), "text/plain");
        await store.PutAsync("manuals-old/radio.md", Encoding.UTF8.GetBytes("The old radio manual."), "text/markdown");
        await store.PutAsync("other/radio.md", Encoding.UTF8.GetBytes("The radio is tested at eight bells."), "text/markdown");
        object body = kind == "azurite"
            ? new { id = "bucket", kind = "azureblob", container = name, prefix = "manuals", connectionString = ProductionServers.Azurite }
            : new { id = "bucket", kind = "s3", bucket = name, prefix = "manuals", serviceUrl = ProductionServers.S3, accessKey = "S3RVER", secretKey = "S3RVER" };
        var collection = "bucket-" + kind;
        var since = DateTimeOffset.UtcNow;
        (await Http.PostAsJsonAsync($"v1/collections/{collection}/sources", body)).EnsureSuccessStatusCode();
        var first = await SyncedAsync(collection, "bucket", since);
        Assert.Equal("succeeded", first.GetProperty("lastSync").GetProperty("state").GetString());
        Assert.Equal((2, 0, 0, 0, 0), Counts(first.GetProperty("lastSync")));
        Assert.Equal(["bucket:deck__winch.txt", "bucket:engine.md"], await DocumentIdsAsync(collection));

        // The secret by name only, in every read.
        var secret = kind == "azurite" ? "connectionString" : "secretKey";
        var raw = await Http.GetStringAsync($"v1/collections/{collection}/sources/bucket");
        Assert.Equal([secret], first.GetProperty("secrets").EnumerateArray().Select(s => s.GetString()));
        Assert.False(first.GetProperty("settings").TryGetProperty(secret, out _));
        var accountKey = kind == "azurite" ? ProductionServers.Azurite.Split(';').Single(p => p.StartsWith("AccountKey=", StringComparison.Ordinal))["AccountKey=".Length..] : null;
        if (accountKey is not null)
        {
            Assert.DoesNotContain(accountKey, raw, StringComparison.Ordinal);
            Assert.DoesNotContain(accountKey, await Http.GetStringAsync($"v1/collections/{collection}/sources"), StringComparison.Ordinal);
        }

        await store.PutAsync("manuals/engine.md", Encoding.UTF8.GetBytes("# Engine\n\nThe diesel engine is now serviced every six hundred hours."), "text/markdown");
        await store.DeleteAsync("manuals/deck/winch.txt");
        await store.PutAsync("manuals/hull.md", Encoding.UTF8.GetBytes("The hull is scraped and painted in dry dock each winter."), "text/markdown");
        since = DateTimeOffset.UtcNow;
        (await Http.PostAsync($"v1/collections/{collection}/sources/bucket/sync", null)).Dispose();
        var second = await SyncedAsync(collection, "bucket", since);
        Assert.Equal((1, 1, 0, 1, 0), Counts(second.GetProperty("lastSync")));
        Assert.Equal(["bucket:engine.md", "bucket:hull.md"], await DocumentIdsAsync(collection));
        Assert.Contains("six hundred", (await BestHitAsync(collection, "How often is the diesel engine serviced?")).GetProperty("text").GetString(), StringComparison.Ordinal);

        // A container or bucket that is not there fails the sync with a reason (and is not made).
        var missing = kind == "azurite"
            ? (object)new { id = "missing", kind = "azureblob", container = "nope" + name, connectionString = ProductionServers.Azurite }
            : new { id = "missing", kind = "s3", bucket = "nope" + name, serviceUrl = ProductionServers.S3, accessKey = "S3RVER", secretKey = "S3RVER" };
        since = DateTimeOffset.UtcNow;
        (await Http.PostAsJsonAsync($"v1/collections/{collection}/sources", missing)).EnsureSuccessStatusCode();
        var failed = await SyncedAsync(collection, "missing", since);
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Contains("may not exist", failed.GetProperty("lastSync").GetProperty("error").GetString(), StringComparison.Ordinal);

        if (accountKey is not null)
        {
            Assert.DoesNotContain(host.Logs, line => line.Contains(accountKey, StringComparison.Ordinal));
        }

        Assert.Contains(host.Logs, line => line.Contains("Source default/" + collection + "/bucket synced", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_web_source_crawls_its_site_from_a_start_page_honours_robots_txt_and_never_contacts_another_host()
    {
        await using var site = await TestSite.StartAsync();
        await using var elsewhere = await TestSite.StartAsync();
        var other = $"http://localhost:{elsewhere.BaseAddress.Port}";
        elsewhere.Html("/elsewhere.html", "Elsewhere", "<p>Secret internal dashboard.</p>");
        site.Pages["/robots.txt"] = ("text/plain", "User-agent: *\nDisallow: /private/\n");
        site.Html("/", "Harbour guide", $"<p>Welcome to the harbour guide.</p><a href=\"/guide.html\">Guide</a> <a href=\"private/keys.html\">Keys</a> <a href=\"{other}/elsewhere.html\">Out</a> <a href=\"/moved\">Moved</a> <a href=\"#top\">Top</a>");
        site.Html("/guide.html", "Guide", "<p>Tides are posted daily at the harbour office.</p><a href=\"faq.html#q1\">FAQ</a> <a href=\"/\">Home</a>");
        site.Html("/faq.html", "FAQ", "<p>Visitors may anchor in the bay for at most three nights.</p>");
        site.Html("/private/keys.html", "Keys", "<p>The master key hangs behind the door.</p>");
        site.Redirects["/moved"] = other + "/elsewhere.html";

        var since = DateTimeOffset.UtcNow;
        (await Http.PostAsJsonAsync("v1/collections/site/sources", new { id = "web", kind = "web", url = site.BaseAddress.ToString(), maxPages = 20 })).EnsureSuccessStatusCode();
        var synced = await SyncedAsync("site", "web", since);
        Assert.Equal("succeeded", synced.GetProperty("lastSync").GetProperty("state").GetString());
        Assert.Equal(["web:faq.html", "web:guide.html", "web:index"], await DocumentIdsAsync("site"));
        Assert.Equal(0, elsewhere.TotalHits);
        Assert.False(site.Hits.ContainsKey("/private/keys.html"));
        Assert.Equal(1, site.Hits["/robots.txt"]);
        var hit = await BestHitAsync("site", "How long may visitors anchor in the bay?");
        Assert.Equal("web:faq.html", hit.GetProperty("documentId").GetString());
        var faq = await DocumentAsync("site", "web:faq.html");
        Assert.Equal(new Uri(site.BaseAddress, "/faq.html").AbsoluteUri, faq.GetProperty("metadata").GetProperty("url").GetString());

        // A site that is struggling is never taken for a site without pages: robots.txt answering 500 fails the sync, a
        // page answering 429 too, and nothing is deleted.
        foreach (var (path, status) in new[] { ("/robots.txt", 500), ("/guide.html", 429) })
        {
            site.Statuses[path] = status;
            since = DateTimeOffset.UtcNow;
            (await Http.PostAsync("v1/collections/site/sources/web/sync", null)).Dispose();
            var struggling = await SyncedAsync("site", "web", since);
            Assert.Equal("failed", struggling.GetProperty("state").GetString());
            Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), struggling.GetProperty("lastSync").GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(["web:faq.html", "web:guide.html", "web:index"], await DocumentIdsAsync("site"));
            site.Statuses.Clear();
        }

        // The page limit holds.
        since = DateTimeOffset.UtcNow;
        (await Http.PostAsJsonAsync("v1/collections/site-limited/sources", new { id = "web", kind = "web", url = site.BaseAddress.ToString(), maxPages = 1 })).EnsureSuccessStatusCode();
        await SyncedAsync("site-limited", "web", since);
        Assert.Equal(["web:index"], await DocumentIdsAsync("site-limited"));
    }

    [Fact]
    public async Task A_sitemap_source_that_fails_part_way_resumes_without_duplicating_documents_or_fetching_unchanged_pages_again()
    {
        await using var site = await TestSite.StartAsync();
        var pages = Enumerable.Range(1, 5).Select(i => $"/p{i}.html").ToList();
        var facts = new[] { "The north pier is closed for repairs.", "Fuel is sold at the east quay.", "The crane lifts at most ten tonnes.", "Showers are beside the harbour office.", "The lock opens two hours before high tide." };
        for (var i = 0; i < pages.Count; i++)
        {
            site.Html(pages[i], $"Page {i + 1}", $"<p>{facts[i]}</p>");
        }

        site.Pages["/sitemap.xml"] = ("application/xml", "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
            + string.Concat(pages.Select(p => $"<url><loc>{new Uri(site.BaseAddress, p)}</loc><lastmod>2026-11-01</lastmod></url>"))
            + "<url><loc>http://localhost:1/elsewhere.html</loc></url></urlset>");
        site.Broken["/p4.html"] = true;

        var since = DateTimeOffset.UtcNow;
        (await Http.PostAsJsonAsync("v1/collections/sitemap/sources", new { id = "docs", kind = "web", sitemap = new Uri(site.BaseAddress, "/sitemap.xml").ToString() })).EnsureSuccessStatusCode();
        var failed = await SyncedAsync("sitemap", "docs", since);
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Contains("could not be read", failed.GetProperty("lastSync").GetProperty("error").GetString(), StringComparison.Ordinal);
        var before = await DocumentIdsAsync("sitemap");
        Assert.NotEmpty(before);
        Assert.DoesNotContain("docs:p4.html", before);

        site.Broken.Clear();
        since = DateTimeOffset.UtcNow;
        (await Http.PostAsync("v1/collections/sitemap/sources/docs/sync", null)).Dispose();
        var resumed = await SyncedAsync("sitemap", "docs", since);
        var report = resumed.GetProperty("lastSync");
        Assert.Equal("succeeded", report.GetProperty("state").GetString());
        Assert.Equal(pages.Select(p => "docs:" + p.TrimStart('/')).Order(StringComparer.Ordinal), await DocumentIdsAsync("sitemap")); // each once
        Assert.Equal(5, report.GetProperty("added").GetInt32() + report.GetProperty("unchanged").GetInt32());
        Assert.True(report.GetProperty("unchanged").GetInt32() >= 1, report.ToString());
        Assert.Contains(pages, p => site.Hits.GetValueOrDefault(p) == 1 && before.Contains("docs:" + p.TrimStart('/'))); // done before, not fetched again
        Assert.Equal(5, resumed.GetProperty("documents").GetInt32());
    }

    private async Task<JsonElement> SyncedAsync(string collection, string id, DateTimeOffset since)
    {
        JsonElement source = default;
        await Infrastructure.Eventually.WaitUntilAsync(async () =>
        {
            source = await SourceAsync(collection, id);
            return source.GetProperty("state").GetString() != "syncing"
                && source.GetProperty("lastSync") is { ValueKind: JsonValueKind.Object } last
                && last.GetProperty("startedAt").GetDateTimeOffset() >= since.AddSeconds(-1);
        }, Patience, $"source {collection}/{id} to finish a sync", TimeSpan.FromMilliseconds(200));
        return source;
    }

    private Task<JsonElement> SourceAsync(string collection, string id) => Http.GetFromJsonAsync<JsonElement>($"v1/collections/{collection}/sources/{id}");

    private Task<JsonElement> DocumentAsync(string collection, string id) => Http.GetFromJsonAsync<JsonElement>($"v1/collections/{collection}/documents/{Uri.EscapeDataString(id)}");

    private async Task<List<string>> DocumentIdsAsync(string collection)
    {
        var list = await Http.GetFromJsonAsync<JsonElement>($"v1/collections/{collection}/documents");
        return [.. list.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).Order(StringComparer.Ordinal)];
    }

    private async Task<JsonElement> BestHitAsync(string collection, string query)
    {
        using var search = await Http.PostAsJsonAsync($"v1/collections/{collection}/search", new { query, topK = 3, mode = "hybrid" });
        return (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits")[0];
    }

    private static (int Added, int Updated, int Unchanged, int Deleted, int Skipped) Counts(JsonElement report) =>
        (report.GetProperty("added").GetInt32(), report.GetProperty("updated").GetInt32(), report.GetProperty("unchanged").GetInt32(),
            report.GetProperty("deleted").GetInt32(), report.GetProperty("skipped").GetInt32());

    private static void Write(string dir, string relative, string text)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}

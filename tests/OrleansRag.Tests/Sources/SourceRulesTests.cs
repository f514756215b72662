using System.Net;
using Microsoft.Extensions.Options;
using OrleansRag.Security;
using OrleansRag.Sources;

namespace OrleansRag.Tests.Sources;

/// <summary>The rules of sources as plain classes: the sync plan, document ids, robots.txt, address checks, folder confinement and secrets.</summary>
[Trait("Category", "Unit")]
public sealed class SourceRulesTests
{
    private static SourceFile Known(string id, string version, string? error = null) => new() { DocumentId = id, Version = version, Error = error };

    [Fact]
    public void The_plan_ingests_new_and_changed_files_deletes_vanished_ones_and_leaves_the_rest()
    {
        var known = new Dictionary<string, SourceFile>(StringComparer.Ordinal)
        {
            ["same.md"] = Known("s:same.md", "v1"),
            ["changed.md"] = Known("s:changed.md", "v1"),
            ["gone.md"] = Known("s:gone.md", "v1"),
            ["broken.pdf"] = Known("s:broken.pdf", "v1", "not a PDF"),
            ["retry.md"] = Known("s:retry.md", ""), // not finished last time
            ["now-unreadable"] = Known("s:x", "v1"),
        };
        var plan = SourcePlanner.Plan(known,
        [
            new("same.md", "v1", "text/markdown"),
            new("changed.md", "v2", "text/markdown"),
            new("new.md", "v1", "text/markdown"),
            new("new.md", "v9", "text/markdown"), // listed twice: the first counts
            new("broken.pdf", "v1", "application/pdf"), // failed at this version: not tried again until it changes
            new("retry.md", "v1", "text/markdown"),
            new("image.bmp", "v1", null),
            new("now-unreadable", "v1", null),
        ]);

        Assert.Equal(["changed.md", "new.md", "retry.md"], plan.Ingest.Select(e => e.Path));
        Assert.Equal("v1", plan.Ingest[1].Version);
        Assert.Equal(["gone.md", "now-unreadable"], plan.Delete);
        Assert.Equal(2, plan.Unchanged);
        Assert.Equal(2, plan.Skipped);

        // A listing cut off at a limit deletes nothing it did not reach, only what it saw in a format no longer read.
        var partial = SourcePlanner.Plan(known, [new("same.md", "v1", "text/markdown"), new("now-unreadable", "v1", null)], complete: false);
        Assert.Equal(["now-unreadable"], partial.Delete);
    }

    [Fact]
    public async Task Bucket_sources_need_their_own_keys_and_a_public_endpoint_unless_an_operator_allows_otherwise()
    {
        var ingestion = Options.Create(new OrleansRag.Ingestion.IngestionOptions());
        var strict = new SourceReaders(Options.Create(new SourceOptions()), ingestion);
        var keys = new SourceSecrets(SecretKey: "secret");
        var noKeys = new SourceSettings(SourceKind.S3, Bucket: "originals", ServiceUrl: "https://s3.example.org");
        Assert.Contains("Sources:AllowSiloCredentials", (await Assert.ThrowsAsync<SourceRefusedException>(() => strict.CheckAsync(noKeys, SourceSecrets.None, CancellationToken.None))).Message, StringComparison.Ordinal);
        foreach (var endpoint in new[] { "http://127.0.0.1:9000", "http://169.254.169.254", "http://[::1]:9000", "http://10.0.0.5" })
        {
            var settings = new SourceSettings(SourceKind.S3, Bucket: "b", ServiceUrl: endpoint, AccessKey: "id");
            Assert.Contains("Sources:AllowPrivateNetworks", (await Assert.ThrowsAsync<SourceRefusedException>(() => strict.CheckAsync(settings, keys, CancellationToken.None))).Message, StringComparison.Ordinal);
        }

        var azurite = new SourceSettings(SourceKind.AzureBlob, Container: "c");
        var local = new SourceSecrets("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;");
        await Assert.ThrowsAsync<SourceRefusedException>(() => strict.CheckAsync(azurite, local, CancellationToken.None));
        await Assert.ThrowsAsync<SourceRefusedException>(() => strict.CheckAsync(azurite, new SourceSecrets("not a connection string"), CancellationToken.None));

        var lenient = new SourceReaders(Options.Create(new SourceOptions { AllowPrivateNetworks = true, AllowSiloCredentials = true }), ingestion);
        await lenient.CheckAsync(noKeys with { ServiceUrl = "http://127.0.0.1:9000" }, SourceSecrets.None, CancellationToken.None);
        await lenient.CheckAsync(azurite, local, CancellationToken.None);
    }

    [Fact]
    public void Document_ids_are_readable_stable_and_never_collide()
    {
        Assert.Equal("docs:guide__intro.md", SourcePlanner.DocumentId("docs", "guide/intro.md", _ => false));
        Assert.Equal("web:a b?x=1", SourcePlanner.DocumentId("web", "a b?x=1", _ => false));

        // Taken by another path, too long, or not a valid id: a shortened form with the path's hash, the same every time.
        var taken = SourcePlanner.DocumentId("docs", "guide__intro.md", id => id == "docs:guide__intro.md");
        Assert.StartsWith("docs:guide__intro.md~", taken, StringComparison.Ordinal);
        Assert.Equal(taken, SourcePlanner.DocumentId("docs", "guide__intro.md", id => id == "docs:guide__intro.md"));
        var longPath = string.Join('/', Enumerable.Repeat("chapter", 60)) + "/end.md";
        var shortened = SourcePlanner.DocumentId("docs", longPath, _ => false);
        Assert.True(shortened.Length <= RagConstants.MaxIdLength);
        Assert.Null(RagValidation.CheckDocumentId("id", shortened));
        Assert.NotEqual(shortened, SourcePlanner.DocumentId("docs", longPath.Replace("end.md", "other.md", StringComparison.Ordinal), _ => false));
        Assert.Null(RagValidation.CheckDocumentId("id", SourcePlanner.DocumentId("docs", "odd%2Fname.md", _ => false)));
    }

    [Fact]
    public void Robots_txt_rules_apply_by_agent_with_the_longest_match_winning()
    {
        var robots = RobotsRules.Parse("""
            # comments are ignored
            User-agent: *
            Disallow: /private/
            Allow: /private/open.html
            Disallow: /*.pdf$

            User-agent: OtherBot
            User-agent: AnotherBot
            Disallow: /

            Sitemap: https://example.org/sitemap.xml
            """, "OrleansRag");
        Assert.True(robots.IsAllowed("/guide.html"));
        Assert.False(robots.IsAllowed("/private/keys.html"));
        Assert.True(robots.IsAllowed("/private/open.html"));
        Assert.False(robots.IsAllowed("/files/report.pdf"));
        Assert.True(robots.IsAllowed("/files/report.pdf?download=1"));
        Assert.Equal(["https://example.org/sitemap.xml"], robots.Sitemaps);

        var mine = RobotsRules.Parse("User-agent: *\nDisallow:\n\nUser-agent: orleansrag\nDisallow: /drafts\n", "OrleansRag");
        Assert.False(mine.IsAllowed("/drafts/a.html"));
        Assert.True(mine.IsAllowed("/a.html"));
        Assert.False(RobotsRules.Parse("User-agent: AnotherBot\nDisallow: /\n", "OrleansRag") is var other && !other.IsAllowed("/"));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.5", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)] // cloud metadata
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::7f00:1", false)] // IPv4-compatible 127.0.0.1
    [InlineData("64:ff9b::a9fe:a9fe", false)] // NAT64 of 169.254.169.254
    [InlineData("2002:c0a8:101::1", false)] // 6to4 of 192.168.1.1
    [InlineData("64:ff9b::808:808", true)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2001:4860:4860::8888", true)]
    public void Only_public_addresses_count_as_public(string address, bool expected) =>
        Assert.Equal(expected, PublicAddresses.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task A_web_source_refuses_a_site_on_a_private_address_before_sending_a_byte()
    {
        await using var site = await TestSite.StartAsync();
        site.Html("/", "Home", "<p>Internal.</p>");
        using var reader = WebSourceReader.Open(new SourceSettings(SourceKind.Web, Url: site.BaseAddress.ToString()), new SourceOptions(), 1024 * 1024);
        var refused = await Assert.ThrowsAsync<SourceRefusedException>(async () =>
        {
            await foreach (var _ in reader.ListAsync(CancellationToken.None))
            {
            }
        });
        Assert.Contains("Sources:AllowPrivateNetworks", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, site.TotalHits);
        Assert.Throws<SourceRefusedException>(() => WebSourceReader.Open(new SourceSettings(SourceKind.Web, Url: "http://a.example/", Sitemap: "http://b.example/sitemap.xml"), new SourceOptions(), 1));
        Assert.Throws<SourceRefusedException>(() => WebSourceReader.Open(new SourceSettings(SourceKind.Web, Url: "http://user:pw@a.example/"), new SourceOptions(), 1));
    }

    [Fact]
    public async Task A_folder_is_confined_to_the_roots_with_links_resolved_and_a_file_turned_into_a_link_is_not_read()
    {
        var root = Directory.CreateTempSubdirectory("orleansrag-root-").FullName;
        var outside = Directory.CreateTempSubdirectory("orleansrag-out-").FullName;
        try
        {
            var docs = Directory.CreateDirectory(Path.Combine(root, "docs")).FullName;
            File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret");
            Directory.CreateSymbolicLink(Path.Combine(root, "door"), outside);
            var rootLink = Path.Combine(outside, "root-link");
            Directory.CreateSymbolicLink(rootLink, root);

            Assert.Equal(docs, FolderSourceReader.Confine(docs, [root]));
            Assert.Equal(docs, FolderSourceReader.Confine(Path.Combine(rootLink, "docs"), [root])); // a link into the root is fine
            Assert.Equal(docs, FolderSourceReader.Confine(Path.Combine(docs, "..", "docs"), [root]));
            Assert.Contains("outside", Assert.Throws<SourceRefusedException>(() => FolderSourceReader.Confine(Path.Combine(root, "door"), [root])).Message, StringComparison.Ordinal);
            Assert.Contains("outside", Assert.Throws<SourceRefusedException>(() => FolderSourceReader.Confine(Path.Combine(docs, "..", ".."), [root])).Message, StringComparison.Ordinal);
            Assert.Contains("Sources:FolderRoots", Assert.Throws<SourceRefusedException>(() => FolderSourceReader.Confine(docs, [])).Message, StringComparison.Ordinal);
            Assert.Contains("does not exist", Assert.Throws<SourceRefusedException>(() => FolderSourceReader.Confine(Path.Combine(root, "nope"), [root])).Message, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(docs, "a.md"), "# A");
            using var reader = FolderSourceReader.Open(docs, [root]);
            var listed = new List<SourceEntry>();
            await foreach (var entry in reader.ListAsync(CancellationToken.None))
            {
                listed.Add(entry);
            }

            var a = Assert.Single(listed);
            Assert.Equal("# A"u8.ToArray(), (await reader.ReadAsync(a, 1024, CancellationToken.None)).Bytes);
            await Assert.ThrowsAsync<SourceFileException>(() => reader.ReadAsync(a, 2, CancellationToken.None)); // over the size limit

            // Swapped for a link after the listing: refused when read.
            File.Delete(Path.Combine(docs, "a.md"));
            File.CreateSymbolicLink(Path.Combine(docs, "a.md"), Path.Combine(outside, "secret.txt"));
            await Assert.ThrowsAsync<SourceFileException>(() => reader.ReadAsync(a, 1024, CancellationToken.None));
            await Assert.ThrowsAsync<SourceFileException>(() => reader.ReadAsync(a with { Path = "../../" + Path.GetFileName(outside) + "/secret.txt" }, 1024, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void Secrets_are_encrypted_bound_to_their_source_and_unreadable_under_another_cluster_secret()
    {
        var protector = new SourceSecretProtector(Options.Create(new SecurityOptions { ClusterSecret = "kN3v9yQ2rT8wX1zL5pA7sD4fG6hJ0mB2cV9nE3uI8oY=" }));
        var secrets = new SourceSecrets(ConnectionString: "AccountName=a;AccountKey=TOPSECRETKEY==");
        var stored = protector.Protect("t/c/s", secrets)!;
        Assert.DoesNotContain("TOPSECRETKEY", stored, StringComparison.Ordinal);
        Assert.NotEqual(stored, protector.Protect("t/c/s", secrets)); // a fresh nonce each time
        Assert.Equal(secrets, protector.Unprotect("t/c/s", stored));
        Assert.Throws<InvalidOperationException>(() => protector.Unprotect("t/c/other", stored)); // copied to another source: does not open
        var rotated = new SourceSecretProtector(Options.Create(new SecurityOptions { ClusterSecret = "Zq8wE2rT5yU7iO9pA1sD3fG4hJ6kL8zX0cV2bN4mQ6=" }));
        Assert.Contains("ClusterSecret has changed", Assert.Throws<InvalidOperationException>(() => rotated.Unprotect("t/c/s", stored)).Message, StringComparison.Ordinal);
        Assert.Null(protector.Protect("t/c/s", SourceSecrets.None));
        Assert.Equal(["connectionString"], secrets.Names());
        Assert.DoesNotContain("TOPSECRETKEY", secrets.ToString(), StringComparison.Ordinal);
    }
}

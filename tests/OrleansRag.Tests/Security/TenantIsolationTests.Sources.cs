using System.Net;
using System.Text.Json;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>Sources across tenants and roles.</summary>
public sealed partial class TenantIsolationTests
{
    [Fact]
    public async Task A_source_is_made_and_removed_by_its_tenants_admin_synced_by_its_writers_and_not_found_by_another_tenant()
    {
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            var other = SecuredHostFixture.Tenants.Single(t => t != tenant);
            var id = $"site-{tenant}";
            var path = $"v1/collections/shared/sources/{id}";
            var body = new { id, kind = "web", url = "http://127.0.0.1:9/" };
            foreach (var role in new[] { RagRole.Reader, RagRole.Writer })
            {
                using var client = host.ClientFor(tenant, role);
                var (refused, text) = await SendAsync(client, HttpMethod.Post, "v1/collections/shared/sources", body);
                Assert.True(refused == HttpStatusCode.Forbidden, $"{tenant}/{role}: {(int)refused} {text}");
            }

            using var admin = host.ClientFor(tenant, RagRole.Admin);
            var (status, created) = await SendAsync(admin, HttpMethod.Post, "v1/collections/shared/sources", body);
            Assert.True(status == HttpStatusCode.Created, created);

            // Web sources stay off private addresses unless an operator allows them: the first sync says so.
            JsonElement source = default;
            await Infrastructure.Eventually.WaitUntilAsync(async () =>
            {
                var (_, text) = await SendAsync(admin, HttpMethod.Get, path, null);
                source = JsonDocument.Parse(text).RootElement;
                return source.GetProperty("state").GetString() == "failed";
            }, TimeSpan.FromMinutes(2), "the source's first sync to fail");
            Assert.Contains("Sources:AllowPrivateNetworks", source.GetProperty("lastSync").GetProperty("error").GetString(), StringComparison.Ordinal);

            using (var writer = host.ClientFor(tenant, RagRole.Writer))
            {
                Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(writer, HttpMethod.Post, $"{path}/sync", null)).Status);
                Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(writer, HttpMethod.Delete, path, null)).Status);
            }

            using (var reader = host.ClientFor(tenant, RagRole.Reader))
            {
                Assert.Equal(HttpStatusCode.OK, (await SendAsync(reader, HttpMethod.Get, path, null)).Status);
                Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(reader, HttpMethod.Post, $"{path}/sync", null)).Status);
            }

            // Another tenant, whatever its role, does not see it: its own collection of that name has no such source.
            foreach (var role in Enum.GetValues<RagRole>())
            {
                using var client = host.ClientFor(other, role);
                Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(client, HttpMethod.Get, path, null)).Status);
                var (_, list) = await SendAsync(client, HttpMethod.Get, "v1/collections/shared/sources", null);
                Assert.DoesNotContain(id, list, StringComparison.Ordinal);
            }

            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(admin, HttpMethod.Delete, path, null)).Status);
        }
    }
}

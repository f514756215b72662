using System.Net;
using System.Text.Json;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>Feedback and the query log across tenants and roles.</summary>
public sealed partial class TenantIsolationTests
{
    [Fact]
    public async Task Readers_rate_their_tenants_answers_admins_read_the_log_and_another_tenant_finds_neither()
    {
        foreach (var tenant in SecuredHostFixture.Tenants)
        {
            var other = SecuredHostFixture.Tenants.Single(t => t != tenant);
            using var reader = host.ClientFor(tenant, RagRole.Reader);
            var (asked, answer) = await SendAsync(reader, HttpMethod.Post, "v1/collections/shared/ask", new { question = $"What do volcanoes do? ({tenant} feedback)" });
            Assert.True(asked == HttpStatusCode.OK, answer);
            var answerId = JsonDocument.Parse(answer).RootElement.GetProperty("answerId").GetString()!;
            var feedback = $"v1/collections/shared/answers/{answerId}/feedback";

            // Another tenant, whatever its role, cannot rate it: its own "shared" has no such answer.
            foreach (var role in Enum.GetValues<RagRole>())
            {
                using var stranger = host.ClientFor(other, role);
                var (status, body) = await SendAsync(stranger, HttpMethod.Post, feedback, new { rating = "down" });
                Assert.True(status == HttpStatusCode.NotFound, $"{other}/{role}: {(int)status} {body}");
            }

            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(reader, HttpMethod.Post, feedback, new { rating = "up", comment = "right volcano" })).Status);
            foreach (var role in new[] { RagRole.Reader, RagRole.Writer })
            {
                using var client = host.ClientFor(tenant, role);
                Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Get, "v1/collections/shared/query-log", null)).Status);
            }

            using var admin = host.ClientFor(tenant, RagRole.Admin);
            var (read, log) = await SendAsync(admin, HttpMethod.Get, "v1/collections/shared/query-log?rating=up", null);
            Assert.True(read == HttpStatusCode.OK, log);
            var entry = JsonDocument.Parse(log).RootElement.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("answerId").GetString() == answerId);
            Assert.Equal("right volcano", entry.GetProperty("feedback").GetProperty("comment").GetString());
            Assert.Equal(host.Keys[tenant][RagRole.Reader].Id, entry.GetProperty("keyId").GetString());
            Assert.Equal(host.Keys[tenant][RagRole.Reader].Id, entry.GetProperty("feedback").GetProperty("keyId").GetString());

            using var otherAdmin = host.ClientFor(other, RagRole.Admin);
            var (_, otherLog) = await SendAsync(otherAdmin, HttpMethod.Get, "v1/collections/shared/query-log?limit=500", null);
            Assert.DoesNotContain(answerId, otherLog, StringComparison.Ordinal);
        }
    }
}

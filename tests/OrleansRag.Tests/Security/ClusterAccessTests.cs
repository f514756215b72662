using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansRag.Client;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>
/// Isolation inside the cluster: an external .NET application on the gateway gets its tenant from its key (the
/// cluster verifies it), cannot reach another tenant's grains even by building their keys itself, and needs a key
/// at all; a principal it forges in the request context is ignored.
/// </summary>
[Collection(SecuredHostCollection.Name)]
public sealed class ClusterAccessTests(SecuredHostFixture host)
{
    /// <param name="apiKey">The SDK's key, or none.</param>
    /// <param name="claimedClientId">
    /// An id the client presents to the gateway instead of its random one, as a hostile client can (the connection
    /// preamble is the client's word): Orleans' hosted clients inside silos are "hosted-{silo}".
    /// </param>
    /// <param name="streams">Give the client the cluster's stream provider, as a client that wants to publish would.</param>
    private async Task<IHost> StartClientAsync(string? apiKey, string? claimedClientId = null, bool streams = false)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(host.GatewayPort, serviceId: "orleans-rag", clusterId: host.ClusterId);
            if (streams)
            {
                client.AddMemoryStreams(RagConstants.StreamProvider);
            }
        });
        if (claimedClientId is not null)
        {
            var details = typeof(IClusterClient).Assembly.GetType("Orleans.LocalClientDetails", throwOnError: true)!;
            var clientGrainId = typeof(GrainId).Assembly.GetType("Orleans.Runtime.ClientGrainId", throwOnError: true)!;
            var claimed = clientGrainId.GetMethod("Create", [typeof(string)])!.Invoke(null, [claimedClientId]);
            builder.Services.AddSingleton(details, sp =>
            {
                var instance = ActivatorUtilities.CreateInstance(sp, details);
                details.GetField("<ClientId>k__BackingField", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.SetValue(instance, claimed);
                return instance;
            });
        }

        builder.Services.AddRagClient(options => options.ApiKey = apiKey);
        var client = builder.Build();
        await client.StartAsync();
        return client;
    }

    [Fact]
    public async Task The_sdk_takes_its_tenant_from_its_key_and_is_held_to_its_role()
    {
        using var readerHost = await StartClientAsync(host.Keys["alpha"][RagRole.Reader].Key);
        var reader = readerHost.Services.GetRequiredService<IRagClient>();
        var me = await reader.WhoAmIAsync();
        Assert.Equal(("alpha", RagRole.Reader, host.Keys["alpha"][RagRole.Reader].Id), (me.Tenant, me.Role, me.KeyId));

        // Own data by the shared name; the other tenant's collection does not exist for it.
        Assert.Equal(["alpha-doc-1", "alpha-doc-2"], (await reader.ListAsync("shared")).Select(d => d.Id).Order());
        var hits = await reader.SearchAsync("shared", "volcanoes erupt", new SearchOptions(10));
        Assert.All(hits.Hits, hit => Assert.StartsWith("alpha-", hit.DocumentId, StringComparison.Ordinal));
        await Assert.ThrowsAsync<RagNotFoundException>(() => reader.ListAsync("beta-only"));

        // A reader key cannot write, whatever the client does: the silo refuses the grain call.
        var denied = await Assert.ThrowsAsync<RagAccessDeniedException>(() => reader.IngestAsync("shared", "sneaky", new DocumentInput("Reader writes.")));
        Assert.Equal(403, denied.Status);

        using var writerHost = await StartClientAsync(host.Keys["beta"][RagRole.Writer].Key);
        var writer = writerHost.Services.GetRequiredService<IRagClient>();
        Assert.Equal(IngestStatus.Created, (await writer.IngestAsync("sdk-written", "doc", new DocumentInput("Written through the SDK by beta."))).Status);
        var admin = await Assert.ThrowsAsync<RagAccessDeniedException>(() => writer.CreateCollectionAsync("sdk-admin-only", new CollectionSettings(2)));
        Assert.Equal(403, admin.Status);

        // Alerting and metrics grains are the admin's, also for raw grain calls with a lesser key.
        var grains = writerHost.Services.GetRequiredService<IGrainFactory>();
        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["beta"][RagRole.Writer].Key);
        try
        {
            var rules = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<OrleansRag.Monitoring.IAlertManagerGrain>("cluster").DeleteRuleAsync("any"));
            Assert.Equal(403, rules.Status);
            var metrics = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<OrleansRag.Monitoring.IMetricsGrain>("cluster").GetSummaryAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal(403, metrics.Status);
            var log = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IQueryLogGrain>("beta/shared").ReadAsync(new QueryLogQuery()));
            Assert.Equal(403, log.Status);
            var otherLog = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IQueryLogGrain>("alpha/shared").RateAsync(new string('0', 32), AnswerRating.Down, null));
            Assert.Equal(404, otherLog.Status);
        }
        finally
        {
            RequestContext.Clear();
        }

        // A tenant's admin reaches its tenant's alerting, not the cluster's (the operator's) nor another tenant's.
        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["beta"][RagRole.Admin].Key);
        try
        {
            Assert.NotNull(await grains.GetGrain<OrleansRag.Monitoring.IAlertManagerGrain>("beta/alerts").ListRulesAsync());
            Assert.Equal(404, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<OrleansRag.Monitoring.IAlertManagerGrain>("cluster").ListRulesAsync())).Status);
            Assert.Equal(404, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<OrleansRag.Monitoring.IAlertManagerGrain>("alpha/alerts").ListRulesAsync())).Status);
            Assert.Equal(404, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<OrleansRag.Monitoring.IAlertRuleGrain>("HighCpu").RemoveAsync())).Status);

            // A rule set straight on its grain cannot speak for another tenant: the grain labels it with its own.
            var rule = new OrleansRag.Monitoring.AlertRule("Raw", "cpu_percent", OrleansRag.Monitoring.AlertAggregation.Avg, TimeSpan.FromMinutes(5),
                OrleansRag.Monitoring.AlertComparator.GreaterThan, 99, TimeSpan.Zero, OrleansRag.Monitoring.AlertSeverity.Warning,
                new Dictionary<string, string> { ["tenant"] = "alpha" }, new Dictionary<string, string>(), TimeSpan.FromHours(1), TimeSpan.FromMinutes(5));
            var raw = grains.GetGrain<OrleansRag.Monitoring.IAlertRuleGrain>("beta/Raw");
            await raw.SetAsync(rule);
            Assert.Equal("beta", (await raw.GetRuleAsync())!.Labels["tenant"]);
            await raw.RemoveAsync();
        }
        finally
        {
            RequestContext.Clear();
        }

        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["beta"][RagRole.Operator].Key);
        try
        {
            Assert.NotEmpty(await grains.GetGrain<OrleansRag.Monitoring.IAlertManagerGrain>("cluster").ListRulesAsync());
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    [Fact]
    public async Task Sdk_conversations_belong_to_the_key_and_raw_calls_cannot_reach_them_or_write_the_index()
    {
        using var alphaHost = await StartClientAsync(host.Keys["alpha"][RagRole.Reader].Key);
        var alpha = alphaHost.Services.GetRequiredService<IRagClient>();
        var conversation = await alpha.CreateConversationAsync("shared");
        var first = await alpha.SendMessageAsync("shared", conversation.Id, "Why do volcanoes erupt?");
        Assert.Equal(1, first.Turn);
        Assert.All(first.Citations, c => Assert.StartsWith("alpha-", c.DocumentId, StringComparison.Ordinal));
        Assert.Contains(await alpha.ListConversationsAsync("shared"), c => c.Id == conversation.Id);

        // Through IChatClient, with the cluster keeping the turns.
        var chat = alpha.AsChatClient("shared");
        var reply = await chat.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "And what do they pour out?")], new Microsoft.Extensions.AI.ChatOptions { ConversationId = conversation.Id });
        Assert.Equal(conversation.Id, reply.ConversationId);
        Assert.Equal(2, (await alpha.GetConversationAsync("shared", conversation.Id))!.TurnCount);

        // Beta's key, through the SDK and by raw grain calls to alpha's keys: nothing there.
        using var betaHost = await StartClientAsync(host.Keys["beta"][RagRole.Admin].Key);
        var beta = betaHost.Services.GetRequiredService<IRagClient>();
        Assert.Null(await beta.GetConversationAsync("shared", conversation.Id));
        await Assert.ThrowsAsync<RagNotFoundException>(() => beta.SendMessageAsync("shared", conversation.Id, "Why?"));
        var grains = betaHost.Services.GetRequiredService<IGrainFactory>();
        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["beta"][RagRole.Admin].Key);
        try
        {
            var raw = grains.GetGrain<IConversationGrain>($"alpha/shared/{conversation.Id}");
            Assert.Equal(404, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => raw.GetAsync())).Status);
            Assert.Equal(404, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => raw.DeleteAsync())).Status);
            var index = grains.GetGrain<IConversationIndexGrain>($"alpha/shared/{host.Keys["alpha"][RagRole.Reader].Id}");
            Assert.Equal(404, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => index.ListAsync())).Status);

            // Even in its own tenant, only the conversation grains (the silo) write an index.
            var own = grains.GetGrain<IConversationIndexGrain>($"beta/shared/{host.Keys["beta"][RagRole.Admin].Id}");
            var entry = new ConversationEntry("forged", "x", "t", 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
            Assert.Equal(403, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => own.AddAsync(entry))).Status);
            Assert.Equal(403, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IConversationGrain>("beta/shared/any").ExpireIfIdleAsync())).Status);
        }
        finally
        {
            RequestContext.Clear();
        }

        // Not even an operator key of the tenant: the index belongs to the silo.
        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["beta"][RagRole.Operator].Key);
        try
        {
            var someoneElses = grains.GetGrain<IConversationIndexGrain>($"beta/shared/{host.Keys["beta"][RagRole.Reader].Id}");
            var entry = new ConversationEntry("forged", "x", "t", 1, DateTimeOffset.UtcNow, DateTimeOffset.MaxValue);
            Assert.Equal(403, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => someoneElses.AddAsync(entry))).Status);
            Assert.Equal(403, (await Assert.ThrowsAsync<RagAccessDeniedException>(() => someoneElses.RemoveAsync("any"))).Status);
        }
        finally
        {
            RequestContext.Clear();
        }

        Assert.True(await alpha.DeleteConversationAsync("shared", conversation.Id));
        Assert.Null(await alpha.GetConversationAsync("shared", conversation.Id));
    }

    [Fact]
    public async Task Raw_grain_calls_without_a_key_with_a_forged_principal_or_into_another_tenant_are_refused()
    {
        using var anonymousHost = await StartClientAsync(apiKey: null);
        var grains = anonymousHost.Services.GetRequiredService<IGrainFactory>();

        // No key at all: refused, even for grains whose keys the client builds itself.
        var missing = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IDocumentGrain>("beta/beta-only/beta-doc-1").GetAsync());
        Assert.Equal(401, missing.Status);

        // A principal claimed in the request context instead of a key: ignored, still refused.
        RequestContext.Set(RagRequestContext.Principal, new RagPrincipal("forged", "beta", RagRole.Admin).ToContextValue());
        try
        {
            var forged = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IDocumentGrain>("beta/beta-only/beta-doc-1").GetAsync());
            Assert.Equal(401, forged.Status);
        }
        finally
        {
            RequestContext.Clear();
        }

        // Alpha's admin key, aimed at beta's grains by key: 404, the document does not exist for alpha.
        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["alpha"][RagRole.Admin].Key);
        try
        {
            var crossed = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IDocumentGrain>("beta/beta-only/beta-doc-1").GetAsync());
            Assert.Equal(404, crossed.Status);
            var query = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IQueryGrain>("beta/shared").SearchAsync("volcano", new SearchOptions()));
            Assert.Equal(404, query.Status);
        }
        finally
        {
            RequestContext.Clear();
        }

        // Streamed asks (an IAsyncEnumerable grain method, which Orleans starts through a grain extension) are
        // held to the same rules: no key is 401, a forged principal is ignored, another tenant's collection is 404.
        await AssertStreamRefusedAsync(grains, 401);
        RequestContext.Set(RagRequestContext.Principal, new RagPrincipal("forged", "beta", RagRole.Admin).ToContextValue());
        try
        {
            await AssertStreamRefusedAsync(grains, 401);
        }
        finally
        {
            RequestContext.Clear();
        }

        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["alpha"][RagRole.Admin].Key);
        try
        {
            await AssertStreamRefusedAsync(grains, 404);
        }
        finally
        {
            RequestContext.Clear();
        }

        // A wrong key is refused.
        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["alpha"][RagRole.Admin].Key[..^2] + "zz");
        try
        {
            var wrong = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IAccessGrain>(0).WhoAmIAsync());
            Assert.Equal(401, wrong.Status);
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    [Fact]
    public async Task A_client_that_claims_to_be_a_silos_hosted_client_and_forges_a_signature_is_still_refused()
    {
        using var impostor = await StartClientAsync(apiKey: null, claimedClientId: "hosted-S127.0.0.1:11111:1");
        var grains = impostor.Services.GetRequiredService<IGrainFactory>();

        // Nothing but the claimed id: no key, so no access, to tenant data or to the cluster's alerting.
        var document = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IDocumentGrain>("beta/beta-only/beta-doc-1").GetAsync());
        Assert.Equal(401, document.Status);
        var rules = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<OrleansRag.Monitoring.IAlertManagerGrain>("cluster").ListRulesAsync());
        Assert.Equal(401, rules.Status);

        // The silo's internal principal, or a tenant admin, with a made-up signature: refused as well.
        foreach (var principal in new[] { RagPrincipal.Internal, new RagPrincipal("forged", "beta", RagRole.Admin) })
        {
            RequestContext.Set(RagRequestContext.Principal, principal.ToContextValue());
            RequestContext.Set(RagRequestContext.Signature, Convert.ToBase64String(new byte[32]));
            try
            {
                var forged = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IDocumentGrain>("beta/beta-only/beta-doc-1").GetAsync());
                Assert.Equal(401, forged.Status);
                await AssertStreamRefusedAsync(grains, 401);
            }
            finally
            {
                RequestContext.Clear();
            }
        }

        // With a key of its own it is an ordinary client of its tenant, whatever id it claims.
        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["alpha"][RagRole.Reader].Key);
        try
        {
            Assert.Equal("alpha", (await grains.GetGrain<IAccessGrain>(0).WhoAmIAsync()).Tenant);
            var crossed = await Assert.ThrowsAsync<RagAccessDeniedException>(() => grains.GetGrain<IDocumentGrain>("beta/beta-only/beta-doc-1").GetAsync());
            Assert.Equal(404, crossed.Status);
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    private static async Task AssertStreamRefusedAsync(IGrainFactory grains, int status)
    {
        var refused = await Assert.ThrowsAsync<RagAccessDeniedException>(async () =>
        {
            await foreach (var item in grains.GetGrain<IAnswerStreamGrain>(Guid.NewGuid()).AskStreamAsync("beta/beta-only", "Why do volcanoes erupt?", new SearchOptions()))
            {
                Assert.Fail($"a streamed answer from another tenant's collection: {item}");
            }
        });
        Assert.Equal(status, refused.Status);
    }

    [Fact]
    public async Task An_unverified_call_to_an_orleans_interface_runs_as_anonymous_so_the_silo_never_acts_as_itself_for_it()
    {
        using var anonymousHost = await StartClientAsync(apiKey: null);
        var grains = anonymousHost.Services.GetRequiredService<IGrainFactory>();

        // A call to one of Orleans' own interfaces that clients do use (here: ending an enumeration): it passes, but
        // whatever it makes the silo do downstream carries the anonymous principal, which every OrleansRag grain refuses.
        await grains.GetGrain<IDocumentGrain>("beta/beta-only/beta-doc-1").AsReference<IAsyncEnumerableGrainExtension>().DisposeAsync(Guid.NewGuid());
        await Infrastructure.Eventually.WaitUntilAsync(
            () => Task.FromResult(host.Logs.Any(line => line.Contains("An unverified call to IAsyncEnumerableGrainExtension.DisposeAsync on", StringComparison.Ordinal) && line.Contains("beta-doc-1", StringComparison.Ordinal) && line.Contains("runs as anonymous", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(30), "the access filter's note that the client's call runs as anonymous");
        Assert.True(RagPrincipal.Anonymous.IsAnonymous);
        Assert.False(RagPrincipal.Anonymous.IsInternal);
    }

    [Fact]
    public async Task Reminder_ticks_grain_deactivation_and_the_metrics_stream_answer_silos_only_whatever_the_key()
    {
        using var anonymousHost = await StartClientAsync(apiKey: null);
        var anonymous = anonymousHost.Services.GetRequiredService<IGrainFactory>();
        var tick = await Assert.ThrowsAsync<RagAccessDeniedException>(() => anonymous.GetGrain<IDocumentGrain>("beta/beta-only/beta-doc-1").AsReference<IRemindable>().ReceiveReminder("ingest", default));
        Assert.Equal(401, tick.Status);

        // An admin key of the grain's own tenant does not make a client the reminder service, nor a silo that may
        // deactivate grains (a shard reloads its whole index) or feed the metrics that alerts are raised from.
        using var adminHost = await StartClientAsync(host.Keys["alpha"][RagRole.Admin].Key, streams: true);
        var admin = adminHost.Services.GetRequiredService<IClusterClient>();
        RequestContext.Set(RagRequestContext.ApiKey, host.Keys["alpha"][RagRole.Admin].Key);
        try
        {
            var ownTick = await Assert.ThrowsAsync<RagAccessDeniedException>(() => admin.GetGrain<IDocumentGrain>("alpha/shared/alpha-doc-1").AsReference<IRemindable>().ReceiveReminder("ingest", default));
            Assert.Equal(403, ownTick.Status);
            var deactivate = await Assert.ThrowsAsync<RagAccessDeniedException>(async () =>
                await admin.GetGrain<IRetrievalShardGrain>("alpha/shared/0").AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle());
            Assert.Equal(403, deactivate.Status);

            var fake = new OrleansRag.Monitoring.MetricsSnapshot("forged-silo", DateTimeOffset.UtcNow, 5, new Dictionary<string, OrleansRag.Monitoring.OperationStats>(),
                0, 0, 0, 0, 0, 0, 0, CpuPercent: 99, 0, 99, 0, 0);
            var stream = admin.GetStreamProvider(RagConstants.StreamProvider)
                .GetStream<OrleansRag.Monitoring.MetricsSnapshot>(StreamId.Create(OrleansRag.Monitoring.MetricsChannel.Namespace, OrleansRag.Monitoring.MetricsChannel.Key));
            var published = await Record.ExceptionAsync(() => stream.OnNextAsync(fake));
            Assert.NotNull(published);
            var chain = new List<Exception>();
            for (var e = published; e is not null; e = e.InnerException)
            {
                chain.Add(e);
            }

            Assert.Contains(chain, e => e is RagAccessDeniedException || e is AggregateException aggregate && aggregate.InnerExceptions.Any(i => i is RagAccessDeniedException));
        }
        finally
        {
            RequestContext.Clear();
        }

        using var operatorClient = host.ClientWith(host.Keys["alpha"][RagRole.Operator].Key);
        var summary = await operatorClient.GetStringAsync("v1/metrics/summary?window=1m");
        Assert.DoesNotContain("forged-silo", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reminder_ticks_and_stream_deliveries_still_reach_grains_as_the_silo_when_keys_are_configured()
    {
        // The reminder service is a silo: its tick carries the signed internal principal, so reminders keep working.
        using var alpha = host.ClientFor("alpha", RagRole.Reader);
        var target = host.App.Services.GetRequiredService<IGrainFactory>().GetGrain<IDocumentGrain>("alpha/shared/alpha-doc-1").GetGrainId();
        var registered = host.ReminderProbe.ScheduleAsync(target, "access-probe", register: true);
        (await alpha.GetAsync("v1/collections/shared/documents/alpha-doc-1")).EnsureSuccessStatusCode();
        await registered.WaitAsync(TimeSpan.FromSeconds(30));
        try
        {
            await Infrastructure.Eventually.WaitUntilAsync(
                () => Task.FromResult(host.GrainCalls.Any(c => c.Interface == nameof(IRemindable) && c.Method == nameof(IRemindable.ReceiveReminder) && c.Principal?.StartsWith("internal|", StringComparison.Ordinal) == true)),
                TimeSpan.FromSeconds(60), "a reminder tick from the reminder service, as the silo");
        }
        finally
        {
            var removed = host.ReminderProbe.ScheduleAsync(target, "access-probe", register: false);
            (await alpha.GetAsync("v1/collections/shared/documents/alpha-doc-1")).EnsureSuccessStatusCode();
            await removed.WaitAsync(TimeSpan.FromSeconds(30));
        }

        // Stream agents are silos too: the metrics stream's deliveries reach the metrics grain as the silo, every interval.
        host.GrainCalls.Clear();
        await Infrastructure.Eventually.WaitUntilAsync(
            () => Task.FromResult(host.GrainCalls.Any(c => c.Interface.Contains("Stream", StringComparison.Ordinal) && c.Principal?.StartsWith("internal|", StringComparison.Ordinal) == true)),
            TimeSpan.FromSeconds(60), "a metrics snapshot delivered by the stream agent, as the silo");
    }
}

using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Ledger.Tests.Jobs;
using Billing.Ledger.Tests.EventStore;
using Billing.Testing;
using Npgsql;

namespace Billing.Ledger.Tests.Postgres;

/// <summary>The set-wise statements of the hot paths keep probing by key however small their
/// tables were when the connection prepared them (migrations 0095-0098). Each test runs its
/// statements often enough on one connection, with the Host's auto-prepare settings, for
/// PostgreSQL to cache a generic plan while the tables are nearly empty, then grows the table to
/// 20,000 rows and counts, inside one transaction on that connection, the sequential scans the
/// next execution started (<c>pg_stat_get_xact_numscans</c>, or the shared counters flushed
/// before and after when the statement takes a connection of its own). Planned as plain top-level
/// statements, the cached plans hashed a full scan of the table on every call. Each test first
/// analyzes its tables while they are small, as autovacuum does on a young install.</summary>
[Collection(JobsCollection.Name)]
public sealed class PinnedPlanTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const int Rounds = 10;
    private NpgsqlDataSource _oneConnection = null!;

    public Task InitializeAsync()
    {
        // One physical connection, prepared after two uses: the plans the later statements run
        // are the ones cached while the tables were small.
        var settings = new NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 1, MaxAutoPrepare = 256, AutoPrepareMinUsages = 2 };
        _oneConnection = NpgsqlDataSource.Create(settings.ConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _oneConnection.DisposeAsync();

    [Fact]
    public async Task grouped_appends_probe_streams_and_events_by_key_after_the_tables_grew()
    {
        var store = new Billing.Ledger.EventStore.EventStore(_oneConnection, new EventTypeRegistry().RegisterAssembly(typeof(ThingHappened).Assembly));
        await OnFixtureConnectionAsync("ANALYZE ledger.streams, ledger.events");
        for (var round = 0; round < Rounds; round++)
        {
            await GroupAsync(store, null, null);
        }

        await OnFixtureConnectionAsync("""
            INSERT INTO ledger.streams (tenant_id, stream_id, type, version, created_at)
            SELECT 'bulk', 'bulk-' || g, 'thing', 1, now() FROM generate_series(1, 20000) g;
            INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data)
            SELECT gen_random_uuid(), 'bulk', 'bulk-' || g, 1, 'thing', '{}' FROM generate_series(1, 20000) g;
            """);

        await using var connection = await _oneConnection.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var before = store.GroupedAppendStatements;
        await GroupAsync(store, connection, transaction);

        Assert.Equal(2, store.GroupedAppendStatements - before);
        Assert.Equal((0L, 0L), (await SeqScansAsync(connection, transaction, "ledger.streams"), await SeqScansAsync(connection, transaction, "ledger.events")));
        await transaction.CommitAsync();
    }

    [Fact]
    public async Task reading_events_by_id_and_by_stream_probes_the_log_by_key_after_it_grew()
    {
        var store = new Billing.Ledger.EventStore.EventStore(_oneConnection, new EventTypeRegistry().RegisterAssembly(typeof(ThingHappened).Assembly));
        await OnFixtureConnectionAsync("ANALYZE ledger.streams, ledger.events");
        string[] streams = ["reads-a-" + Guid.NewGuid().ToString("N")[..8], "reads-b-" + Guid.NewGuid().ToString("N")[..8]];
        foreach (var stream in streams)
        {
            await store.BeginUnitOfWork().Append("acme", stream, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened(stream, 1, "EUR")), NewEvent.For(new ThingHappened(stream, 2, "EUR"))]).CommitAsync();
        }

        var ids = (await store.ReadStreamsAsync([.. streams.Select(s => ("acme", s))])).Values.SelectMany(e => e).Select(e => e.EventId).ToList();
        for (var round = 0; round < Rounds; round++)
        {
            Assert.Equal(4, (await store.ReadEventsAsync(ids)).Count);
            Assert.Equal(4, (await store.ReadStreamsAsync([.. streams.Select(s => ("acme", s))])).Values.Sum(e => e.Count));
        }

        await OnFixtureConnectionAsync("""
            INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data)
            SELECT gen_random_uuid(), 'bulk-reads', 'bulk-' || g, 1, 'thing', '{}' FROM generate_series(1, 20000) g;
            """);

        // The reads take their own connection (the only one): count through the shared
        // statistics, flushed on that connection before and after.
        var before = await FlushedSeqScansAsync("ledger.events");
        var byId = await store.ReadEventsAsync(ids);
        var byStream = await store.ReadStreamsAsync([.. streams.Select(s => ("acme", s))]);
        var seqScans = await FlushedSeqScansAsync("ledger.events") - before;

        Assert.Equal(ids.Order(), byId.Select(e => e.EventId).Order());
        Assert.All(byStream.Values, events => Assert.Equal([1L, 2L], events.Select(e => e.Version)));
        Assert.Equal(0L, seqScans);
    }

    [Fact]
    public async Task resolving_a_tenant_from_linked_objects_probes_links_and_tenants_by_key_after_they_grew()
    {
        var resolver = new StripeTenantResolver(_oneConnection);
        var customer = "cus_pinned_" + Guid.NewGuid().ToString("N")[..8];
        await OnFixtureConnectionAsync($"INSERT INTO ledger.stripe_links (stripe_id, tenant_id, kind) VALUES ('{customer}', 'acme', 'customer'); ANALYZE ledger.stripe_links, rm.tenants");
        var json = """{"id":"evt_pinned","object":"event","type":"charge.refunded","created":1767225600,"livemode":false,"data":{"object":{"id":"ch_pinned","object":"charge","customer":"CUSTOMER","metadata":{}}}}""";
        var envelope = StripeWebhookEnvelope.Parse(System.Text.Encoding.UTF8.GetBytes(json.Replace("CUSTOMER", customer, StringComparison.Ordinal)));
        for (var round = 0; round < Rounds; round++)
        {
            var warm = await resolver.ResolveAsync(envelope, default);
            Assert.Equal(("acme", "link:cus"), (warm.TenantId, warm.ResolvedBy));
        }

        await OnFixtureConnectionAsync("""
            INSERT INTO ledger.stripe_links (stripe_id, tenant_id, kind) SELECT 'ch_bulk_' || g, 'bulk', 'charge' FROM generate_series(1, 20000) g;
            INSERT INTO rm.tenants (tenant_id, name, plan_id, currency, billing_email, time_zone, stripe_customer_id, created_at, updated_at, version)
            SELECT 'bulk-' || g, 'Bulk', 'starter', 'EUR', 'b@example.com', 'UTC', 'cus_bulk_' || g, now(), now(), 1 FROM generate_series(1, 20000) g;
            """);

        var before = (await FlushedSeqScansAsync("ledger.stripe_links"), await FlushedSeqScansAsync("rm.tenants"));
        var resolved = await resolver.ResolveAsync(envelope, default);
        var after = (await FlushedSeqScansAsync("ledger.stripe_links"), await FlushedSeqScansAsync("rm.tenants"));

        Assert.Equal(("acme", true), (resolved.TenantId, resolved.Matched));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task completing_claimed_jobs_probes_the_job_table_by_key_after_it_grew()
    {
        var clock = JobTestKit.NewClock();
        var type = JobTestKit.NewType("pinned");
        var queue = new JobQueue(_oneConnection, clock);
        var table = new JobTable(_oneConnection, clock, "pinned-plan");
        await OnFixtureConnectionAsync("ANALYZE ledger.jobs");
        for (var round = 0; round < Rounds; round++)
        {
            await queue.EnqueueAsync(JobTestKit.Request(type), default);
            await queue.EnqueueAsync(JobTestKit.Request(type), default);
            var claimed = await table.ClaimAsync([type], 2, TimeSpan.FromMinutes(5), default);
            Assert.Equal(2, (await table.CompleteManyAsync(claimed, default)).Count);
        }

        await OnFixtureConnectionAsync("""
            INSERT INTO ledger.jobs (type, payload, tenant_id, run_at, state, completed_at, created_at, updated_at)
            SELECT 'bulk.done', '{}', 'bulk', now(), 'completed', now(), now(), now() FROM generate_series(1, 20000);
            """);

        await queue.EnqueueAsync(JobTestKit.Request(type), default);
        await queue.EnqueueAsync(JobTestKit.Request(type), default);
        var last = await table.ClaimAsync([type], 2, TimeSpan.FromMinutes(5), default);
        await using var connection = await _oneConnection.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var completed = await table.CompleteManyInAsync(last, connection, transaction, default);

        Assert.Equal(last.Select(j => j.Job.Id).ToHashSet(), completed);
        Assert.Equal(0L, await SeqScansAsync(connection, transaction, "ledger.jobs"));
        await transaction.CommitAsync();
    }

    /// <summary>Migration 0103: a claim walks only the due jobs of the types it asks for. Before,
    /// it walked every due job in due order and filtered by type, so due jobs of types nobody
    /// was taking (a type held back during a webhook storm, a Host without that handler) made
    /// every claim O(their number).</summary>
    [Fact]
    public async Task claiming_one_type_walks_only_that_types_due_jobs()
    {
        var clock = JobTestKit.NewClock();
        var type = JobTestKit.NewType("claim-by-type");
        var other = JobTestKit.NewType("claim-other");
        var queue = new JobQueue(_oneConnection, clock);
        await OnFixtureConnectionAsync($$"""
            INSERT INTO ledger.jobs (type, payload, tenant_id, run_at, created_at, updated_at)
            SELECT '{{other}}', '{}', 'bulk', '{{clock.GetUtcNow().AddHours(-1):O}}'::timestamptz, now(), now() FROM generate_series(1, 5000);
            ANALYZE ledger.jobs;
            """);
        try
        {
            var first = await queue.EnqueueAsync(JobTestKit.Request(type), default);
            var second = await queue.EnqueueAsync(JobTestKit.Request(type), default);
            await using var connection = await _oneConnection.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var claim = new NpgsqlCommand("SELECT id FROM ledger.claim_jobs($1, $2, 16, 'claim-test', interval '5 minutes')", connection, transaction);
            claim.Parameters.AddWithValue(clock.GetUtcNow());
            claim.Parameters.AddWithValue(new[] { type });
            var claimed = new List<long>();
            await using (var reader = await claim.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    claimed.Add(reader.GetInt64(0));
                }
            }

            Assert.Equal([first!.Value, second!.Value], claimed.Order());
            await using var walked = new NpgsqlCommand("SELECT pg_stat_get_xact_tuples_returned('ledger.jobs_claimable_idx'::regclass)", connection, transaction);
            var entries = (long)(await walked.ExecuteScalarAsync())!;
            Assert.True(entries < 50, $"the claim walked {entries} index entries for 2 due jobs of its type");
            await transaction.RollbackAsync();
        }
        finally
        {
            await OnFixtureConnectionAsync($"DELETE FROM ledger.jobs WHERE type = '{other}'");
        }
    }

    /// <summary>Migrations 0100-0102: a pinned function must also plan once per connection. Its
    /// statements over array parameters otherwise get a fresh custom plan on every call (the
    /// planner counts the actual elements, so the custom plan always looks cheaper), and a SQL
    /// function that cannot be inlined is planned on every call whatever the plan cache mode.
    /// Migration 0106: and it turns JIT off, since a statement with no index path is costed at
    /// 1e10 with sequential scans disabled and would be JIT-compiled on every call.</summary>
    [Fact]
    public async Task every_pinned_function_is_plpgsql_forces_its_generic_plan_and_turns_jit_off()
    {
        await using var command = db.DataSource.CreateCommand("""
            SELECT p.oid::regprocedure::text, l.lanname, 'plan_cache_mode=force_generic_plan' = ANY (p.proconfig), 'jit=off' = ANY (p.proconfig)
              FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
             WHERE p.pronamespace = 'ledger'::regnamespace AND 'enable_seqscan=off' = ANY (p.proconfig)
             ORDER BY 1
            """);
        var pinned = new List<(string Function, string Language, bool Generic, bool NoJit)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                pinned.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
            }
        }

        Assert.Contains(pinned, f => f.Function.StartsWith("ledger.claim_jobs(", StringComparison.Ordinal));
        Assert.Contains(pinned, f => f.Function.StartsWith("ledger.append_to_stream(", StringComparison.Ordinal));
        Assert.True(pinned.Count >= 13, $"only {pinned.Count} pinned functions: {string.Join(", ", pinned.Select(f => f.Function))}");
        Assert.Contains(pinned, f => f.Function.StartsWith("ledger.dispatch_stripe_webhooks(", StringComparison.Ordinal));
        Assert.All(pinned, f => Assert.Equal((f.Function, "plpgsql", true, true), f));
    }

    /// <summary>A NoStream group of two new streams, then an Exact(1) group on the same two.</summary>
    private static async Task GroupAsync(Billing.Ledger.EventStore.EventStore store, NpgsqlConnection? connection, NpgsqlTransaction? transaction)
    {
        var streams = Enumerable.Range(0, 2).Select(_ => "pinned-" + Guid.NewGuid().ToString("N")[..8]).ToArray();
        foreach (var expected in new[] { ExpectedVersion.NoStream, ExpectedVersion.Exact(1) })
        {
            var uow = streams.Aggregate(store.BeginUnitOfWork(), (u, s) => u.Append("acme", s, "thing", expected, [NewEvent.For(new ThingHappened(s, 1, "EUR"))]));
            var results = connection is null ? await uow.CommitAsync() : await uow.CommitAsync(connection, transaction!);
            Assert.All(results, r => Assert.False(r.Duplicate));
        }
    }

    /// <summary>Runs <paramref name="sql"/> on another connection (the fixture's).</summary>
    private async Task OnFixtureConnectionAsync(string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Sequential scans of <paramref name="table"/> in the shared statistics, after the
    /// one connection flushed what it counted so far.</summary>
    private async Task<long> FlushedSeqScansAsync(string table)
    {
        await using (var flush = _oneConnection.CreateCommand("SELECT pg_stat_force_next_flush()"))
        {
            await flush.ExecuteNonQueryAsync();
        }

        await using var count = _oneConnection.CreateCommand("SELECT pg_stat_get_numscans($1::regclass)");
        count.Parameters.AddWithValue(table);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>Sequential scans of <paramref name="table"/> this transaction started so far.</summary>
    private static async Task<long> SeqScansAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table)
    {
        await using var command = new NpgsqlCommand("SELECT pg_stat_get_xact_numscans($1::regclass)", connection, transaction);
        command.Parameters.AddWithValue(table);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

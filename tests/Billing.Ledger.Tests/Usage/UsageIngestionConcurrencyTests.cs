using Billing.Ledger.Pricing;
using Billing.Ledger.Usage;
using Billing.Testing;
using static Billing.Ledger.Tests.Usage.LedgerWorld;

namespace Billing.Ledger.Tests.Usage;

public sealed class UsageIngestionConcurrencyTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly LedgerWorld _world = new(db, DateTimeOffset.Parse("2026-03-20T12:00:00Z"));

    /// <summary>Found by the ingest benchmark: batches listing the same tenants in different
    /// orders used to lock those tenants' usage streams in different orders and deadlock (40P01).
    /// Batches take shards round-robin, so only batches more than the shard count apart meet on a
    /// stream: twice as many workers as shards, over many rounds, make a regression show up.</summary>
    [Fact]
    public async Task concurrent_batches_naming_the_same_tenants_in_opposite_orders_all_commit()
    {
        var tenants = new[] { await _world.TenantAsync(), await _world.TenantAsync(), await _world.TenantAsync() };
        const int workers = 2 * UsageStreams.Shards, rounds = 15;
        var runs = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var order = w % 2 == 0 ? tenants : [.. tenants.Reverse()];
            for (var r = 0; r < rounds; r++)
            {
                var batch = order.Select(t => Event(t, $"w{w}-r{r}", 1, "2026-03-20T10:00:00Z")).ToArray();
                var results = await _world.IngestAsync(batch);
                Assert.All(results, result => Assert.Equal(UsageStatus.Accepted, result.Status));
            }
        }));
        await Task.WhenAll(runs);

        foreach (var tenant in tenants)
        {
            Assert.Equal(workers * rounds, await _world.UsageEventCountAsync(tenant));
            Assert.Equal(workers * rounds, await _world.DailyAsync(tenant, DefaultPlans.ApiCalls, "2026-03-20"));
        }
    }

    /// <summary>Two batches racing on one id with different payloads: the one that commits first
    /// stores it, the other waits for that commit and reports a conflict (never accepts it too,
    /// never drops it silently).</summary>
    [Fact]
    public async Task racing_batches_sending_one_id_with_different_payloads_store_one_and_report_a_conflict()
    {
        var t = await _world.TenantAsync();
        const int rounds = 20;
        for (var r = 0; r < rounds; r++)
        {
            var pair = await Task.WhenAll(
                Task.Run(() => _world.IngestAsync(Event(t, $"r{r}-own-a", 1, "2026-03-20T10:00:00Z"), Event(t, $"race-{r}", 10, "2026-03-20T10:00:00Z"))),
                Task.Run(() => _world.IngestAsync(Event(t, $"race-{r}", 20, "2026-03-20T10:00:00Z"), Event(t, $"r{r}-own-b", 1, "2026-03-20T10:00:00Z"))));

            var raced = new[] { pair[0][1], pair[1][0] };
            Assert.Equal([UsageStatus.Accepted, UsageStatus.Conflict], raced.Select(x => x.Status).Order());
            Assert.StartsWith("same id as the stored event", raced.Single(x => x.Status == UsageStatus.Conflict).Reason, StringComparison.Ordinal);
            Assert.Equal(UsageStatus.Accepted, pair[0][0].Status);
            Assert.Equal(UsageStatus.Accepted, pair[1][1].Status);
        }

        Assert.Equal(rounds * 3, await _world.UsageEventCountAsync(t));
        var raceTotal = await RaceWinnersTotalAsync(t);
        Assert.Equal((rounds * 2) + raceTotal, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"));
    }

    /// <summary>Many batches over several tenants, days and shards, re-sending each other's ids
    /// with the same payload: every id is counted once, in the event log and in the rollup.</summary>
    [Fact]
    public async Task the_rollup_after_concurrent_batches_with_shared_ids_counts_each_id_once()
    {
        var tenants = new[] { await _world.TenantAsync(), await _world.TenantAsync("Asia/Tokyo") };
        const int workers = 6, ids = 120;
        var runs = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            // Worker w sends ids [20w, 20w + 60): each id is sent by up to three workers.
            var batch = Enumerable.Range(20 * w, 60).Where(i => i < ids)
                .Select(i => Event(tenants[i % 2], $"id-{i}", i, i % 3 == 0 ? "2026-03-19T16:00:00Z" : "2026-03-20T10:00:00Z"))
                .ToArray();
            return await _world.IngestAsync(batch);
        }));
        var results = (await Task.WhenAll(runs)).SelectMany(r => r).ToList();

        Assert.Equal(ids, results.Count(r => r.Status == UsageStatus.Accepted));
        Assert.All(results, r => Assert.Contains(r.Status, new[] { UsageStatus.Accepted, UsageStatus.Duplicate }));
        for (var k = 0; k < 2; k++)
        {
            var mine = Enumerable.Range(0, ids).Where(i => i % 2 == k).ToList();
            Assert.Equal(mine.Count, await _world.UsageEventCountAsync(tenants[k]));
            var total = 0m;
            foreach (var day in new[] { "2026-03-19", "2026-03-20" })
            {
                total += await _world.DailyAsync(tenants[k], DefaultPlans.ApiCalls, day);
            }

            Assert.Equal(mine.Sum(i => (decimal)i), total);
        }

        // Tokyo is UTC+9: 16:00Z on the 19th is the 20th there; New York (UTC-4) keeps the 19th.
        Assert.Equal(Enumerable.Range(0, ids).Where(i => i % 2 == 0 && i % 3 == 0).Sum(i => (decimal)i), await _world.DailyAsync(tenants[0], DefaultPlans.ApiCalls, "2026-03-19"));
        Assert.Equal(0m, await _world.DailyAsync(tenants[1], DefaultPlans.ApiCalls, "2026-03-19"));
    }

    private async Task<decimal> RaceWinnersTotalAsync(string tenant)
    {
        await using var command = _world.Store.DataSource.CreateCommand(
            "SELECT coalesce(sum((data->>'quantity')::numeric), 0) FROM ledger.events WHERE tenant_id = $1 AND data->>'clientEventId' LIKE 'race-%'");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenant });
        return (decimal)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The claim waits for a transaction holding one of its ids; once that commits, the
    /// claim's own snapshot cannot see the row, and the batch classifies against it with a fresh
    /// look-up instead of failing or accepting the id twice.</summary>
    [Theory]
    [InlineData(5, UsageStatus.Duplicate)]
    [InlineData(6, UsageStatus.Conflict)]
    public async Task a_batch_waiting_on_an_uncommitted_claim_classifies_against_it_once_committed(decimal storedQuantity, UsageStatus expected)
    {
        var t = await _world.TenantAsync();
        var stored = Event(t, "held", storedQuantity, "2026-03-20T10:00:00Z");
        await using var holder = await _world.Store.DataSource.OpenConnectionAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await using (var claim = new Npgsql.NpgsqlCommand("INSERT INTO ledger.usage_dedupe (tenant_id, client_event_id, payload_hash, event_id) VALUES ($1, 'held', $2, $3)", holder, tx))
        {
            claim.Parameters.Add(new Npgsql.NpgsqlParameter { Value = t });
            claim.Parameters.Add(new Npgsql.NpgsqlParameter { Value = stored.PayloadHash() });
            claim.Parameters.Add(new Npgsql.NpgsqlParameter { Value = UsageInput.EventIdOf(t, "held") });
            await claim.ExecuteNonQueryAsync();
        }

        var ingest = Task.Run(() => _world.IngestAsync(Event(t, "before", 1, "2026-03-20T10:00:00Z"), Event(t, "held", 5, "2026-03-20T10:00:00Z")));
        await WaitUntilAsync(async () => await ClaimsWaitingOnLocksAsync() > 0 || ingest.IsCompleted);
        Assert.False(ingest.IsCompleted);
        await tx.CommitAsync();

        var results = await ingest;
        Assert.Equal([UsageStatus.Accepted, expected], results.Select(r => r.Status));
        Assert.Equal(1, await _world.UsageEventCountAsync(t));
        Assert.Equal(1m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"));
    }

    private async Task<long> ClaimsWaitingOnLocksAsync()
    {
        await using var command = _world.Store.DataSource.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO ledger.usage_dedupe%'");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            await Task.Yield();
        }
    }
}

using Billing.Ledger.Pricing;
using Billing.Ledger.Usage;
using Billing.Testing;
using static Billing.Ledger.Tests.Usage.LedgerWorld;

namespace Billing.Ledger.Tests.Usage;

public sealed class UsageIngestionTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly LedgerWorld _world = new(db, DateTimeOffset.Parse("2026-03-20T12:00:00Z"));

    [Fact]
    public async Task a_resent_event_is_a_duplicate_and_counted_once()
    {
        var t = await _world.TenantAsync();
        var first = await _world.IngestAsync(Event(t, "e1", 5, "2026-03-20T10:00:00Z"));
        var again = await _world.IngestAsync(Event(t, "e1", 5.0m, "2026-03-20T06:00:00-04:00"));

        Assert.Equal(UsageStatus.Accepted, Assert.Single(first).Status);
        Assert.Equal(UsageStatus.Duplicate, Assert.Single(again).Status);
        Assert.Equal(1, await _world.UsageEventCountAsync(t));
        Assert.Equal(5m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"));
    }

    [Fact]
    public async Task the_same_id_with_a_different_payload_is_a_conflict_and_changes_nothing()
    {
        var t = await _world.TenantAsync();
        await _world.IngestAsync(Event(t, "e1", 5, "2026-03-20T10:00:00Z"));
        var conflict = Assert.Single(await _world.IngestAsync(Event(t, "e1", 6, "2026-03-20T10:00:00Z")));

        Assert.Equal(UsageStatus.Conflict, conflict.Status);
        Assert.Equal(5m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"));
    }

    [Fact]
    public async Task repeats_inside_one_batch_are_classified_against_the_first()
    {
        var t = await _world.TenantAsync();
        var results = await _world.IngestAsync(Event(t, "a", 1, "2026-03-20T10:00:00Z"), Event(t, "a", 1, "2026-03-20T10:00:00Z"), Event(t, "a", 2, "2026-03-20T10:00:00Z"));
        Assert.Equal([UsageStatus.Accepted, UsageStatus.Duplicate, UsageStatus.Conflict], results.Select(r => r.Status));
        Assert.Equal(1m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"));
    }

    [Fact]
    public async Task contract_violations_are_rejected_with_reasons_and_the_rest_is_accepted()
    {
        var t = await _world.TenantAsync();
        var results = await _world.IngestAsync(
            Event(t, "ok", 1, "2026-03-20T12:04:00Z"),
            Event("nobody", "u1", 1, "2026-03-20T10:00:00Z"),
            Event(t, "m1", 1, "2026-03-20T10:00:00Z", metric: "bananas"),
            Event(t, "n1", -1, "2026-03-20T10:00:00Z"),
            Event(t, "f1", 1, "2026-03-20T12:05:01Z"),
            Event(t, "l1", 1, "2026-02-18T11:59:59Z"),
            new UsageInput("", t, DefaultPlans.ApiCalls, 1, DateTimeOffset.Parse("2026-03-20T10:00:00Z"), null));

        Assert.Equal(
            [null, "unknown_tenant", "unknown_metric", "negative_quantity", "timestamp_in_future", "timestamp_outside_lookback", "invalid_id"],
            results.Select(r => r.Reason));
        Assert.Equal(UsageStatus.Accepted, results[0].Status);
        Assert.Equal(1, await _world.UsageEventCountAsync(t));
    }

    [Fact]
    public async Task the_rollup_counts_usage_on_the_tenants_local_day()
    {
        var t = await _world.TenantAsync("Asia/Tokyo");
        // 14:59 UTC = 23:59 in Tokyo on the 19th; 15:00 UTC = 00:00 on the 20th.
        await _world.IngestAsync(Event(t, "late-evening", 3, "2026-03-19T14:59:00Z"), Event(t, "midnight", 4, "2026-03-19T15:00:00Z"));
        Assert.Equal(3m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-19"));
        Assert.Equal(4m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"));
    }

    [Fact]
    public async Task concurrent_batches_with_overlapping_ids_store_each_id_once()
    {
        var t = await _world.TenantAsync();
        var batches = Enumerable.Range(0, 6).Select(b =>
            Enumerable.Range(0, 50).Select(i => Event(t, $"id-{(b * 25) + i}", 1, "2026-03-20T10:00:00Z")).ToArray());

        var results = await Task.WhenAll(batches.Select(b => Task.Run(() => _world.IngestAsync(b))));

        var accepted = results.SelectMany(r => r).Where(r => r.Status == UsageStatus.Accepted).Select(r => r.ClientEventId).ToList();
        Assert.Equal(175, accepted.Count);
        Assert.Equal(175, accepted.Distinct().Count());
        Assert.DoesNotContain(results.SelectMany(r => r), r => r.Status is UsageStatus.Conflict or UsageStatus.Rejected);
        Assert.Equal(175, await _world.UsageEventCountAsync(t));
        Assert.Equal(175m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"));
    }

    [Fact]
    public async Task rebuilding_the_rollup_from_events_reproduces_it()
    {
        var t = await _world.TenantAsync("Europe/Berlin");
        await _world.IngestAsync(Event(t, "r1", 2.5m, "2026-03-19T22:30:00Z"), Event(t, "r2", 1, "2026-03-20T01:00:00Z"), Event(t, "r3", 7, "2026-03-20T01:00:00Z", DefaultPlans.StorageGb));
        var before = (await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-19"), await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"), await _world.DailyAsync(t, DefaultPlans.StorageGb, "2026-03-20"));

        await UsageRollup.RebuildAsync(_world.Store, CancellationToken.None);

        var after = (await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-19"), await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-20"), await _world.DailyAsync(t, DefaultPlans.StorageGb, "2026-03-20"));
        Assert.Equal((2.5m, 1m, 7m), before);
        Assert.Equal(before, after);
    }
}

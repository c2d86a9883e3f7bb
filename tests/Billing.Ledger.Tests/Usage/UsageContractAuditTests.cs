using Billing.Ledger.EventStore;
using Billing.Ledger.Usage;
using Billing.Testing;

namespace Billing.Ledger.Tests.Usage;

public sealed class UsageContractAuditTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly LedgerWorld _world = new(db, DateTimeOffset.Parse("2026-03-20T12:00:00Z"));

    [Fact]
    public async Task stored_usage_that_breaks_the_contract_is_reported_and_valid_usage_is_not()
    {
        var t = await _world.TenantAsync();
        await _world.IngestAsync(LedgerWorld.Event(t, "fine", 1, "2026-03-20T11:00:00Z"));
        // Written around ingestion, as an older version or a bad import could have done.
        await _world.Store.AppendAsync(t, UsageStreams.IdOf(t, 0), UsageStreams.Type, ExpectedVersion.Any,
        [
            NewEvent.For(new UsageRecorded("bad-metric", "bananas", 1, DateTimeOffset.Parse("2026-03-20T11:00:00Z"), new DateOnly(2026, 3, 20), null, "x")),
            NewEvent.For(new UsageRecorded("too-old", "api_calls", 1, DateTimeOffset.Parse("2026-01-01T00:00:00Z"), new DateOnly(2026, 1, 1), null, "y")),
        ]);
        await _world.Store.AppendAsync("ghost", UsageStreams.IdOf("ghost", 0), UsageStreams.Type, ExpectedVersion.Any,
            [NewEvent.For(new UsageRecorded("g", "api_calls", 1, DateTimeOffset.Parse("2026-03-20T11:00:00Z"), new DateOnly(2026, 3, 20), null, "z"))]);

        var violations = await new UsageContractAudit(_world.Store.DataSource, _world.Catalogue, _world.Clock).FindAsync(30, CancellationToken.None);

        Assert.Equal(
            [("bad-metric", "unknown_metric"), ("g", "unknown_tenant"), ("too-old", "timestamp_outside_lookback")],
            violations.Select(v => (v.ClientEventId, v.Reason)).Order());
    }
}

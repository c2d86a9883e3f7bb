using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Projections.Tests;

/// <summary>A projection that declares it uses only headers gets pages without payloads from
/// the daemon, with every header (type, stream, version, metadata) intact.</summary>
public sealed class HeaderOnlyReadTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    /// <summary>Records, per event, what the daemon handed it.</summary>
    private sealed class HeaderProbe(string name, bool readsData) : EventProjection
    {
        public override string Name => name;

        public override IReadOnlyCollection<string>? EventTypes => ["ptest.deposited.v1"];

        public override bool ReadsEventData => readsData;

        public override IReadOnlyList<ReadModelTable> Tables { get; } =
        [
            new(name, "event_id uuid NOT NULL, stream_id text NOT NULL, version bigint NOT NULL, type text NOT NULL, correlation_id text NULL, data text NOT NULL", "event_id"),
        ];

        protected override void Apply(ProjectedEvent e, IProjectionWriter writer) =>
            writer.Execute($"INSERT INTO {writer.Table(name)} VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                e.EventId, e.StreamId, e.Version, e.Type, e.Metadata.CorrelationId, e.Data is EventDataNotRead ? "not read" : e.Data.ToString());
    }

    private async Task<List<string>> SeenAsync(string projection, bool readsData, string tenant)
    {
        var probe = new HeaderProbe(projection, readsData);
        var catalog = await db.RegisterAsync(new ProjectionRegistration(probe, ProjectionMode.Async));
        var store = db.CreateStore();
        await store.BeginUnitOfWork(new EventMetadata("corr-" + tenant)).Append(tenant, tenant + "-acct", "account", ExpectedVersion.NoStream, new Deposited(7), new Deposited(8)).CommitAsync();
        await using var daemon = RunningDaemon.Start(store, catalog, "node-a");
        await Eventually.CaughtUpAsync(db, store, catalog, projection);
        return await db.ScalarAsync<string>($"SELECT string_agg(stream_id || '/' || version || '/' || type || '/' || correlation_id || '/' || data, '|' ORDER BY version) FROM rm.{projection} WHERE stream_id = $1", tenant + "-acct") is { } rows
            ? [.. rows.Split('|')]
            : [];
    }

    [Fact]
    public async Task a_header_only_projection_sees_every_header_and_no_payload()
    {
        var seen = await SeenAsync("probe_headers", readsData: false, tenant: "hdr");

        Assert.Equal(["hdr-acct/1/ptest.deposited.v1/corr-hdr/not read", "hdr-acct/2/ptest.deposited.v1/corr-hdr/not read"], seen);
    }

    [Fact]
    public async Task a_projection_that_reads_data_still_gets_the_payload()
    {
        var seen = await SeenAsync("probe_data", readsData: true, tenant: "dat");

        Assert.Equal(["dat-acct/1/ptest.deposited.v1/corr-dat/Deposited { Amount = 7 }", "dat-acct/2/ptest.deposited.v1/corr-dat/Deposited { Amount = 8 }"], seen);
    }
}

using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Projections.Tests;

/// <summary>A rebuild deserialises each page in parallel; the projection must still see every
/// event once, in commit order, in pages of exactly the page size, each event with its own data.</summary>
public sealed class ReplayOrderTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task parallel_deserialisation_keeps_commit_order_page_boundaries_and_each_events_data()
    {
        var projection = new RecordingProjection("replay_order");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore();
        for (var append = 0; append < 60; append++)
        {
            var stream = $"ro-{append % 7}";
            var from = append / 7 * 100;
            var headers = append % 10 == 3 ? new Dictionary<string, string> { ["append"] = $"{append}" } : null;
            var metadata = append % 10 == 5 ? new EventMetadata(CorrelationId: $"corr-{append}") : null;
            await store.AppendAsync("ro", stream, "counter", ExpectedVersion.Any,
                Enumerable.Range(1, 100).Select(i => new NewEvent(Guid.CreateVersion7(), new Counted(stream, from + i), headers)), metadata);
        }

        await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 2_500));

        Assert.Equal([2_500, 2_500, 1_000], projection.Pages.Select(p => p.Count));
        var seen = projection.Pages.SelectMany(p => p).ToList();
        var logged = new List<long>();
        await using (var command = db.DataSource.CreateCommand("SELECT global_position FROM ledger.events WHERE type = 'ptest.counted.v1' ORDER BY 1"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                logged.Add(reader.GetInt64(0));
            }
        }

        Assert.Equal(logged, seen.Select(e => e.Position!.Value.GlobalPosition));
        Assert.All(seen, e => Assert.Equal(new Counted(e.StreamId, e.Version), e.Data));
        Assert.All(seen.GroupBy(e => e.StreamId), s => Assert.Equal(Enumerable.Range(1, s.Count()).Select(v => (long)v), s.Select(e => e.Version)));
        var withHeaders = seen.Where(e => e.Metadata.Headers is not null).ToList();
        Assert.Equal(600, withHeaders.Count);
        Assert.All(withHeaders, e =>
        {
            var append = int.Parse(e.Metadata.Headers!["append"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"ro-{append % 7}", e.StreamId);
            Assert.InRange(e.Version, (append / 7 * 100) + 1, (append / 7 * 100) + 100);
        });
        Assert.Equal(600, seen.Count(e => e.Metadata.CorrelationId is { } c && c.StartsWith("corr-", StringComparison.Ordinal)));
        Assert.Equal(4_800, seen.Count(e => e.Metadata == EventMetadata.Empty));
    }

}

/// <summary>Writes nothing; records every batch of <c>ptest.counted.v1</c> events it is given.</summary>
internal sealed class RecordingProjection(string name) : IProjection
{
    public string Name => name;

    public IReadOnlyCollection<string>? EventTypes { get; } = ["ptest.counted.v1"];

    public IReadOnlyList<ReadModelTable> Tables { get; } = [new(name, "id bigint NOT NULL", "id")];

    public List<IReadOnlyList<ProjectedEvent>> Pages { get; } = [];

    public void Apply(IReadOnlyList<ProjectedEvent> events, IProjectionWriter writer) => Pages.Add(events.ToList());
}

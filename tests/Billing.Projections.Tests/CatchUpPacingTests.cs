using System.Diagnostics;
using Billing.Ledger.EventStore;
using Billing.Projections.Daemon;
using Billing.Testing;

namespace Billing.Projections.Tests;

/// <summary>A caught-up agent under a steady stream of commits reads at most one page per
/// <see cref="ProjectionDaemonOptions.CatchUpInterval"/>, instead of one per commit.</summary>
public sealed class CatchUpPacingTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task a_caught_up_agent_gathers_events_arriving_one_commit_at_a_time_into_one_page_per_interval()
    {
        var projection = new PageLogProjection("daemon_pacing");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        var interval = TimeSpan.FromMilliseconds(300);
        var options = RunningDaemon.Fast("node-a", pageSize: 500) with { CatchUpInterval = interval };
        await using var daemon = RunningDaemon.Start(store, catalog, options);
        await store.DepositAsync("pace", "pace-first", 1);
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);

        const int commits = 150;
        var writing = Stopwatch.StartNew();
        for (var i = 0; i < commits; i++)
        {
            await store.DepositAsync("pace", $"pace-{i}", 1);
        }

        writing.Stop();
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);

        // Every event applied exactly once, in pages: the first deposit's page, then at most
        // one page per interval while the writer ran, plus the one that found its last commits.
        Assert.Equal(commits + 1, await db.ScalarAsync<long>("SELECT sum(events) FROM rm.daemon_pacing"));
        var pages = await db.ScalarAsync<long>("SELECT count(*) FROM rm.daemon_pacing");
        var bound = 2 + (long)Math.Ceiling(writing.Elapsed / interval);
        Assert.True(pages <= bound, $"{pages} pages for {commits} commits in {writing.Elapsed.TotalMilliseconds:F0} ms; at most {bound} expected");
    }

    /// <summary>One row per applied page of deposits: how many events it held.</summary>
    private sealed class PageLogProjection(string name) : IProjection
    {
        public string Name => name;

        public IReadOnlyCollection<string>? EventTypes { get; } = ["ptest.deposited.v1"];

        public IReadOnlyList<ReadModelTable> Tables => [new(name, "page uuid NOT NULL, events int NOT NULL", "page")];

        public bool ReadsEventData => false;

        public void Apply(IReadOnlyList<ProjectedEvent> events, IProjectionWriter writer)
        {
            var count = events.Count(e => e.TenantId == "pace");
            if (count > 0)
            {
                writer.Execute($"INSERT INTO {writer.Table(name)} (page, events) VALUES ($1, $2)", Guid.NewGuid(), count);
            }
        }
    }
}

using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Ledger.Tests.EventStore;

/// <summary>The settled position waits for transactions that appended and are still open, and
/// says so when the wait is long.</summary>
public sealed class LogFenceTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task an_open_appending_transaction_holds_the_fence_and_a_long_wait_is_logged_once_with_its_pid()
    {
        var store = db.CreateStore();
        await using var writer = await db.DataSource.OpenConnectionAsync();
        await using var open = await writer.BeginTransactionAsync();
        var appended = await store.BeginUnitOfWork()
            .Append("acme", "fence-" + Guid.NewGuid().ToString("N")[..8], "thing", ExpectedVersion.NoStream, new ThingHappened("held", 1, "EUR"))
            .CommitAsync(writer, open);
        var logger = new ListLogger();

        var settling = LogFence.SettledAsync(db.DataSource, default, logger, TimeSpan.FromMilliseconds(50));
        await Poll.UntilAsync(() => Task.FromResult(logger.Lines.Count), n => n > 0, what: "the warning about the held fence");

        Assert.False(settling.IsCompleted);
        await open.CommitAsync();
        var settled = await settling.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(settled >= appended[0].LastPosition, $"settled at {settled}, before the held event at {appended[0].LastPosition}");
        var warning = Assert.Single(logger.Lines);
        Assert.Contains($"backend pids {writer.ProcessID}", warning, StringComparison.Ordinal);
    }
}

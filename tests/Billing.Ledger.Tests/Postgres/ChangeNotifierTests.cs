using System.Threading.Channels;
using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Postgres;
using Billing.Ledger.Tests.EventStore;
using Billing.Testing;
using Npgsql;

namespace Billing.Ledger.Tests.Postgres;

/// <summary>Writers notify listeners after their commit, never from inside it. A negative
/// ("nothing was notified") is proven without waiting: a marker NOTIFY sent afterwards must be
/// the next notification, because PostgreSQL delivers notifications in commit order.</summary>
public sealed class ChangeNotifierTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static string NewStream() => "thing-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task the_events_table_has_no_notifying_trigger()
    {
        await using var command = db.DataSource.CreateCommand(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ledger.events'::regclass AND NOT tgisinternal");
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task a_committed_append_notifies_ledger_events()
    {
        await using var listener = await Listener.StartAsync(db.DataSource, LedgerChannels.Events);
        var store = db.CreateStore();

        await store.AppendAsync("acme", NewStream(), "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("a", 1, "EUR"))]);

        Assert.Equal("", await listener.NextPayloadAsync());
    }

    [Fact]
    public async Task an_append_in_the_callers_open_transaction_notifies_only_after_commit()
    {
        await using var listener = await Listener.StartAsync(db.DataSource, LedgerChannels.Events);
        var store = db.CreateStore();
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var uow = store.BeginUnitOfWork().Append("acme", NewStream(), "thing", ExpectedVersion.NoStream, new ThingHappened("a", 1, "EUR"));
        await uow.CommitAsync(connection, tx);
        await ChangeNotifier.For(db.DataSource).DrainAsync();

        await SendMarkerAsync(LedgerChannels.Events);
        Assert.Equal("marker", await listener.NextPayloadAsync());

        await tx.CommitAsync();
        uow.NotifyCommitted();
        Assert.Equal("", await listener.NextPayloadAsync());
    }

    [Fact]
    public async Task a_due_job_notifies_ledger_jobs_and_a_scheduled_one_does_not()
    {
        await using var listener = await Listener.StartAsync(db.DataSource, LedgerChannels.Jobs);
        var queue = new JobQueue(db.DataSource);

        await queue.EnqueueAsync(new JobRequest("notify.test", "{}", RunAt: DateTimeOffset.UtcNow.AddDays(3)), default);
        await ChangeNotifier.For(db.DataSource).DrainAsync();
        await SendMarkerAsync(LedgerChannels.Jobs);
        Assert.Equal("marker", await listener.NextPayloadAsync());

        await queue.EnqueueAsync(new JobRequest("notify.test", "{}"), default);
        Assert.Equal("", await listener.NextPayloadAsync());
    }

    [Fact]
    public async Task pulses_in_a_burst_are_coalesced_and_the_last_one_is_always_sent()
    {
        await using var listener = await Listener.StartAsync(db.DataSource, LedgerChannels.Events);
        var notifier = ChangeNotifier.For(db.DataSource);

        Parallel.For(0, 500, _ => notifier.Pulse(LedgerChannels.Events));
        await notifier.DrainAsync();
        await SendMarkerAsync(LedgerChannels.Events);

        var received = 0;
        while (await listener.NextPayloadAsync() != "marker")
        {
            received++;
        }

        Assert.InRange(received, 1, 499);
    }

    private async Task SendMarkerAsync(string channel)
    {
        await using var command = db.DataSource.CreateCommand("SELECT pg_notify($1, 'marker')");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = channel });
        await command.ExecuteNonQueryAsync();
    }

    private sealed class Listener : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly Channel<string> _payloads = Channel.CreateUnbounded<string>();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        private Listener(NpgsqlConnection connection) => _connection = connection;

        public static async Task<Listener> StartAsync(NpgsqlDataSource dataSource, string channel)
        {
            var listener = new Listener(await dataSource.OpenConnectionAsync());
            listener._connection.Notification += (_, e) => listener._payloads.Writer.TryWrite(e.Payload);
            await using (var command = new NpgsqlCommand($"LISTEN {channel}", listener._connection))
            {
                await command.ExecuteNonQueryAsync();
            }

            listener._loop = listener.PumpAsync();
            return listener;
        }

        public async Task<string> NextPayloadAsync()
        {
            using var deadline = new CancellationTokenSource(Deadline);
            return await _payloads.Reader.ReadAsync(deadline.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
                // Stopped on purpose.
            }

            await _connection.DisposeAsync();
            _stop.Dispose();
        }

        private async Task PumpAsync()
        {
            while (true)
            {
                await _connection.WaitAsync(_stop.Token);
            }
        }
    }
}

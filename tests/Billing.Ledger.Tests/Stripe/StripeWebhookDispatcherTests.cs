using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

/// <summary>The dispatcher's checkpoint, receipts and jobs move together, a page at a time.</summary>
public sealed class StripeWebhookDispatcherTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    public async Task InitializeAsync()
    {
        await using var command = db.DataSource.CreateCommand(TableWebhookQueue.CreateSql);
        await command.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Schedules like <see cref="TableWebhookQueue"/>, after adding SQL that fails at
    /// commit while <see cref="Failing"/> is set.</summary>
    private sealed class FlakyQueue : IStripeWebhookQueue
    {
        public bool Failing { get; set; } = true;

        public void Enqueue(UnitOfWork uow, IReadOnlyList<StripeWebhookBatchItem> events)
        {
            if (Failing)
            {
                uow.AddCommand("SELECT 1 / 0");
            }

            new TableWebhookQueue().Enqueue(uow, events);
        }
    }

    private Task<long> Checkpoint() => CountAsync(db.DataSource, "SELECT position FROM ledger.stripe_webhook_dispatch");

    private Task<long> Receipts(string[] ids) => CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = ANY ($1)", (object)ids);

    private Task<long> Jobs(string[] ids) => CountAsync(db.DataSource, "SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = ANY ($1)", (object)ids);

    private async Task<string[]> AcceptAsync(int count)
    {
        await using var inbox = Inbox(_store);
        var ids = Enumerable.Range(0, count).Select(_ => NewEventId()).ToArray();
        foreach (var id in ids)
        {
            await inbox.AcceptAsync(Event(id, "payment_intent.succeeded", PaymentIntent("pi_" + id, "acme")), EventMetadata.Empty, default);
        }

        return ids;
    }

    [Fact]
    public async Task a_pass_whose_jobs_fail_to_commit_leaves_no_receipt_and_the_checkpoint_where_it_was()
    {
        await Dispatcher(_store).DispatchAllAsync(default);
        var before = await Checkpoint();
        var ids = await AcceptAsync(3);
        var queue = new FlakyQueue();

        await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => Dispatcher(_store, queue).DispatchAllAsync(default));

        Assert.Equal(before, await Checkpoint());
        Assert.Equal(0, await Receipts(ids));
        Assert.Equal(0, await Jobs(ids));

        // The next pass does the same events: each gets its receipt and one job.
        queue.Failing = false;
        Assert.Equal(3, await Dispatcher(_store, queue).DispatchAllAsync(default));
        Assert.Equal(3, await Receipts(ids));
        Assert.Equal(3, await Jobs(ids));
        Assert.True(await Checkpoint() > before);
        Assert.Equal(0, await Dispatcher(_store, queue).DispatchAllAsync(default));
        Assert.Equal(3, await Jobs(ids));
    }

    [Fact]
    public async Task small_pages_and_windows_take_several_passes_and_skip_no_event()
    {
        await Dispatcher(_store).DispatchAllAsync(default);
        var ids = await AcceptAsync(5);
        // Events of other kinds between them: the window counts log positions, not webhook events.
        for (var i = 0; i < 4; i++)
        {
            await _store.BeginUnitOfWork().Append("acme", "other-" + Guid.NewGuid().ToString("N"), "other", ExpectedVersion.NoStream,
                new Billing.Ledger.Stripe.Webhooks.StripeWebhookProcessed("evt_other", "other", "ignored", "filler")).CommitAsync();
        }

        var later = await AcceptAsync(2);
        var dispatcher = Dispatcher(_store, options: new StripeWebhookDispatchOptions { PageSize = 2, Window = 3 });

        var first = await dispatcher.DispatchOnceAsync(default);
        Assert.Equal((2, 2), (first.Taken, first.Dispatched));
        Assert.True(first.More);
        Assert.Equal(5, await dispatcher.DispatchAllAsync(default));

        string[] all = [.. ids, .. later];
        Assert.Equal(7, await Receipts(all));
        Assert.Equal(7, await Jobs(all));
        var last = await dispatcher.DispatchOnceAsync(default);
        Assert.Equal((0, false), (last.Taken, last.More));
    }

    [Fact]
    public async Task a_pass_splits_its_events_into_jobs_of_at_most_events_per_job_in_log_order()
    {
        await Dispatcher(_store).DispatchAllAsync(default);
        var ids = await AcceptAsync(5);

        Assert.Equal(5, await Dispatcher(_store, new StripeWebhookJobQueue(), new StripeWebhookDispatchOptions { EventsPerJob = 2 }).DispatchAllAsync(default));

        await using var command = db.DataSource.CreateCommand("""
            SELECT type, dedupe_key FROM ledger.jobs WHERE dedupe_key = ANY ($1) ORDER BY id
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string[]>
        {
            TypedValue = [.. ids.Select(StripeWebhookJobQueue.BatchDedupeKey), .. ids.Select(StripeWebhookJobQueue.DedupeKey)],
        });
        var jobs = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            jobs.Add((reader.GetString(0), reader.GetString(1)));
        }

        Assert.Equal(
            [(StripeWebhookProcessor.BatchJobType, StripeWebhookJobQueue.BatchDedupeKey(ids[0])),
             (StripeWebhookProcessor.BatchJobType, StripeWebhookJobQueue.BatchDedupeKey(ids[2])),
             (StripeWebhookProcessor.JobType, StripeWebhookJobQueue.DedupeKey(ids[4]))],
            jobs);
    }

    [Fact]
    public async Task the_lag_gauge_counts_acknowledged_events_not_dispatched_yet()
    {
        await Dispatcher(_store).DispatchAllAsync(default);
        await AcceptAsync(3);
        using var metrics = new Billing.Ledger.Observability.BillingMetrics();
        var lag = new StripeWebhookDispatchLag(_store);

        await lag.RefreshAsync(metrics, default);
        Assert.Equal(3, ObservedLag(metrics));

        await Dispatcher(_store).DispatchAllAsync(default);
        await lag.RefreshAsync(metrics, default);
        Assert.Equal(0, ObservedLag(metrics));
    }

    private static long ObservedLag(Billing.Ledger.Observability.BillingMetrics metrics)
    {
        long observed = -1;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "billing_webhook_dispatch_lag_events" && ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => observed = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return observed;
    }
}

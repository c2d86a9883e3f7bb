using System.Text;
using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

/// <summary>Group commit: deliveries arriving together share a transaction, yet each is
/// recorded exactly once and answered for itself.</summary>
public sealed class StripeWebhookInboxBatchTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    public async Task InitializeAsync()
    {
        await using var command = db.DataSource.CreateCommand(TableWebhookQueue.CreateSql);
        await command.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<long> Count(string sql, string id) => CountAsync(db.DataSource, sql, id);

    /// <summary>Gives every recorded event its receipt and (test table) job, as the Host's dispatcher does.</summary>
    private Task<int> DispatchAsync() => Dispatcher(_store).DispatchAllAsync(default);

    /// <summary>Every event keeps its own request's metadata, batched or not.</summary>
    private static string? OwnCorrelation(RecordedEvent recorded) => recorded.Metadata.CorrelationId;

    [Fact]
    public async Task concurrent_deliveries_with_copies_in_and_across_batches_record_each_event_once()
    {
        var ids = Enumerable.Range(0, 40).Select(_ => NewEventId()).ToList();
        var bodies = ids.ToDictionary(id => id, id => Event(id, "payment_intent.succeeded", PaymentIntent("pi_" + id, "acme")));
        await using var inbox = Inbox(_store);

        // Five copies of each of 40 events, interleaved, all at once: copies land in the same
        // batch and in batches committing concurrently.
        var sends = Enumerable.Range(0, 5).SelectMany(_ => ids).Select(id => Task.Run(() => inbox.AcceptAsync(bodies[id], new EventMetadata("corr-" + id), default)));
        var receipts = await Task.WhenAll(sends);
        await DispatchAsync();

        foreach (var id in ids)
        {
            Assert.Single(receipts, r => r.StripeEventId == id && !r.Duplicate);
            Assert.Equal(4, receipts.Count(r => r.StripeEventId == id && r.Duplicate));
            var recorded = Assert.Single(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id)));
            Assert.Equal("corr-" + id, OwnCorrelation(recorded));
            Assert.Equal(id, recorded.Metadata.CausationId);
            Assert.Equal(1, await Count("SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = $1", id));
            Assert.Equal(1, await Count("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1", id));
        }
    }

    [Fact]
    public async Task copies_arriving_through_two_inboxes_at_once_record_one_event()
    {
        // Two writers (two Host processes) commit batches holding the same events concurrently.
        var ids = Enumerable.Range(0, 20).Select(_ => NewEventId()).ToList();
        await using var first = Inbox(_store);
        await using var second = Inbox(_store);

        var receipts = await Task.WhenAll(ids.Concat(Enumerable.Reverse(ids)).Select((id, i) =>
            Task.Run(() => (i % 2 == 0 ? first : second).AcceptAsync(Event(id, "payment_intent.succeeded", PaymentIntent("pi_" + id, "acme")), EventMetadata.Empty, default))));

        Assert.Equal(ids.Count, receipts.Count(r => !r.Duplicate));
        await DispatchAsync();
        foreach (var id in ids)
        {
            Assert.Single(receipts, r => r.StripeEventId == id && !r.Duplicate);
            Assert.Equal(1, await Count("SELECT count(*) FROM ledger.events WHERE stream_id = 'stripe-webhook-' || $1", id));
            Assert.Equal(1, await Count("SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = $1", id));
        }
    }

    [Fact]
    public async Task a_delivery_the_database_refuses_fails_alone_and_its_batch_commits_the_others()
    {
        // Valid JSON that PostgreSQL's jsonb refuses (\u0000 in a string): the batch holding it
        // fails, is retried one by one, and only this delivery is rejected.
        var bad = NewEventId();
        var badBody = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Event(bad, "payment_intent.succeeded", PaymentIntent("pi_bad", "acme"))).Replace("\"inv_1\"", "\"inv\\u0000\""));
        var good = Enumerable.Range(0, 30).Select(_ => NewEventId()).ToList();
        await using var inbox = Inbox(_store);

        var badTask = Task.Run(() => inbox.AcceptAsync(badBody, EventMetadata.Empty, default));
        var goodTasks = good.Select(id => Task.Run(() => inbox.AcceptAsync(Event(id, "payment_intent.succeeded", PaymentIntent("pi_" + id, "acme")), EventMetadata.Empty, default))).ToList();

        await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => badTask);
        Assert.All(await Task.WhenAll(goodTasks), r => Assert.False(r.Duplicate));
        await DispatchAsync();
        Assert.Equal(0, await Count("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1", bad));
        Assert.Equal(0, await Count("SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = $1", bad));
        Assert.Empty(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(bad)));
        foreach (var id in good)
        {
            Assert.Single(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id)));
            Assert.Equal(1, await Count("SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = $1", id));
        }
    }

    [Fact]
    public async Task beside_a_batch_in_flight_a_second_starts_only_once_enough_deliveries_gather()
    {
        // An uncommitted row for A's stream holds A's batch in flight (its stream insert waits).
        var (a, gathered, late) = (NewEventId(), Enumerable.Range(0, 4).Select(_ => NewEventId()).ToList(), NewEventId());
        await using var blocker = await db.DataSource.OpenConnectionAsync();
        await using var blocking = await blocker.BeginTransactionAsync();
        await using (var stream = new Npgsql.NpgsqlCommand(
            "INSERT INTO ledger.streams (tenant_id, stream_id, type, version) VALUES ('acme', $1, 'stripe-webhook', 0)", blocker, blocking))
        {
            stream.Parameters.Add(new Npgsql.NpgsqlParameter { Value = StripeWebhookStreams.StreamId(a) });
            await stream.ExecuteNonQueryAsync();
        }

        await using var inbox = new StripeWebhookInbox(_store, new StripeTenantResolver(_store.DataSource), null,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<StripeWebhookInbox>.Instance, batching: new StripeWebhookBatching { MaxInFlight = 2, GatherAt = 4 });
        Task<StripeWebhookReceipt> Send(string id) => Task.Run(() => inbox.AcceptAsync(Event(id, "payment_intent.succeeded", PaymentIntent("pi_" + id, "acme")), EventMetadata.Empty, default));
        var first = Send(a);
        await Poll.UntilAsync(() => CountAsync(db.DataSource, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1", blocker.ProcessID), n => n > 0, what: "A's batch waiting on the uncommitted stream row");

        // Three wait behind A's batch (none is taken into a batch of its own); the fourth starts
        // the second batch, with all four in it.
        var sends = gathered.Take(3).Select(Send).ToList();
        await Poll.UntilAsync(() => Task.FromResult(inbox.Waiting), n => n == 3, what: "three deliveries gathering");
        Assert.DoesNotContain(sends, s => s.IsCompleted);
        sends.Add(Send(gathered[3]));
        var receipts = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(receipts, r => Assert.False(r.Duplicate));
        Assert.False(first.IsCompleted);
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(DISTINCT tx_id) FROM ledger.events WHERE stream_id = ANY($1)", (object)gathered.Select(StripeWebhookStreams.StreamId).ToArray()));

        // A lone delivery beside A's batch gathers too, and goes when A's batch commits.
        var lone = Send(late);
        await blocking.RollbackAsync();
        Assert.False((await first.WaitAsync(TimeSpan.FromSeconds(30))).Duplicate);
        Assert.False((await lone.WaitAsync(TimeSpan.FromSeconds(30))).Duplicate);
        await DispatchAsync();
        Assert.Equal(1, await Count("SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = $1", a));
        Assert.Equal(1, await Count("SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = $1", late));
    }

    [Fact]
    public async Task every_answered_delivery_is_counted_in_exactly_one_committed_batch_with_its_commit_time()
    {
        using var metrics = new Billing.Ledger.Observability.BillingMetrics();
        var (sizes, commits) = (new List<int>(), new List<double>());
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is "billing_webhook_batch_deliveries" or "billing_webhook_batch_commit_seconds" && ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, size, _, _) =>
        {
            lock (sizes)
            {
                sizes.Add(size);
            }
        });
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            lock (sizes)
            {
                commits.Add(seconds);
            }
        });
        listener.Start();
        var ids = Enumerable.Range(0, 20).Select(_ => NewEventId()).ToList();
        await using var inbox = new StripeWebhookInbox(_store, new StripeTenantResolver(_store.DataSource), null,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<StripeWebhookInbox>.Instance, metrics);

        // Twenty events and a copy of five of them, all at once: copies are in batches too.
        var receipts = await Task.WhenAll(ids.Concat(ids.Take(5)).Select(id => Task.Run(() => inbox.AcceptAsync(Event(id, "invoice.paid", PaymentIntent("pi_" + id, "acme")), EventMetadata.Empty, default))));

        Assert.Equal(5, receipts.Count(r => r.Duplicate));
        lock (sizes)
        {
            Assert.Equal(25, sizes.Sum());
            Assert.All(sizes, size => Assert.InRange(size, 1, StripeWebhookInbox.MaxBatch));
            // One commit duration per batch, each a real round trip to the database.
            Assert.Equal(sizes.Count, commits.Count);
            Assert.All(commits, seconds => Assert.True(seconds > 0, $"commit took {seconds} s"));
        }
    }

    [Fact]
    public async Task a_disposed_inbox_has_committed_everything_it_answered()
    {
        var ids = Enumerable.Range(0, 10).Select(_ => NewEventId()).ToList();
        var inbox = Inbox(_store);
        var receipts = await Task.WhenAll(ids.Select(id => inbox.AcceptAsync(Event(id, "invoice.paid", PaymentIntent("pi_" + id, "acme")), EventMetadata.Empty, default)));
        await inbox.DisposeAsync();

        Assert.All(receipts, r => Assert.False(r.Duplicate));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => inbox.AcceptAsync(Event(NewEventId(), "invoice.paid", PaymentIntent("pi_late", "acme")), EventMetadata.Empty, default));
    }
}

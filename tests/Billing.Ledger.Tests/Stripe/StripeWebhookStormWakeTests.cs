using Billing.Ledger.EventStore;
using Billing.Ledger.Postgres;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Ledger.Time;
using Billing.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

/// <summary>While a storm holds webhook processing back, dispatching recorded events does not
/// wake the job workers (they would not claim the jobs); outside a storm it does.</summary>
public sealed class StripeWebhookStormWakeTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string Marker = "test_storm_wake_marker";

    [Fact]
    public async Task events_dispatched_during_a_hold_send_no_job_wake_up_and_before_it_they_do()
    {
        var store = db.CreateStore();
        var clock = new AdjustableClock(DateTimeOffset.UtcNow);
        var hold = new StripeWebhookStormHold(new StripeWebhookStormOptions { PerSecond = 2 }, clock, NullLogger<StripeWebhookStormHold>.Instance);
        var dispatcher = new StripeWebhookDispatcher(store, new StripeWebhookJobQueue(), TimeProvider.System, NullLogger<StripeWebhookDispatcher>.Instance, storm: hold);
        await dispatcher.DispatchAllAsync(default);
        await using var inbox = new StripeWebhookInbox(store, new StripeTenantResolver(store.DataSource), dispatcher, NullLogger<StripeWebhookInbox>.Instance, storm: hold);
        await using var listener = await db.DataSource.OpenConnectionAsync();
        var heard = new List<string>();
        listener.Notification += (_, e) => heard.Add(e.Channel);
        await using (var listen = new NpgsqlCommand($"LISTEN {LedgerChannels.Jobs}; LISTEN {Marker}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        // No storm yet: the first delivery's job wakes the workers. Accepting the second starts the storm.
        Assert.False(hold.IsHolding);
        await inbox.AcceptAsync(Event(NewEventId(), "payment_intent.succeeded", PaymentIntent("pi_1", "acme")), EventMetadata.Empty, default);
        Assert.Equal(1, await dispatcher.DispatchAllAsync(default));
        Assert.Contains(LedgerChannels.Jobs, await HeardUntilMarkerAsync(listener, heard));

        Assert.False(hold.IsHolding);
        var during = NewEventId();
        Assert.False((await inbox.AcceptAsync(Event(during, "payment_intent.succeeded", PaymentIntent("pi_2", "acme")), EventMetadata.Empty, default)).Duplicate);
        Assert.True(hold.IsHolding);
        Assert.Equal(1, await dispatcher.DispatchAllAsync(default));
        Assert.DoesNotContain(LedgerChannels.Jobs, await HeardUntilMarkerAsync(listener, heard));

        // Its job is queued all the same, due now: workers take it at their next poll.
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'pending'", StripeWebhookJobQueue.DedupeKey(during)));
    }

    /// <summary>The channels heard up to a marker notified after every pulse so far was sent:
    /// notifications arrive in commit order, so a wake-up sent before the marker is in the list.</summary>
    private async Task<List<string>> HeardUntilMarkerAsync(NpgsqlConnection listener, List<string> heard)
    {
        var notifier = ChangeNotifier.For(db.DataSource);
        await notifier.DrainAsync();
        notifier.Pulse(Marker);
        await notifier.DrainAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!heard.Contains(Marker))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await listener.WaitAsync(left))
            {
                throw new TimeoutException("The marker notification never arrived.");
            }
        }

        var result = heard.ToList();
        heard.Clear();
        return result;
    }
}

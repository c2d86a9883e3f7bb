using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Ledger.Tests.Jobs;
using Billing.Ledger.Time;
using Microsoft.Extensions.Logging.Abstractions;

namespace Billing.Ledger.Tests.Stripe;

/// <summary>When a webhook storm holds processing back, and that the hold always ends.</summary>
public sealed class StripeWebhookStormHoldTests
{
    private const string Batch = StripeWebhookProcessor.BatchJobType;

    private readonly AdjustableClock _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, 100, TimeSpan.Zero));

    private StripeWebhookStormHold Hold(int perSecond = 5, int maxHoldSeconds = 10) =>
        new(new StripeWebhookStormOptions { PerSecond = perSecond, MaxHold = TimeSpan.FromSeconds(maxHoldSeconds) }, _clock, NullLogger<StripeWebhookStormHold>.Instance);

    private static void Accept(StripeWebhookStormHold hold, int deliveries)
    {
        for (var i = 0; i < deliveries; i++)
        {
            hold.Accepted();
        }
    }

    [Fact]
    public void below_the_rate_nothing_is_held()
    {
        var hold = Hold();

        Accept(hold, 4);

        Assert.False(hold.IsHolding);
        Assert.False(hold.Holds(Batch));
    }

    [Fact]
    public void at_the_rate_webhook_processing_is_held_and_other_jobs_are_not()
    {
        var hold = Hold();

        Accept(hold, 5);

        Assert.True(hold.Holds(StripeWebhookProcessor.BatchJobType));
        Assert.True(hold.Holds(StripeWebhookProcessor.JobType));
        Assert.False(hold.Holds("invoice.collect"));
    }

    [Fact]
    public void a_storm_holds_through_the_next_second_and_releases_after_a_calm_one()
    {
        var hold = Hold();
        Accept(hold, 5);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(hold.IsHolding);
        Accept(hold, 2);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(hold.IsHolding);
    }

    [Fact]
    public void a_storm_that_goes_on_holds_no_longer_than_the_maximum_then_a_new_storm_holds_again()
    {
        var hold = Hold(maxHoldSeconds: 3);
        for (var second = 0; second < 3; second++)
        {
            Accept(hold, 5);
            Assert.True(hold.IsHolding);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Accept(hold, 5);
        Assert.False(hold.IsHolding);

        // The storm goes on: still released. After a calm second, a new storm holds again.
        _clock.Advance(TimeSpan.FromSeconds(1));
        Accept(hold, 5);
        Assert.False(hold.IsHolding);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(hold.IsHolding);
        Accept(hold, 5);
        Assert.True(hold.IsHolding);
    }

    [Fact]
    public void a_rate_of_zero_never_holds()
    {
        var hold = Hold(perSecond: 0);

        Accept(hold, 10_000);

        Assert.False(hold.IsHolding);
    }
}

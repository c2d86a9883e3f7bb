using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;
using Npgsql;

namespace Billing.Host.StripeCli;

/// <summary><c>billing smoke-org --org-id T</c>: one tenant end to end in test mode — its Stripe
/// customer (created and linked if missing), a small off-session charge with a test card, the
/// charge visible in Stripe's list, its webhook received and recorded, a full refund. Refuses
/// live keys: a smoke check never moves real money.</summary>
public sealed class StripeSmokeCheck(StripeClient stripe, EventStore store, TimeProvider time)
{
    private const string CustomerSql = "SELECT stripe_id FROM ledger.stripe_links WHERE tenant_id = $1 AND kind = 'customer' ORDER BY linked_at LIMIT 1";
    private const string ReceiptSql = "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE object_id = $1 AND type = 'payment_intent.succeeded'";

    public async Task<IReadOnlyList<PreflightCheck>> RunAsync(string orgId, TimeSpan webhookWait, CancellationToken ct)
    {
        if (stripe.Options.IsLiveKey)
        {
            return [new PreflightCheck("mode", CheckStatus.Fail, "a live key is configured; smoke checks run in test mode only")];
        }

        var report = new List<PreflightCheck> { new("mode", CheckStatus.Ok, $"test mode against {stripe.Options.BaseUrl}") };
        var customer = await CustomerAsync(orgId, report, ct);
        var run = time.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var metadata = new Dictionary<string, string> { ["tenant_id"] = orgId, ["smoke"] = run };
        var outcome = await stripe.ChargeOffSessionAsync(new OffSessionCharge(100, "usd", customer, "pm_card_visa", "billing smoke check", metadata), $"smoke:{orgId}:{run}:charge", ct);
        if (outcome is not ChargeOutcome.Succeeded { PaymentIntent: var intent })
        {
            report.Add(new("charge", CheckStatus.Fail, $"declined: {((ChargeOutcome.Declined)outcome).Decline.Code}"));
            return report;
        }

        report.Add(new("charge", CheckStatus.Ok, $"{intent.Id} {intent.Amount} {intent.Currency} {intent.Status}"));
        var listed = await stripe.ListAllChargesAsync(time.GetUtcNow().AddMinutes(-10), ct).AnyAsync(c => c.Id == intent.LatestCharge, ct);
        report.Add(new("charge listed", listed ? CheckStatus.Ok : CheckStatus.Fail, intent.LatestCharge ?? "no charge id"));
        report.Add(await WebhookAsync(intent.Id, webhookWait, ct));
        var refund = await stripe.CreateRefundAsync(new RefundCreate(intent.Id, Reason: RefundReason.RequestedByCustomer, Metadata: metadata), $"smoke:{orgId}:{run}:refund", ct);
        report.Add(new("refund", refund.Status == "succeeded" && refund.Amount == intent.Amount ? CheckStatus.Ok : CheckStatus.Fail, $"{refund.Id} {refund.Amount} {refund.Status}"));
        return report;
    }

    private async Task<string> CustomerAsync(string orgId, List<PreflightCheck> report, CancellationToken ct)
    {
        await using (var command = store.DataSource.CreateCommand(CustomerSql))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = orgId });
            if (await command.ExecuteScalarAsync(ct) is string linked)
            {
                report.Add(new("customer", CheckStatus.Ok, $"{linked} (linked)"));
                return linked;
            }
        }

        var customer = await stripe.CreateCustomerAsync(new CustomerCreate(null, orgId, new Dictionary<string, string> { ["tenant_id"] = orgId }), IdempotencyKeys.Customer(orgId), ct);
        await store.BeginUnitOfWork(new EventMetadata(Actor: "cli:smoke-org")).LinkStripeObject(customer.Id, orgId, "customer", time.GetUtcNow()).CommitAsync(ct);
        report.Add(new("customer", CheckStatus.Ok, $"{customer.Id} (created and linked)"));
        return customer.Id;
    }

    /// <summary>Polls for the payment's webhook receipt until the deadline: proves Stripe (or the
    /// emulator) can reach the endpoint and that the signature verifies.</summary>
    private async Task<PreflightCheck> WebhookAsync(string paymentIntentId, TimeSpan wait, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + wait;
        do
        {
            await using var command = store.DataSource.CreateCommand(ReceiptSql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = paymentIntentId });
            if (await command.ExecuteScalarAsync(ct) is long and > 0)
            {
                return new("webhook", CheckStatus.Ok, $"payment_intent.succeeded for {paymentIntentId} recorded");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
        while (time.GetUtcNow() < deadline);

        return new("webhook", CheckStatus.Fail, $"no payment_intent.succeeded for {paymentIntentId} within {wait.TotalSeconds:F0} s: check the endpoint URL and STRIPE_WEBHOOK_SECRET");
    }
}

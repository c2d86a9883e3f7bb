using Microsoft.Extensions.Hosting;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Runs the <see cref="StripeWebhookDispatcher"/>'s loop for the Host's lifetime. Every
/// Host runs one; they take turns on the checkpoint row, so any of them dispatches what any
/// inbox recorded.</summary>
public sealed class StripeWebhookDispatchService(StripeWebhookDispatcher dispatcher) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => dispatcher.RunAsync(stoppingToken);
}

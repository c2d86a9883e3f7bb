using Billing.Benchmarks.Http;
using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Benchmarks;

/// <summary>A breakdown case: the Host's own <see cref="StripeWebhookInbox"/> called in process
/// (same verification-free storage path the endpoint runs after the signature check), fresh
/// events only, so the difference from the HTTP case is HTTP, signing and the pipeline.</summary>
public sealed partial class WebhookBenchmark
{
    private static Task<LoadResult> RunInboxAsync(BenchHost host, BenchDatabase database, TimeSpan warmup, TimeSpan duration, CancellationToken ct)
    {
        var inbox = host.Services.GetRequiredService<StripeWebhookInbox>();
        var metadata = new EventMetadata(CorrelationId: "bench-inbox", Actor: "stripe-webhook");
        return LoadRunner.RunAsync(Senders, warmup, duration, w =>
        {
            var next = 0;
            return async token =>
            {
                var receipt = await inbox.AcceptAsync(Body($"inbox{w}_{next++}"), metadata, token);
                return receipt.Duplicate ? throw new InvalidOperationException("A fresh event was answered as a duplicate.") : 1;
            };
        }, database.Cpu, ct);
    }
}

using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Billing.Ledger.Collection;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.Collection;

/// <summary>Registers automatic collection (the <c>invoice.collect</c> job handler and the
/// finalization outbox that enqueues it), the invoice side of Stripe webhooks, refunds and the
/// collection read models. Needs a <see cref="Billing.Ledger.Stripe.StripeClient"/> registered
/// by the Stripe setup.</summary>
public static class CollectionSetup
{
    public static IServiceCollection AddCollection(this IServiceCollection services, IConfiguration configuration)
    {
        // Only when the Stripe setup has not registered a client (it normally has, pointing at
        // Stripe or the embedded emulator): then talk to STRIPE_API_BASE with STRIPE_SECRET_KEY.
        services.TryAddSingleton(sp => new StripeClient(new HttpClient(), sp.GetService<StripeOptions>() ?? FallbackStripeOptions(configuration),
            sp.GetRequiredService<ILogger<StripeClient>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(CollectionOptionsFrom(configuration));
        services.AddSingleton<CollectionLedger>();
        services.AddSingleton<IInlineProjection, CollectionProjection>();
        services.AddSingleton<IInvoiceFinalizationOutbox, InvoiceCollectionOutbox>();
        services.AddJobHandler<InvoiceCollectionHandler>();
        services.AddSingleton<IStripeWebhookApplier, InvoicePaymentWebhookApplier>();
        services.AddSingleton<InvoiceRefunds>();
        return services;
    }

    public static void MapCollection(this IEndpointRouteBuilder app) => app.MapRefundEndpoints();

    private static StripeOptions FallbackStripeOptions(IConfiguration configuration) => new()
    {
        SecretKey = configuration["STRIPE_SECRET_KEY"] is { Length: > 0 } key ? key : "sk_test_not_configured",
        BaseUrl = configuration["STRIPE_API_BASE"] is { Length: > 0 } api ? new Uri(api.EndsWith('/') ? api : api + "/") : StripeOptions.LiveBaseUrl,
    };

    /// <summary><c>BILLING_RETRY_LIMIT</c> (default 3) and <c>BILLING_RETRY_DELAY_HOURS</c>
    /// (default 24, fractions allowed); anything else is a startup error, not a silent default.</summary>
    public static CollectionOptions CollectionOptionsFrom(IConfiguration configuration)
    {
        var defaults = CollectionOptions.Default;
        var limit = configuration["BILLING_RETRY_LIMIT"] is { Length: > 0 } l
            ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new InvalidOperationException($"BILLING_RETRY_LIMIT must be a whole number >= 0, got '{l}'.")
            : defaults.RetryLimit;
        var delay = configuration["BILLING_RETRY_DELAY_HOURS"] is { Length: > 0 } d
            ? decimal.TryParse(d, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var h) && h > 0 ? TimeSpan.FromHours((double)h) : throw new InvalidOperationException($"BILLING_RETRY_DELAY_HOURS must be a positive number of hours, got '{d}'.")
            : defaults.RetryDelay;
        return new CollectionOptions(limit, delay);
    }
}

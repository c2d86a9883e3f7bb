using Microsoft.Extensions.DependencyInjection.Extensions;
using Billing.Host.StripeEmulator;
using Billing.Ledger.Stripe;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe.Usage;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.StripeSetup;

/// <summary>Registers the Stripe client, webhook verification, inbox and processor. With no
/// <c>STRIPE_SECRET_KEY</c> it starts the emulator on loopback first and points the client at it
/// over real HTTP; the emulator's webhooks then go to this Host's own webhook endpoint.</summary>
public static class StripeRegistration
{
    public static Task AddStripeAsync(this WebApplicationBuilder builder, CancellationToken ct)
    {
        var settings = StripeSettings.From(builder.Configuration);
        var services = builder.Services;
        var secretKey = settings.SecretKey;
        var apiBase = settings.ApiBase;
        var webhookSecrets = settings.WebhookSecrets;
        if (settings.UseEmulator)
        {
            var firstSecret = webhookSecrets?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            var embedded = new EmbeddedStripeEmulator(firstSecret is null ? new StripeEmulatorOptions() : new StripeEmulatorOptions { WebhookSecret = firstSecret });

            // Factory registrations so the container disposes them even if the Host never starts;
            // the lifetime service starts the emulator first (index 0: before the job workers
            // that call it) and stops it on a normal shutdown.
            services.AddSingleton(_ => embedded);
            services.AddSingleton(sp => sp.GetRequiredService<EmbeddedStripeEmulator>().Emulator);
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, StripeEmulatorLifetime>());
            secretKey = StripeEmulator.StripeEmulator.DefaultSecretKey;
            apiBase ??= embedded.BaseUrl;
            webhookSecrets ??= embedded.Options.WebhookSecret;
        }

        services.AddSingleton(settings);
        services.AddSingleton(new StripeOptions { SecretKey = secretKey!, BaseUrl = apiBase ?? StripeOptions.LiveBaseUrl, Retry = settings.Retry });
        services.AddHttpClient<StripeClient>();
        // Signature tolerance is about wall-clock transport delay, so it uses the system clock even
        // when the business clock is a test clock (Stripe signs test-clock webhooks in real time).
        services.AddSingleton(_ => WebhookSignature.FromSetting(webhookSecrets, TimeProvider.System, settings.WebhookTolerance));
        services.AddSingleton<StripeTenantResolver>();
        // A storm's acknowledgements before its processing (bounded; docs/stripe.md "Webhook storms").
        // Real time, as the signature tolerance: a storm is load now, whatever the business clock says.
        services.AddSingleton(sp => new StripeWebhookStormHold(settings.Storm, TimeProvider.System,
            sp.GetRequiredService<ILogger<StripeWebhookStormHold>>(), sp.GetService<Billing.Ledger.Observability.BillingMetrics>()));
        services.AddSingleton<IJobHold>(sp => sp.GetRequiredService<StripeWebhookStormHold>());
        // Acceptance appends the received events; the dispatcher gives them receipts and jobs
        // from the log, off the acknowledgement path (docs/stripe.md "Acceptance and dispatch").
        services.AddSingleton(sp => new StripeWebhookDispatcher(
            sp.GetRequiredService<Billing.Ledger.EventStore.EventStore>(), sp.GetRequiredService<IStripeWebhookQueue>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<StripeWebhookDispatcher>>(), sp.GetService<Billing.Ledger.Observability.BillingMetrics>(), sp.GetService<StripeWebhookStormHold>()));
        services.AddHostedService<StripeWebhookDispatchService>();
        services.AddSingleton<Billing.Ledger.Observability.IMetricsRefresher, StripeWebhookDispatchLag>();
        services.AddSingleton(sp => new StripeWebhookInbox(
            sp.GetRequiredService<Billing.Ledger.EventStore.EventStore>(), sp.GetRequiredService<StripeTenantResolver>(), sp.GetRequiredService<StripeWebhookDispatcher>(),
            sp.GetRequiredService<ILogger<StripeWebhookInbox>>(), sp.GetService<Billing.Ledger.Observability.BillingMetrics>(),
            sp.GetService<StripeWebhookStormHold>(), settings.Batching));
        services.AddSingleton<StripeWebhookProcessor>();
        services.AddSingleton<IStripeWebhookApplier, StripeObjectLinker>();
        // Processing runs on the durable job queue: enqueued with the event's receipt by the
        // dispatcher (outbox), completed with its effects.
        services.TryAddSingleton<IStripeWebhookQueue, StripeWebhookJobQueue>();
        services.AddJobHandler<StripeWebhookJobHandler>();
        services.AddJobHandler<StripeWebhookBatchJobHandler>();
        services.AddSingleton(new UsageExportOptions
        {
            LockKey = long.TryParse(builder.Configuration["STRIPE_USAGE_FLUSH_LOCK_KEY"], System.Globalization.CultureInfo.InvariantCulture, out var lockKey) ? lockKey : UsageExportOptions.DefaultLockKey,
        });
        services.AddSingleton<StripeUsageExport>();
        services.AddJobHandler<StripeUsageFlushJob>();
        return Task.CompletedTask;
    }
}

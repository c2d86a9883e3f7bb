using Microsoft.Extensions.DependencyInjection.Extensions;
using Billing.Host.StripeEmulator;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.StripeSetup;

/// <summary>Registers the Stripe client, webhook verification, inbox and processor. With no
/// <c>STRIPE_SECRET_KEY</c> it starts the emulator on loopback first and points the client at it
/// over real HTTP; the emulator's webhooks then go to this Host's own webhook endpoint.</summary>
public static class StripeRegistration
{
    public static async Task AddStripeAsync(this WebApplicationBuilder builder, CancellationToken ct)
    {
        var settings = StripeSettings.From(builder.Configuration);
        var services = builder.Services;
        var secretKey = settings.SecretKey;
        var apiBase = settings.ApiBase;
        var webhookSecrets = settings.WebhookSecrets;
        if (settings.UseEmulator)
        {
            var firstSecret = webhookSecrets?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            var emulator = await StripeEmulator.StripeEmulator.StartAsync(
                firstSecret is null ? new StripeEmulatorOptions() : new StripeEmulatorOptions { WebhookSecret = firstSecret }, ct);
            // A factory registration so the container disposes it even if the Host never starts
            // (e.g. `billing migrate`); the lifetime service stops it on a normal shutdown.
            services.AddSingleton(_ => emulator);
            services.AddHostedService<StripeEmulatorLifetime>();
            secretKey = StripeEmulator.StripeEmulator.DefaultSecretKey;
            apiBase ??= emulator.BaseUrl;
            webhookSecrets ??= emulator.Webhooks.Secret;
        }

        services.AddSingleton(settings);
        services.AddSingleton(new StripeOptions { SecretKey = secretKey!, BaseUrl = apiBase ?? StripeOptions.LiveBaseUrl, Retry = settings.Retry });
        services.AddHttpClient<StripeClient>();
        services.AddSingleton(sp => WebhookSignature.FromSetting(webhookSecrets, sp.GetRequiredService<TimeProvider>(), settings.WebhookTolerance));
        services.AddSingleton<StripeTenantResolver>();
        services.AddSingleton<StripeWebhookInbox>();
        services.AddSingleton<StripeWebhookProcessor>();
        services.AddSingleton<IStripeWebhookApplier, StripeObjectLinker>();
        services.TryAddSingleton<IStripeWebhookQueue, UnqueuedStripeWebhooks>();
    }
}

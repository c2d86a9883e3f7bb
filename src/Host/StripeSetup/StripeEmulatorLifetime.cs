using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Billing.Host.StripeSetup;

/// <summary>Once the Host listens, points the embedded emulator's webhooks at this Host's
/// <c>/v1/billing/webhook</c>; stops the emulator when the Host stops.</summary>
internal sealed partial class StripeEmulatorLifetime(
    EmbeddedStripeEmulator embedded,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<StripeEmulatorLifetime> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await embedded.StartAsync(cancellationToken);
        var emulator = embedded.Emulator;
        lifetime.ApplicationStarted.Register(() =>
        {
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal));
            if (address is not null)
            {
                var uri = new UriBuilder(address) { Path = Webhooks.StripeWebhookEndpoints.Path };
                if (uri.Host is "+" or "*" or "0.0.0.0" or "[::]")
                {
                    uri.Host = "127.0.0.1";
                }

                emulator.Webhooks.Endpoint = uri.Uri;
            }

            LogStarted(logger, emulator.BaseUrl, emulator.Webhooks.Endpoint);
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await embedded.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe emulator (no STRIPE_SECRET_KEY) at {BaseUrl}, webhooks to {WebhookEndpoint}")]
    private static partial void LogStarted(ILogger logger, Uri baseUrl, Uri? webhookEndpoint);
}

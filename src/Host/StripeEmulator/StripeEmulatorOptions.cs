namespace Billing.Host.StripeEmulator;

/// <summary>How the emulator behaves. Webhooks are signed with <see cref="WebhookSecret"/> and
/// POSTed to <see cref="WebhookEndpoint"/> (settable later, once the receiver knows its address).</summary>
public sealed record StripeEmulatorOptions
{
    public string WebhookSecret { get; init; } = "whsec_emulator_" + Guid.NewGuid().ToString("N");

    public Uri? WebhookEndpoint { get; init; }

    /// <summary>Automatic: each event is delivered in the background as it happens (the Host's
    /// embedded default). Manual: events queue until a test delivers them, in any order.</summary>
    public WebhookDeliveryMode Delivery { get; init; } = WebhookDeliveryMode.Automatic;

    /// <summary>The emulator's clock for <c>created</c> and signature timestamps; a test clock
    /// makes it behave like a Stripe test clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Fixed port, or 0 for any free loopback port.</summary>
    public int Port { get; init; }
}

public enum WebhookDeliveryMode
{
    Automatic,
    Manual,
}

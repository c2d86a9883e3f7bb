using System.Net;
using System.Net.Sockets;
using Billing.Host.StripeEmulator;

namespace Billing.Host.StripeSetup;

/// <summary>The emulator the Host runs when no <c>STRIPE_SECRET_KEY</c> is configured. Its port is
/// chosen at registration (the client needs the URL) but the emulator itself is built and started
/// only when the Host starts: building its web application earlier would make it the first host
/// of the process, which <c>WebApplicationFactory</c> would mistake for the Host itself.</summary>
internal sealed class EmbeddedStripeEmulator(StripeEmulatorOptions options) : IAsyncDisposable
{
    private StripeEmulator.StripeEmulator? _emulator;

    public StripeEmulatorOptions Options { get; } = options.Port == 0 ? options with { Port = FreeLoopbackPort() } : options;

    public Uri BaseUrl => new($"http://127.0.0.1:{Options.Port}/");

    public StripeEmulator.StripeEmulator Emulator =>
        _emulator ?? throw new InvalidOperationException("The Stripe emulator starts with the Host; it is not running yet.");

    public async Task StartAsync(CancellationToken ct) => _emulator ??= await StripeEmulator.StripeEmulator.StartAsync(Options, ct);

    public async ValueTask DisposeAsync()
    {
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

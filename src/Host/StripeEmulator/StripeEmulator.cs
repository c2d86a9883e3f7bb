using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Billing.Host.StripeEmulator;

/// <summary>A local Stripe: Kestrel on 127.0.0.1 speaking Stripe's wire format for the endpoints
/// the ledger uses, with Stripe's test cards, idempotency, list paging, fault injection and
/// signed webhooks. It keeps a ledger of every charge that moved money. Test keys only.</summary>
public sealed partial class StripeEmulator : IAsyncDisposable
{
    /// <summary>Any <c>sk_test_</c> key is accepted; this one is what the Host uses by default.</summary>
    public const string DefaultSecretKey = "sk_test_emulator";

    private readonly WebApplication _app;
    private readonly EmulatorState _state;
    private readonly EmulatorApi _api;
    private readonly EmulatorIdempotency _idempotency = new();
    private readonly HttpClient _webhookHttp;
    private int _requests;
    private int _disposed;

    private StripeEmulator(WebApplication app, StripeEmulatorOptions options, HttpClient webhookHttp)
    {
        _app = app;
        Options = options;
        _webhookHttp = webhookHttp;
        _state = new EmulatorState(options.Time);
        Webhooks = new EmulatorWebhooks(options, webhookHttp);
        _api = new EmulatorApi(_state, Webhooks);
    }

    public StripeEmulatorOptions Options { get; }

    public Uri BaseUrl { get; private set; } = null!;

    public EmulatorFaults Faults { get; } = new();

    public EmulatorWebhooks Webhooks { get; }

    /// <summary>Requests received, faulted ones included (proves a client retried).</summary>
    public int RequestCount => Volatile.Read(ref _requests);

    /// <summary>Idempotency keys whose first request is still executing.</summary>
    public int IdempotencyKeysInFlight => _idempotency.InFlight;

    /// <summary>Every charge that moved money, in order.</summary>
    public IReadOnlyList<EmulatedCharge> Charges => Locked(() => _state.Ledger.ToList());

    /// <summary>Meter events counted (one per identifier).</summary>
    public IReadOnlyList<EmulatedMeterEvent> MeterEvents => Locked(() => _state.MeterEvents.Values.ToList());

    public static async Task<StripeEmulator> StartAsync(StripeEmulatorOptions? options = null, CancellationToken ct = default)
    {
        options ??= new StripeEmulatorOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var emulator = new StripeEmulator(app, options, new HttpClient { Timeout = TimeSpan.FromSeconds(30) });
        app.Run(emulator.HandleAsync);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return emulator;
    }

    /// <summary>Idempotent: the Host's lifetime and its service provider may both dispose it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await Webhooks.DisposeAsync();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _webhookHttp.Dispose();
    }

    private T Locked<T>(Func<T> read)
    {
        lock (_state.Gate)
        {
            return read();
        }
    }
}

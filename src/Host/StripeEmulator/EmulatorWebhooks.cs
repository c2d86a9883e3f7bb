using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.StripeEmulator;

/// <summary>One POST of an event to the webhook endpoint and what it answered (0: no answer).</summary>
public sealed record WebhookDelivery(string EventId, string Type, int StatusCode, DateTimeOffset At);

/// <summary>Signs events with the configured secret and POSTs them to the configured endpoint.
/// Automatic mode delivers each event in the background as it happens, retrying a few times;
/// manual mode queues them so a test can deliver them late, twice, concurrently or out of order.</summary>
public sealed partial class EmulatorWebhooks : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<EmulatedEvent> _events = [];
    private readonly List<EmulatedEvent> _pending = [];
    private readonly List<WebhookDelivery> _deliveries = [];
    private readonly Channel<EmulatedEvent> _outbox = Channel.CreateUnbounded<EmulatedEvent>();
    private readonly HttpClient _http;
    private readonly StripeEmulatorOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _inFlight;

    internal EmulatorWebhooks(StripeEmulatorOptions options, HttpClient http)
    {
        _options = options;
        _http = http;
        Endpoint = options.WebhookEndpoint;
        _loop = options.Delivery == WebhookDeliveryMode.Automatic ? Task.Run(() => RunAsync(_stop.Token)) : Task.CompletedTask;
    }

    /// <summary>Where events go; null keeps them undelivered (recorded as status 0).</summary>
    public Uri? Endpoint { get; set; }

    public string Secret => _options.WebhookSecret;

    public IReadOnlyList<EmulatedEvent> Events => Snapshot(_events);

    public IReadOnlyList<EmulatedEvent> Pending => Snapshot(_pending);

    public IReadOnlyList<WebhookDelivery> Deliveries => Snapshot(_deliveries);

    public EmulatedEvent Event(string id) => Events.Single(e => e.Id == id);

    public IReadOnlyList<EmulatedEvent> EventsOfType(string type) => Events.Where(e => e.Type == type).ToList();

    /// <summary>The body and a fresh <c>Stripe-Signature</c> header, signed now.</summary>
    public (string Body, string SignatureHeader) Sign(string json)
    {
        var t = _options.Time.GetUtcNow().ToUnixTimeSeconds();
        return (json, WebhookSignature.Header(t, WebhookSignature.Sign(Secret, t, Encoding.UTF8.GetBytes(json))));
    }

    /// <summary>POSTs one event once and returns the answer's status (0 when there was none).</summary>
    public async Task<int> DeliverAsync(string eventId, CancellationToken ct = default)
    {
        var e = Event(eventId);
        var status = await PostAsync(e, ct);
        lock (_gate)
        {
            _pending.Remove(e);
        }

        return status;
    }

    /// <summary>Delivers every queued event, oldest first or (to test ordering) newest first.</summary>
    public async Task<IReadOnlyList<int>> DeliverPendingAsync(bool newestFirst = false, CancellationToken ct = default)
    {
        var batch = Pending;
        var results = new List<int>();
        foreach (var e in newestFirst ? batch.Reverse() : batch)
        {
            results.Add(await DeliverAsync(e.Id, ct));
        }

        return results;
    }

    /// <summary>A replay storm: <paramref name="copies"/> deliveries of one event, all at once.</summary>
    public async Task<IReadOnlyList<int>> DeliverCopiesAsync(string eventId, int copies, CancellationToken ct = default)
    {
        var e = Event(eventId);
        var results = await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => Task.Run(() => PostAsync(e, ct), ct)));
        lock (_gate)
        {
            _pending.Remove(e);
        }

        return results;
    }

    internal void Emit(JsonObject evt)
    {
        var e = new EmulatedEvent(evt["id"]!.GetValue<string>(), evt["type"]!.GetValue<string>(), evt.ToJsonString(), _options.Time.GetUtcNow());
        lock (_gate)
        {
            _events.Add(e);
            if (_options.Delivery == WebhookDeliveryMode.Manual)
            {
                _pending.Add(e);
            }
            else
            {
                Interlocked.Increment(ref _inFlight);
                _outbox.Writer.TryWrite(e);
            }
        }
    }

    private async Task<int> PostAsync(EmulatedEvent e, CancellationToken ct)
    {
        var endpoint = Endpoint;
        var status = 0;
        if (endpoint is not null)
        {
            var (body, header) = Sign(e.Json);
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Stripe-Signature", header);
            request.Headers.UserAgent.ParseAdd("Stripe/1.0 (+https://stripe.com/docs/webhooks)");
            try
            {
                using var response = await _http.SendAsync(request, ct);
                status = (int)response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                // No answer (refused, reset, timed out): recorded as status 0, retried like Stripe would.
                status = 0;
            }
        }

        lock (_gate)
        {
            _deliveries.Add(new WebhookDelivery(e.Id, e.Type, status, _options.Time.GetUtcNow()));
        }

        return status;
    }

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_gate)
        {
            return [.. list];
        }
    }
}

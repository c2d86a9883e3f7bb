using System.Text.Json;
using System.Text.Json.Serialization;

namespace Billing.Host.StripeEmulator;

public sealed partial class StripeEmulator
{
    private static readonly JsonSerializerOptions ControlJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Fault request for <c>POST /_emulator/faults</c>.</summary>
    public sealed record FaultRequest(FaultKind Kind, int Count = 1, int StatusCode = 500, int LatencyMs = 0, bool Outage = false);

    /// <summary>The control surface for people and scripts (tests use the in-process objects):
    /// <c>POST /_emulator/faults</c>, <c>DELETE /_emulator/faults</c>, <c>GET /_emulator/charges</c>,
    /// <c>GET /_emulator/events</c>, <c>POST /_emulator/events/{id}/deliver?copies=n</c>,
    /// <c>POST /_emulator/events/deliver-pending?order=newest_first</c>.</summary>
    private async Task HandleControlAsync(HttpContext context, CancellationToken ct)
    {
        var path = context.Request.Path.Value!["/_emulator".Length..].Trim('/');
        var segments = path.Split('/');
        object? result = (context.Request.Method, segments) switch
        {
            ("POST", ["faults"]) => AddFault(await JsonSerializer.DeserializeAsync<FaultRequest>(context.Request.Body, ControlJson, ct)),
            ("DELETE", ["faults"]) => ClearFaults(),
            ("GET", ["charges"]) => Charges,
            ("GET", ["meter_events"]) => MeterEvents,
            ("GET", ["events"]) => Webhooks.Events.Select(e => new { e.Id, e.Type, e.Created }),
            ("GET", ["deliveries"]) => Webhooks.Deliveries,
            ("POST", ["events", "deliver-pending"]) => await Webhooks.DeliverPendingAsync(context.Request.Query["order"] == "newest_first", ct),
            ("POST", ["events", var id, "deliver"]) when Webhooks.Events.Any(e => e.Id == id) =>
                await Webhooks.DeliverCopiesAsync(id, int.TryParse(context.Request.Query["copies"], out var n) && n > 0 ? n : 1, ct),
            _ => null,
        };

        context.Response.StatusCode = result is null ? 404 : 200;
        await context.Response.WriteAsJsonAsync(result ?? new { error = "unknown emulator control request" }, ControlJson, ct);
    }

    private object AddFault(FaultRequest? request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fault = new Fault(request.Kind, request.Kind == FaultKind.RateLimit ? 429 : request.StatusCode, TimeSpan.FromMilliseconds(request.LatencyMs));
        if (request.Outage)
        {
            Faults.BeginOutage(fault);
        }
        else
        {
            Faults.Enqueue(request.Count, fault);
        }

        return new { queued = Faults.Queued };
    }

    private object ClearFaults()
    {
        Faults.Clear();
        return new { queued = 0 };
    }
}

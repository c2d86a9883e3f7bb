using System.Text.Json.Nodes;

namespace Billing.Host.StripeEmulator;

/// <summary>The emulated Stripe endpoints. Each handler runs under the state lock and emits the
/// webhook events its state change causes.</summary>
internal sealed partial class EmulatorApi(EmulatorState state, EmulatorWebhooks webhooks)
{
    internal sealed record Call(string Method, string Path, EmulatorForm Form, string RequestId, string? IdempotencyKey);

    public EmulatorResponse Handle(Call call)
    {
        lock (state.Gate)
        {
            return (call.Method, call.Path) switch
            {
                ("POST", "/v1/customers") => CreateCustomer(call),
                ("POST", "/v1/payment_intents") => CreatePaymentIntent(call),
                ("POST", "/v1/refunds") => CreateRefund(call),
                ("POST", "/v1/billing/meter_events") => CreateMeterEvent(call),
                ("GET", "/v1/charges") => List(state.Charges, call.Form, "/v1/charges"),
                ("GET", "/v1/balance_transactions") => List(state.BalanceTransactions, call.Form, "/v1/balance_transactions"),
                ("GET", var p) when p.StartsWith("/v1/payment_intents/", StringComparison.Ordinal) => Retrieve(state.PaymentIntents, p["/v1/payment_intents/".Length..], "payment_intent"),
                ("GET", var p) when p.StartsWith("/v1/customers/", StringComparison.Ordinal) => Retrieve(state.Customers, p["/v1/customers/".Length..], "customer"),
                _ => EmulatorResponse.Error(404, "invalid_request_error", $"Unrecognized request URL ({call.Method}: {call.Path}). The emulator implements only the endpoints the ledger uses."),
            };
        }
    }

    private EmulatorResponse CreateCustomer(Call call)
    {
        var customer = EmulatorObjects.Customer(EmulatorIds.New("cus"), state.NowUnix, call.Form["email"], call.Form["name"], call.Form.Object("metadata"));
        state.Customers[customer["id"]!.GetValue<string>()] = customer;
        Emit("customer.created", customer, call);
        return EmulatorResponse.Ok(customer.DeepClone());
    }

    private EmulatorResponse CreateMeterEvent(Call call)
    {
        var form = call.Form;
        if (form["event_name"] is not { Length: > 0 } name)
        {
            return EmulatorResponse.Missing("event_name");
        }

        if (form["payload[stripe_customer_id]"] is not { Length: > 0 } customer)
        {
            return EmulatorResponse.Missing("payload[stripe_customer_id]");
        }

        if (!decimal.TryParse(form["payload[value]"], System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return EmulatorResponse.Error(400, "invalid_request_error", "payload[value] must be a number.", "parameter_invalid", "payload[value]");
        }

        var timestamp = form.Long("timestamp") is { } t ? DateTimeOffset.FromUnixTimeSeconds(t) : state.Now;
        if (timestamp < state.Now.AddDays(-35) || timestamp > state.Now.AddMinutes(5))
        {
            return EmulatorResponse.Error(400, "invalid_request_error", "timestamp must be within the past 35 days and at most 5 minutes in the future.", "parameter_invalid", "timestamp");
        }

        var identifier = form["identifier"] is { Length: > 0 } id ? id : Guid.NewGuid().ToString();
        // Stripe dedupes meter events on identifier asynchronously: the call succeeds, the
        // repeat is not counted. The emulator keeps the first.
        state.MeterEvents.TryAdd(identifier, new EmulatedMeterEvent(name, customer, value, identifier, timestamp));
        return EmulatorResponse.Ok(new JsonObject
        {
            ["object"] = "billing.meter_event",
            ["event_name"] = name,
            ["identifier"] = identifier,
            ["livemode"] = false,
            ["payload"] = new JsonObject { ["stripe_customer_id"] = customer, ["value"] = form["payload[value]"] },
            ["timestamp"] = timestamp.ToUnixTimeSeconds(),
            ["created"] = state.NowUnix,
        });
    }

    private static EmulatorResponse Retrieve(Dictionary<string, JsonObject> objects, string id, string kind) =>
        objects.TryGetValue(id, out var found)
            ? EmulatorResponse.Ok(found.DeepClone())
            : EmulatorResponse.Error(404, "invalid_request_error", $"No such {kind}: '{id}'", "resource_missing", "id");

    private void Emit(string type, JsonObject dataObject, Call call) =>
        webhooks.Emit(EmulatorObjects.Event(EmulatorIds.New("evt"), state.NowUnix, type, dataObject, call.RequestId, call.IdempotencyKey));
}

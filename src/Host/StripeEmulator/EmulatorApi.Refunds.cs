using System.Text.Json.Nodes;

namespace Billing.Host.StripeEmulator;

internal sealed partial class EmulatorApi
{
    private static readonly HashSet<string> RefundReasons = ["duplicate", "fraudulent", "requested_by_customer"];

    private EmulatorResponse CreateRefund(Call call)
    {
        var form = call.Form;
        var charge = form["charge"] is { } chargeId ? state.Charge(chargeId)
            : form["payment_intent"] is { } pi && state.PaymentIntents.TryGetValue(pi, out var intent) && intent["latest_charge"]?.GetValue<string>() is { } latest ? state.Charge(latest)
            : null;
        if (charge is null || charge["paid"]!.GetValue<bool>() is false)
        {
            return form["charge"] is null && form["payment_intent"] is null
                ? EmulatorResponse.Missing("charge")
                : EmulatorResponse.NoSuch("charge", form["charge"] ?? form["payment_intent"]!, form["charge"] is null ? "payment_intent" : "charge");
        }

        var reason = form["reason"];
        if (reason is not null && !RefundReasons.Contains(reason))
        {
            return EmulatorResponse.Error(400, "invalid_request_error", "Invalid reason.", "parameter_invalid", "reason");
        }

        var remaining = charge["amount"]!.GetValue<long>() - charge["amount_refunded"]!.GetValue<long>();
        var amount = form.Long("amount") ?? remaining;
        if (remaining == 0)
        {
            return EmulatorResponse.Error(400, "invalid_request_error", $"Charge {charge["id"]} has already been refunded.", "charge_already_refunded");
        }

        if (amount < 1 || amount > remaining)
        {
            return EmulatorResponse.Error(400, "invalid_request_error", $"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})", "amount_too_large", "amount");
        }

        return Refund(charge, amount, reason, call);
    }

    private EmulatorResponse Refund(JsonObject charge, long amount, string? reason, Call call)
    {
        var currency = charge["currency"]!.GetValue<string>();
        var refundId = EmulatorIds.New("re");
        var txn = EmulatorObjects.BalanceTransaction(EmulatorIds.New("txn"), state.NowUnix, -amount, 0, currency, "refund", refundId);
        var refund = EmulatorObjects.Refund(refundId, state.NowUnix, amount, charge, reason, txn["id"]!.GetValue<string>(), call.Form.Object("metadata"));
        state.BalanceTransactions.Add(txn);
        state.Refunds.Add(refund);
        var refunded = charge["amount_refunded"]!.GetValue<long>() + amount;
        charge["amount_refunded"] = refunded;
        charge["refunded"] = refunded == charge["amount"]!.GetValue<long>();
        Emit("charge.refunded", charge, call);
        return EmulatorResponse.Ok(refund.DeepClone());
    }

    /// <summary>Newest first; <c>limit</c> 1..100 (default 10), <c>starting_after</c> cursor,
    /// <c>created[gte]</c> lower bound, as Stripe's list endpoints page.</summary>
    private static EmulatorResponse List(List<JsonObject> items, EmulatorForm query, string url)
    {
        var limit = query.Long("limit") ?? 10;
        if (limit is < 1 or > 100)
        {
            return EmulatorResponse.Error(400, "invalid_request_error", "This value must be between 1 and 100.", "parameter_invalid_integer", "limit");
        }

        IEnumerable<JsonObject> newestFirst = Enumerable.Reverse(items);
        if (query.Long("created[gte]") is { } gte)
        {
            newestFirst = newestFirst.Where(o => o["created"]!.GetValue<long>() >= gte);
        }

        if (query["starting_after"] is { } after)
        {
            if (!items.Any(o => o["id"]!.GetValue<string>() == after))
            {
                return EmulatorResponse.NoSuch("object", after, "starting_after");
            }

            newestFirst = newestFirst.SkipWhile(o => o["id"]!.GetValue<string>() != after).Skip(1);
        }

        var page = newestFirst.Take((int)limit + 1).ToList();
        var data = new JsonArray(page.Take((int)limit).Select(o => (JsonNode)o.DeepClone()).ToArray());
        return EmulatorResponse.Ok(new JsonObject { ["object"] = "list", ["url"] = url, ["has_more"] = page.Count > limit, ["data"] = data });
    }
}

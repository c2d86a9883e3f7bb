using System.Text.Json.Nodes;

namespace Billing.Host.StripeEmulator;

internal sealed partial class EmulatorApi
{
    private EmulatorResponse CreatePaymentIntent(Call call)
    {
        var form = call.Form;
        if (form.Long("amount") is not { } amount || amount < 1)
        {
            return form["amount"] is null ? EmulatorResponse.Missing("amount")
                : EmulatorResponse.Error(400, "invalid_request_error", "Amount must be a positive integer in minor units.", "parameter_invalid_integer", "amount");
        }

        if (form["currency"] is not { Length: 3 } currency)
        {
            return EmulatorResponse.Missing("currency");
        }

        var customer = form["customer"];
        if (customer is not null && !state.Customers.ContainsKey(customer))
        {
            return EmulatorResponse.NoSuch("customer", customer, "customer");
        }

        var paymentMethod = form["payment_method"] ?? "";
        if (form.IsTrue("confirm") && !EmulatorTestCards.IsKnown(paymentMethod))
        {
            return EmulatorResponse.NoSuch("PaymentMethod", paymentMethod, "payment_method");
        }

        var intent = EmulatorObjects.PaymentIntent(EmulatorIds.New("pi"), state.NowUnix, amount, currency.ToLowerInvariant(), customer, paymentMethod, form.Object("metadata"));
        state.PaymentIntents[intent["id"]!.GetValue<string>()] = intent;
        if (!form.IsTrue("confirm"))
        {
            return EmulatorResponse.Ok(intent.DeepClone());
        }

        return EmulatorTestCards.Declining.TryGetValue(paymentMethod, out var decline)
            ? Decline(intent, decline, call)
            : Succeed(intent, paymentMethod, call);
    }

    private EmulatorResponse Succeed(JsonObject intent, string paymentMethod, Call call)
    {
        var amount = intent["amount"]!.GetValue<long>();
        var currency = intent["currency"]!.GetValue<string>();
        var chargeId = EmulatorIds.New("ch");
        var txn = EmulatorObjects.BalanceTransaction(EmulatorIds.New("txn"), state.NowUnix, amount, EmulatorObjects.Fee(amount), currency, "charge", chargeId);
        var charge = EmulatorObjects.Charge(chargeId, state.NowUnix, intent, paid: true, txn["id"]!.GetValue<string>(), null, null);
        state.BalanceTransactions.Add(txn);
        state.Charges.Add(charge);
        intent["status"] = "succeeded";
        intent["amount_received"] = amount;
        intent["latest_charge"] = chargeId;
        state.Ledger.Add(new EmulatedCharge(chargeId, intent["id"]!.GetValue<string>(), amount, currency, intent["customer"]?.GetValue<string>(),
            call.IdempotencyKey, call.Form.Object("metadata"), state.Now));
        Emit("payment_intent.succeeded", intent, call);
        if (paymentMethod == "pm_card_createDispute")
        {
            charge["disputed"] = true;
            var dispute = EmulatorObjects.Dispute(EmulatorIds.New("dp"), state.NowUnix, charge);
            state.Disputes.Add(dispute);
            Emit("charge.dispute.created", dispute, call);
        }

        return EmulatorResponse.Ok(intent.DeepClone());
    }

    /// <summary>A decline: HTTP 402 <c>card_error</c> embedding the payment intent, now back in
    /// <c>requires_payment_method</c> with its <c>last_payment_error</c>, as Stripe answers.</summary>
    private EmulatorResponse Decline(JsonObject intent, EmulatorTestCards.Decline decline, Call call)
    {
        var error = new JsonObject
        {
            ["type"] = "card_error",
            ["code"] = decline.Code,
            ["decline_code"] = decline.DeclineCode,
            ["message"] = decline.Message,
        };
        if (decline.CreatesCharge)
        {
            var charge = EmulatorObjects.Charge(EmulatorIds.New("ch"), state.NowUnix, intent, paid: false, null, decline.Code, decline.Message);
            state.Charges.Add(charge);
            intent["latest_charge"] = charge["id"]!.GetValue<string>();
            error["charge"] = charge["id"]!.GetValue<string>();
        }

        intent["status"] = "requires_payment_method";
        intent["last_payment_error"] = error.DeepClone();
        Emit("payment_intent.payment_failed", intent, call);
        return EmulatorResponse.Error(402, "card_error", decline.Message, decline.Code, extra: e =>
        {
            e["decline_code"] = decline.DeclineCode;
            e["charge"] = error["charge"]?.DeepClone();
            e["payment_intent"] = intent.DeepClone();
        });
    }
}

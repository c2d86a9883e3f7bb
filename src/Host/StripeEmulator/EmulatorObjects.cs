using System.Text.Json.Nodes;

namespace Billing.Host.StripeEmulator;

/// <summary>Builds objects in Stripe's wire shape (see shared/stripe/fixtures3.json), with the
/// fields the ledger reads and the identifying ones around them.</summary>
internal static class EmulatorObjects
{
    public static JsonObject Metadata(IReadOnlyDictionary<string, string> metadata)
    {
        var node = new JsonObject();
        foreach (var (k, v) in metadata)
        {
            node[k] = v;
        }

        return node;
    }

    public static JsonObject Customer(string id, long created, string? email, string? name, IReadOnlyDictionary<string, string> metadata) => new()
    {
        ["id"] = id,
        ["object"] = "customer",
        ["created"] = created,
        ["email"] = email,
        ["name"] = name,
        ["livemode"] = false,
        ["metadata"] = Metadata(metadata),
        ["invoice_settings"] = new JsonObject { ["default_payment_method"] = null },
    };

    public static JsonObject PaymentIntent(string id, long created, long amount, string currency, string? customer, string paymentMethod, IReadOnlyDictionary<string, string> metadata) => new()
    {
        ["id"] = id,
        ["object"] = "payment_intent",
        ["amount"] = amount,
        ["amount_received"] = 0L,
        ["currency"] = currency,
        ["customer"] = customer,
        ["payment_method"] = paymentMethod,
        ["payment_method_types"] = new JsonArray("card"),
        ["capture_method"] = "automatic",
        ["confirmation_method"] = "automatic",
        ["created"] = created,
        ["livemode"] = false,
        ["latest_charge"] = null,
        ["last_payment_error"] = null,
        ["metadata"] = Metadata(metadata),
        ["status"] = "requires_confirmation",
    };

    public static JsonObject Charge(string id, long created, JsonObject intent, bool paid, string? balanceTransaction, string? failureCode, string? failureMessage) => new()
    {
        ["id"] = id,
        ["object"] = "charge",
        ["amount"] = intent["amount"]!.GetValue<long>(),
        ["amount_captured"] = paid ? intent["amount"]!.GetValue<long>() : 0L,
        ["amount_refunded"] = 0L,
        ["currency"] = intent["currency"]!.GetValue<string>(),
        ["customer"] = intent["customer"]?.GetValue<string>(),
        ["payment_intent"] = intent["id"]!.GetValue<string>(),
        ["payment_method"] = intent["payment_method"]!.GetValue<string>(),
        ["balance_transaction"] = balanceTransaction,
        ["captured"] = paid,
        ["paid"] = paid,
        ["refunded"] = false,
        ["disputed"] = false,
        ["status"] = paid ? "succeeded" : "failed",
        ["failure_code"] = failureCode,
        ["failure_message"] = failureMessage,
        ["created"] = created,
        ["livemode"] = false,
        ["metadata"] = intent["metadata"]!.DeepClone(),
    };

    /// <summary>Stripe's test-mode fee: 2.9 % + 30 minor units, rounded half up, integer only.</summary>
    public static long Fee(long amount) => ((amount * 29) + 500) / 1000 + 30;

    public static JsonObject BalanceTransaction(string id, long created, long amount, long fee, string currency, string type, string source) => new()
    {
        ["id"] = id,
        ["object"] = "balance_transaction",
        ["amount"] = amount,
        ["fee"] = fee,
        ["net"] = amount - fee,
        ["currency"] = currency,
        ["type"] = type,
        ["reporting_category"] = type,
        ["source"] = source,
        ["status"] = "available",
        ["available_on"] = created,
        ["created"] = created,
    };

    public static JsonObject Refund(string id, long created, long amount, JsonObject charge, string? reason, string balanceTransaction, IReadOnlyDictionary<string, string> metadata) => new()
    {
        ["id"] = id,
        ["object"] = "refund",
        ["amount"] = amount,
        ["currency"] = charge["currency"]!.GetValue<string>(),
        ["charge"] = charge["id"]!.GetValue<string>(),
        ["payment_intent"] = charge["payment_intent"]?.GetValue<string>(),
        ["balance_transaction"] = balanceTransaction,
        ["reason"] = reason,
        ["status"] = "succeeded",
        ["created"] = created,
        ["metadata"] = Metadata(metadata),
    };

    public static JsonObject Dispute(string id, long created, JsonObject charge) => new()
    {
        ["id"] = id,
        ["object"] = "dispute",
        ["amount"] = charge["amount"]!.GetValue<long>(),
        ["currency"] = charge["currency"]!.GetValue<string>(),
        ["charge"] = charge["id"]!.GetValue<string>(),
        ["payment_intent"] = charge["payment_intent"]?.GetValue<string>(),
        ["reason"] = "fraudulent",
        ["status"] = "needs_response",
        ["is_charge_refundable"] = false,
        ["created"] = created,
        ["livemode"] = false,
        // Like Stripe: a dispute has metadata of its own, not the charge's.
        ["metadata"] = new JsonObject(),
    };

    public static JsonObject Event(string id, long created, string type, JsonObject dataObject, string? requestId, string? idempotencyKey) => new()
    {
        ["id"] = id,
        ["object"] = "event",
        ["api_version"] = Billing.Ledger.Stripe.StripeOptions.DefaultApiVersion,
        ["created"] = created,
        ["livemode"] = false,
        ["pending_webhooks"] = 1,
        ["type"] = type,
        ["data"] = new JsonObject { ["object"] = dataObject.DeepClone() },
        ["request"] = new JsonObject { ["id"] = requestId, ["idempotency_key"] = idempotencyKey },
    };
}

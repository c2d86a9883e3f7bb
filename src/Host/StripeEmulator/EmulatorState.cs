using System.Text.Json.Nodes;

namespace Billing.Host.StripeEmulator;

/// <summary>The emulated account: every object, in creation order. All mutation happens under
/// one lock; the emulator is a test and demo tool, not a throughput engine.</summary>
internal sealed class EmulatorState(TimeProvider time)
{
    public Lock Gate { get; } = new();

    public Dictionary<string, JsonObject> Customers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, JsonObject> PaymentIntents { get; } = new(StringComparer.Ordinal);

    /// <summary>Charges and balance transactions in creation order (lists read them backwards).</summary>
    public List<JsonObject> Charges { get; } = [];

    public List<JsonObject> BalanceTransactions { get; } = [];

    public List<JsonObject> Refunds { get; } = [];

    public List<JsonObject> Disputes { get; } = [];

    public List<EmulatedCharge> Ledger { get; } = [];

    public Dictionary<string, EmulatedMeterEvent> MeterEvents { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset Now => time.GetUtcNow();

    public long NowUnix => time.GetUtcNow().ToUnixTimeSeconds();

    public JsonObject? Charge(string id) => Charges.FirstOrDefault(c => c["id"]!.GetValue<string>() == id);
}

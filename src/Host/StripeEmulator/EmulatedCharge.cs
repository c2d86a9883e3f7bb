namespace Billing.Host.StripeEmulator;

/// <summary>A charge that moved money, as the emulator's own ledger records it: tests use it to
/// prove nothing was charged twice (whatever the HTTP retries and idempotency replays did).</summary>
public sealed record EmulatedCharge(
    string ChargeId,
    string PaymentIntentId,
    long Amount,
    string Currency,
    string? Customer,
    string? IdempotencyKey,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset Created);

/// <summary>A usage report the emulated meter accepted; a repeated identifier is counted once.</summary>
public sealed record EmulatedMeterEvent(string EventName, string Customer, decimal Value, string Identifier, DateTimeOffset Timestamp);

/// <summary>An event the emulator emitted (and signs again on each delivery).</summary>
public sealed record EmulatedEvent(string Id, string Type, string Json, DateTimeOffset Created);

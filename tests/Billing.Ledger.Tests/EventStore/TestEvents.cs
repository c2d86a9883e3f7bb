using Billing.Ledger.EventStore;

namespace Billing.Ledger.Tests.EventStore;

[EventType("test.thing_happened.v1")]
public sealed record ThingHappened(string Name, long AmountMinor, string Currency);

[EventType("test.thing_renamed.v2")]
public sealed record ThingRenamedV2(string NewName, string Reason);

using Billing.Ledger.EventStore;

namespace Billing.Projections.Tests;

[EventType("ptest.deposited.v1")]
public sealed record Deposited(long Amount);

[EventType("ptest.withdrawn.v1")]
public sealed record Withdrawn(long Amount);

/// <summary>An event the test projections refuse to project (throws in Apply).</summary>
[EventType("ptest.poison.v1")]
public sealed record Poison(string Reason);

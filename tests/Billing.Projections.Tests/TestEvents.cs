using Billing.Ledger.EventStore;

namespace Billing.Projections.Tests;

[EventType("ptest.deposited.v1")]
public sealed record Deposited(long Amount);

[EventType("ptest.withdrawn.v1")]
public sealed record Withdrawn(long Amount);

/// <summary>An event the test projections refuse to project (throws in Apply).</summary>
[EventType("ptest.poison.v1")]
public sealed record Poison(string Reason);

/// <summary>Only the replay-order tests append it, so their projection sees no other test's events.</summary>
[EventType("ptest.counted.v1")]
public sealed record Counted(string Stream, long Seq);

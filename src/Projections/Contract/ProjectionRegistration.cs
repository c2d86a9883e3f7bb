namespace Billing.Projections;

/// <summary>How a projection is kept current.</summary>
public enum ProjectionMode
{
    /// <summary>Written in each append's transaction (read-your-writes: invoices, balances, access).</summary>
    Inline,

    /// <summary>Written by the async daemon, a page of the log at a time, behind the head by a little.</summary>
    Async,
}

/// <summary>What the daemon does when an event keeps failing after its retries: it always
/// records a dead letter first, then either skips past it or stops at it.</summary>
public enum PoisonEventPolicy
{
    /// <summary>Record the dead letter and carry on with the next event.</summary>
    Continue,

    /// <summary>Record the dead letter and pause the projection before the event until an operator retries it.</summary>
    Pause,
}

/// <summary>A projection plus how it runs.</summary>
public sealed record ProjectionRegistration(IProjection Projection, ProjectionMode Mode, PoisonEventPolicy OnPoison = PoisonEventPolicy.Continue, int MaxAttempts = 3)
{
    public string Name => Projection.Name;
}

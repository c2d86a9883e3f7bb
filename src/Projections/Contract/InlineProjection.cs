using Billing.Ledger.EventStore;

namespace Billing.Projections;

/// <summary>Runs a projection inside the append's transaction through the event store's
/// <see cref="IInlineProjection"/> hook: its commands ride in the unit of work's batch, so the
/// read model and the events commit together. An idempotent retry of an append runs this again;
/// the projection's version guards make that a no-op.</summary>
public sealed class InlineProjection(IProjection projection) : IInlineProjection
{
    private readonly HashSet<string>? _types = projection.EventTypes is null ? null : new HashSet<string>(projection.EventTypes, StringComparer.Ordinal);

    public IProjection Projection => projection;

    public void Project(IReadOnlyList<PendingEvent> events, UnitOfWork unitOfWork)
    {
        var handled = events.Where(e => _types is null || _types.Contains(e.Type)).Select(ProjectedEvent.From).ToList();
        if (handled.Count == 0)
        {
            return;
        }

        var writer = new BatchWriter(projection, TableTarget.Live);
        projection.Apply(handled, writer);
        foreach (var command in writer.Commands)
        {
            unitOfWork.AddCommand(command);
        }
    }
}

using Billing.Ledger.EventStore;

namespace Billing.Benchmarks;

/// <summary>The ledger cases: the public append API exactly as the product calls it.</summary>
public sealed partial class EventStoreBenchmark
{
    /// <summary>One unit of work per call: 100 streams, 10 events each, every append with the
    /// stream's exact expected version (the first one expects no stream).</summary>
    private static Func<CancellationToken, Task<int>> LedgerBatchWorker(EventStore store)
    {
        var streams = StreamIds("batch", StreamsPerBatch);
        var versions = new long[StreamsPerBatch];
        return async ct =>
        {
            var unitOfWork = store.BeginUnitOfWork(Metadata);
            for (var s = 0; s < StreamsPerBatch; s++)
            {
                var events = new NewEvent[EventsPerStreamInBatch];
                for (var e = 0; e < events.Length; e++)
                {
                    events[e] = NewEvent.For(Payload);
                }

                unitOfWork.Append(Tenant, streams[s], StreamType, ExpectedVersion.Exact(versions[s]), (IEnumerable<NewEvent>)events);
            }

            await unitOfWork.CommitAsync(ct);
            for (var s = 0; s < StreamsPerBatch; s++)
            {
                versions[s] += EventsPerStreamInBatch;
            }

            return StreamsPerBatch * EventsPerStreamInBatch;
        };
    }

    /// <summary>The webhook-handling shape: one event per append, exact expected version, on
    /// streams this worker owns (so a conflict would be a bug, and would surface as an error).</summary>
    private static Func<CancellationToken, Task<int>> LedgerSingleWorker(EventStore store, int worker)
    {
        var streams = StreamIds($"single-w{worker}", StreamsPerSingleWorker);
        var versions = new long[StreamsPerSingleWorker];
        var next = 0;
        return async ct =>
        {
            var s = next++ % StreamsPerSingleWorker;
            var result = await store.AppendAsync(Tenant, streams[s], StreamType, ExpectedVersion.Exact(versions[s]), [NewEvent.For(Payload)], Metadata, ct);
            versions[s] = result.LastVersion;
            return 1;
        };
    }
}

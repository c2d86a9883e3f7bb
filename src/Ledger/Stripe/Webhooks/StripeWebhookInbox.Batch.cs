using System.Diagnostics;
using Billing.Ledger.EventStore;

namespace Billing.Ledger.Stripe.Webhooks;

public sealed partial class StripeWebhookInbox
{
    // Deliveries handed to the writer and not yet taken into a batch, and the writer's wake-up
    // for the next arrival while it gathers (see WriteLoopAsync).
    private int _waiting;
    private TaskCompletionSource _arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Deliveries handed to the writer and not yet in a batch (for tests).</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    private void SignalArrival()
    {
        Interlocked.Increment(ref _waiting);
        Volatile.Read(ref _arrival).TrySetResult();
    }

    /// <summary>Opportunistic batching: while a batch's transaction is in flight, arrivals queue;
    /// the next batch takes all that queued (up to <see cref="MaxBatch"/>). Nothing waits for a
    /// batch to fill: with no batch in flight, a lone delivery commits at once. Beside a batch in
    /// flight, another starts only once <see cref="StripeWebhookBatching.GatherAt"/> deliveries
    /// wait; fewer gather until then or until the batch in flight commits, whichever comes
    /// first. So a delivery waits at most one batch's commit, as it
    /// would behind a full pipeline, and the per-batch costs (a round trip, a WAL
    /// flush) are shared by more deliveries (docs/stripe.md "Acceptance is group-committed").</summary>
    private async Task WriteLoopAsync()
    {
        var reader = _arrivals.Reader;
        var running = new List<Task>(Batching.MaxInFlight);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count >= Batching.MaxInFlight)
            {
                await Task.WhenAny(running);
                continue;
            }

            if (running.Count > 0 && !await EnoughWaitingAsync(running))
            {
                continue;
            }

            var batch = new List<Delivery>();
            while (batch.Count < MaxBatch && reader.TryRead(out var delivery))
            {
                batch.Add(delivery);
                Interlocked.Decrement(ref _waiting);
            }

            running.Add(Task.Run(() => WriteAsync(batch)));
        }

        await Task.WhenAll(running);
    }

    /// <summary>True when enough deliveries wait for a batch beside those in flight; otherwise
    /// waits for the next arrival or a commit, and the caller looks again.</summary>
    private async Task<bool> EnoughWaitingAsync(List<Task> running)
    {
        // A fresh wake-up first, then the count: an arrival counted after the look pulses it.
        var arrival = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _arrival, arrival);
        if (Volatile.Read(ref _waiting) >= Batching.GatherAt)
        {
            return true;
        }

        await Task.WhenAny(arrival.Task, Task.WhenAny(running));
        return false;
    }

    /// <summary>Commits a batch; when its transaction fails, commits each delivery on its own so
    /// one bad delivery (say a payload PostgreSQL's jsonb refuses) fails alone.</summary>
    private async Task WriteAsync(List<Delivery> batch)
    {
        try
        {
            await CommitAsync(batch);
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            LogBatchFailed(_logger, ex, batch.Count);
        }
        catch (Exception ex)
        {
            Fail(batch[0], ex);
            return;
        }

        foreach (var delivery in batch)
        {
            try
            {
                await CommitAsync([delivery]);
            }
            catch (Exception ex)
            {
                Fail(delivery, ex);
            }
        }
    }

    private void Fail(Delivery delivery, Exception ex)
    {
        if (ex is WrongExpectedVersionException { ActualVersion: > 0 })
        {
            // The event's stream (named after the Stripe event id) exists with other events
            // first, so the append is not the idempotent no-op: recorded already all the same.
            delivery.Answer(duplicate: true);
            return;
        }

        LogRecordFailed(_logger, ex, delivery.Envelope.Id, delivery.Envelope.Type);
        delivery.Outcome.TrySetException(ex);
    }

    /// <summary>One round trip, one implicit transaction: every distinct delivery's
    /// <c>stripe.webhook_received.v1</c> append at NoStream. The event
    /// store's append is idempotent on the event id (derived from the Stripe event id), so its
    /// results tell which deliveries are fresh, with no read first: a copy recorded earlier (or
    /// by a concurrent batch, whose commit the append waits for) comes back as a duplicate.
    /// Answers are given only after the commit; copies inside the batch are answered as
    /// duplicates of their first copy. When any event is fresh the dispatcher is signalled, to
    /// give it its receipt and processing job.</summary>
    private async Task CommitAsync(IReadOnlyList<Delivery> batch)
    {
        var firsts = new Dictionary<string, Delivery>(batch.Count, StringComparer.Ordinal);
        foreach (var delivery in batch)
        {
            firsts.TryAdd(delivery.Envelope.Id, delivery);
        }

        var ordered = firsts.Values.OrderBy(d => d.Envelope.Id, StringComparer.Ordinal).ToList();
        var started = Stopwatch.GetTimestamp();
        var results = await RecordingUnit(ordered).CommitAsync(CancellationToken.None);
        _metrics?.WebhookBatchCommitted(batch.Count, Stopwatch.GetElapsedTime(started));
        var fresh = new HashSet<string>(ordered.Count, StringComparer.Ordinal);
        for (var i = 0; i < ordered.Count; i++)
        {
            if (!results[i].Duplicate)
            {
                fresh.Add(ordered[i].Envelope.Id);
            }
        }

        if (fresh.Count > 0)
        {
            _dispatcher?.Signal();
        }

        foreach (var delivery in batch)
        {
            delivery.Answer(duplicate: !(fresh.Contains(delivery.Envelope.Id) && ReferenceEquals(firsts[delivery.Envelope.Id], delivery)));
        }
    }

    /// <summary>The batch's unit of work: one append per distinct event (in event-id order, the
    /// appends' results in the same order), each with its own request's metadata (correlation
    /// id, causation id = the Stripe event id, actor).</summary>
    private UnitOfWork RecordingUnit(List<Delivery> ordered)
    {
        var uow = _store.BeginUnitOfWork(ordered[0].Metadata);
        foreach (var delivery in ordered)
        {
            var (e, tenant) = (delivery.Envelope, delivery.Tenant);
            var received = new StripeWebhookReceived(e.Id, e.Type, e.ObjectType, e.ObjectId, e.Livemode, e.Created, tenant.Matched, tenant.ResolvedBy, e.Payload);
            uow.Append(tenant.TenantId, StripeWebhookStreams.StreamId(e.Id), StripeWebhookStreams.StreamType, ExpectedVersion.NoStream,
                [new NewEvent(StripeWebhookStreams.ReceivedEventId(e.Id), received)], delivery.Metadata);
        }

        return uow;
    }
}

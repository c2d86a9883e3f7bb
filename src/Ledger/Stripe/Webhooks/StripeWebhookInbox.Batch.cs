using Billing.Ledger.EventStore;

namespace Billing.Ledger.Stripe.Webhooks;

public sealed partial class StripeWebhookInbox
{
    /// <summary>Opportunistic batching: while a batch's transaction is in flight, arrivals queue;
    /// the next batch takes all that queued (up to <see cref="MaxBatch"/>). Nothing waits for a
    /// batch to fill, so a lone delivery commits at once.</summary>
    private async Task WriteLoopAsync()
    {
        var reader = _arrivals.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            await _inFlight.WaitAsync(CancellationToken.None);
            var batch = new List<Delivery>();
            while (batch.Count < MaxBatch && reader.TryRead(out var delivery))
            {
                batch.Add(delivery);
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await WriteAsync(batch);
                }
                finally
                {
                    _inFlight.Release();
                }
            });
        }
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
            // The event's stream exists although its receipt did not: recorded already.
            delivery.Answer(duplicate: true);
            return;
        }

        LogRecordFailed(_logger, ex, delivery.Envelope.Id, delivery.Envelope.Type);
        delivery.Outcome.TrySetException(ex);
    }

    /// <summary>One transaction: the receipts set-wise, then the fresh events and their jobs in
    /// one unit of work, then one commit. Answers are given only after the commit; copies inside
    /// the batch are answered as duplicates of their first copy.</summary>
    private async Task CommitAsync(IReadOnlyList<Delivery> batch)
    {
        var firsts = new Dictionary<string, Delivery>(batch.Count, StringComparer.Ordinal);
        foreach (var delivery in batch)
        {
            firsts.TryAdd(delivery.Envelope.Id, delivery);
        }

        var ordered = firsts.Values.OrderBy(d => d.Envelope.Id, StringComparer.Ordinal).ToList();
        HashSet<string> fresh;
        UnitOfWork? uow;
        await using (var connection = await _store.DataSource.OpenConnectionAsync(CancellationToken.None))
        await using (var transaction = await connection.BeginTransactionAsync(CancellationToken.None))
        {
            fresh = await InsertReceiptsAsync(connection, transaction, ordered, _time.GetUtcNow());
            uow = RecordingUnit([.. ordered.Where(d => fresh.Contains(d.Envelope.Id))]);
            if (uow is not null)
            {
                await uow.CommitAsync(connection, transaction, CancellationToken.None);
            }

            await transaction.CommitAsync(CancellationToken.None);
        }

        uow?.NotifyCommitted();
        foreach (var delivery in batch)
        {
            delivery.Answer(duplicate: !(fresh.Contains(delivery.Envelope.Id) && ReferenceEquals(firsts[delivery.Envelope.Id], delivery)));
        }
    }

    /// <summary>One unit of work for all fresh events of the batch, so they go to the server in
    /// one round trip. Each append carries its own request's metadata (correlation id, causation
    /// id = the Stripe event id, actor); their processing is enqueued together (one job for the
    /// batch on the job queue), each event keeping its request's correlation id.</summary>
    private UnitOfWork? RecordingUnit(List<Delivery> fresh)
    {
        if (fresh.Count == 0)
        {
            return null;
        }

        var uow = _store.BeginUnitOfWork(fresh[0].Metadata);
        foreach (var delivery in fresh)
        {
            var (e, tenant) = (delivery.Envelope, delivery.Tenant);
            var received = new StripeWebhookReceived(e.Id, e.Type, e.ObjectType, e.ObjectId, e.Livemode, e.Created, tenant.Matched, tenant.ResolvedBy, e.Payload);
            uow.Append(tenant.TenantId, StripeWebhookStreams.StreamId(e.Id), StripeWebhookStreams.StreamType, ExpectedVersion.NoStream,
                [new NewEvent(StripeWebhookStreams.ReceivedEventId(e.Id), received)], delivery.Metadata);
        }

        _queue.EnqueueAll(uow, [.. fresh.Select(d => new StripeWebhookBatchItem(d.Envelope.Id, d.Tenant.TenantId, d.Metadata.CorrelationId))]);
        return uow;
    }
}

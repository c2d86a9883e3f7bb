using System.Diagnostics;
using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Observability;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>How the dispatcher paces itself.</summary>
public sealed record StripeWebhookDispatchOptions
{
    /// <summary>Looks for events this often when nothing wakes it (events recorded by other Hosts).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>At most one pass per this interval while deliveries keep arriving, so a pass takes
    /// many events (one transaction and one WAL flush for all) instead of a few. A lone delivery
    /// after a quiet spell is dispatched at once.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Events one pass takes at most.</summary>
    public int PageSize { get; init; } = 2_048;

    /// <summary>Log positions one pass scans at most: other events (usage, invoices) are skipped by
    /// reading their rows, so a pass behind a huge import stays short.</summary>
    public long Window { get; init; } = 100_000;

    /// <summary>Events per processing job. The job workers claim several jobs at once
    /// (<c>JobWorkerOptions.BatchSize</c>, 16) and process them in one transaction, so this times
    /// that is a processing transaction's size: 16 keeps it near the ~100-250 events the set-wise
    /// processing was tuned for (bigger jobs drained a backlog at half the rate).</summary>
    public int EventsPerJob { get; init; } = 16;

    /// <summary>After a failed pass, wait this long before the next.</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>What one pass did: the checkpoint moved from <see cref="From"/> to <see cref="To"/>,
/// passing <see cref="Taken"/> webhook events, <see cref="Dispatched"/> of which got their
/// receipt and job now (the others had them already). <see cref="More"/>: the pass stopped short
/// of the settled position <see cref="UpTo"/>, so another should follow at once.</summary>
public sealed record StripeWebhookDispatchPass(long From, long To, long UpTo, int Taken, int Dispatched)
{
    public bool More => To < UpTo;
}

/// <summary>Schedules processing for recorded Stripe events, off the acknowledgement path: the
/// inbox's recording transaction only appends each delivery's <c>stripe.webhook_received.v1</c>
/// event; this reads those events back in log order from a checkpoint
/// (<c>ledger.stripe_webhook_dispatch</c>), up to a settled position (<see cref="LogFence"/>), and
/// in ONE transaction per pass writes their receipts, enqueues their processing
/// (<see cref="IStripeWebhookQueue"/>: a job per up to
/// <see cref="StripeWebhookDispatchOptions.EventsPerJob"/> events) and moves the checkpoint. A
/// crash before that commit leaves the checkpoint where it was, so the next pass does the same
/// events again; each event's receipt is inserted once
/// (primary key), and only the events whose receipt a pass inserted get a job, so none is
/// processed twice. See docs/stripe.md "Acceptance and dispatch".</summary>
public sealed partial class StripeWebhookDispatcher
{
    /// <summary>The actor of the dispatch transaction's metadata.</summary>
    public const string Actor = "stripe-webhook-dispatch";

    private const string DispatchSql = """
        SELECT o_from, o_to, o_taken, o_event_ids, o_tenants, o_correlation_ids
          FROM ledger.dispatch_stripe_webhooks($1, $2, $3, $4, $5, $6)
        """;

    /// <summary>The JSON names of the received event's fields the receipt copies, in the order
    /// the SQL function reads them.</summary>
    private static readonly string[] ReceiptKeys =
    [
        Json(nameof(StripeWebhookReceived.StripeEventId)),
        Json(nameof(StripeWebhookReceived.Type)),
        Json(nameof(StripeWebhookReceived.ObjectId)),
        Json(nameof(StripeWebhookReceived.Livemode)),
        Json(nameof(StripeWebhookReceived.StripeCreatedAt)),
        Json(nameof(StripeWebhookReceived.Matched)),
    ];

    private readonly EventStore.EventStore _store;
    private readonly IStripeWebhookQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<StripeWebhookDispatcher> _logger;
    private readonly BillingMetrics? _metrics;
    private readonly StripeWebhookStormHold? _storm;
    private readonly JobSignal _wake = new();

    public StripeWebhookDispatcher(
        EventStore.EventStore store,
        IStripeWebhookQueue queue,
        TimeProvider time,
        ILogger<StripeWebhookDispatcher> logger,
        BillingMetrics? metrics = null,
        StripeWebhookStormHold? storm = null,
        StripeWebhookDispatchOptions? options = null)
    {
        options ??= new StripeWebhookDispatchOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EventsPerJob, 1);
        _store = store;
        _queue = queue;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _storm = storm;
        Options = options;
    }

    public StripeWebhookDispatchOptions Options { get; }

    /// <summary>Asks for a pass soon (the inbox calls it after recording fresh events). Never blocks.</summary>
    public void Signal() => _wake.Pulse();

    /// <summary>Dispatches until every event recorded before the call is dispatched; returns how
    /// many got their receipt and job. For the background loop, operators' commands and tests.</summary>
    public async Task<int> DispatchAllAsync(CancellationToken ct)
    {
        var dispatched = 0;
        StripeWebhookDispatchPass pass;
        do
        {
            pass = await DispatchOnceAsync(ct);
            dispatched += pass.Dispatched;
        }
        while (pass.More);

        return dispatched;
    }

    /// <summary>One pass: at most <see cref="StripeWebhookDispatchOptions.PageSize"/> events and
    /// <see cref="StripeWebhookDispatchOptions.Window"/> positions, in one transaction.</summary>
    public async Task<StripeWebhookDispatchPass> DispatchOnceAsync(CancellationToken ct)
    {
        var upTo = await LogFence.SettledAsync(_store.DataSource, ct, _logger);
        await using var connection = await _store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long from, to;
        int taken;
        var fresh = new List<StripeWebhookBatchItem>();
        await using (var command = new NpgsqlCommand(DispatchSql, connection, tx))
        {
            var p = command.Parameters;
            p.Add(new NpgsqlParameter<long> { TypedValue = upTo });
            p.Add(new NpgsqlParameter<long> { TypedValue = Options.Window });
            p.Add(new NpgsqlParameter<int> { TypedValue = Options.PageSize });
            p.Add(new NpgsqlParameter<string> { TypedValue = _store.Registry.WireNameOf(typeof(StripeWebhookReceived)) });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = ReceiptKeys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            (from, to, taken) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2));
            if (!reader.IsDBNull(3))
            {
                var ids = reader.GetFieldValue<string[]>(3);
                var tenants = reader.GetFieldValue<string[]>(4);
                var correlations = reader.GetFieldValue<string?[]>(5);
                for (var i = 0; i < ids.Length; i++)
                {
                    fresh.Add(new StripeWebhookBatchItem(ids[i], tenants[i], correlations[i]));
                }
            }
        }

        UnitOfWork? uow = null;
        if (fresh.Count > 0)
        {
            uow = _store.BeginUnitOfWork(new EventMetadata(fresh[0].CorrelationId, null, Actor));
            foreach (var chunk in fresh.Chunk(Options.EventsPerJob))
            {
                _queue.Enqueue(uow, chunk);
            }

            if (_storm?.IsHolding == true)
            {
                // This process's workers would not claim the jobs: waking them only makes them
                // claim other types and find nothing. They poll once the hold ends.
                uow.EnqueuesDueJob = false;
            }

            await uow.CommitAsync(connection, tx, ct);
        }

        await tx.CommitAsync(ct);
        uow?.NotifyCommitted();
        _metrics?.WebhooksDispatched(fresh.Count);
        if (taken > 0)
        {
            LogDispatched(_logger, taken, fresh.Count, from, to);
        }

        return new StripeWebhookDispatchPass(from, to, upTo, taken, fresh.Count);
    }

    /// <summary>The background loop (<see cref="StripeWebhookDispatchService"/>): a pass at start
    /// (events recorded before a crash or by the previous version), then one whenever the inbox
    /// signals or <see cref="StripeWebhookDispatchOptions.PollInterval"/> passes, at most one per
    /// <see cref="StripeWebhookDispatchOptions.MinInterval"/>. A failed pass is logged and tried
    /// again after <see cref="StripeWebhookDispatchOptions.ErrorBackoff"/>: the events wait in the
    /// log, acknowledged and durable.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await DispatchAllAsync(ct);
                await _wake.WaitAsync(Options.PollInterval, ct);
                var rest = Options.MinInterval - Stopwatch.GetElapsedTime(started);
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPassFailed(_logger, ex, Options.ErrorBackoff.TotalSeconds);
                try
                {
                    await Task.Delay(Options.ErrorBackoff, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static string Json(string property) => EventTypeRegistry.JsonOptions.PropertyNamingPolicy?.ConvertName(property) ?? property;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stripe webhook dispatch: {Taken} recorded events passed, {Dispatched} given receipts and jobs (log {From} to {To})")]
    private static partial void LogDispatched(ILogger logger, int taken, int dispatched, long from, long to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stripe webhook dispatch pass failed; retrying in {Seconds} s (recorded events wait in the log)")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, double seconds);
}

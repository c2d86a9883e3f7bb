using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Billing.Ledger.Jobs;

/// <summary>One worker. Claims due jobs of the types it has handlers for, in batches, with
/// FOR UPDATE SKIP LOCKED and a lease (one short transaction), then runs each handler outside
/// any transaction and records the outcome under the lease. Any number of workers, in one or
/// many processes, can share the table; a job is never run by two of them while a lease holds.</summary>
public sealed partial class JobWorker
{
    // Completions of handlers that did not complete themselves are sent together, but never
    // held longer than this, so a slow job later in a batch does not delay earlier ones.
    private static readonly TimeSpan CompletionFlushAge = TimeSpan.FromMilliseconds(200);

    private readonly Dictionary<string, IJobHandler> _handlers;
    private readonly string[] _types;
    private readonly JobTable _table;
    private readonly TimeProvider _clock;
    private readonly JobWorkerOptions _options;
    private readonly JobSignal? _signal;
    private readonly IJobHold[] _holds;
    private readonly ILogger _logger;

    public JobWorker(
        NpgsqlDataSource dataSource,
        IEnumerable<IJobHandler> handlers,
        TimeProvider? clock = null,
        JobWorkerOptions? options = null,
        JobSignal? signal = null,
        ILogger<JobWorker>? logger = null,
        IEnumerable<IJobHold>? holds = null)
    {
        _clock = clock ?? TimeProvider.System;
        _options = options ?? new JobWorkerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BatchSize, 1);
        _handlers = new Dictionary<string, IJobHandler>(StringComparer.Ordinal);
        foreach (var handler in handlers)
        {
            if (!_handlers.TryAdd(handler.JobType, handler))
            {
                throw new ArgumentException($"Two handlers for job type '{handler.JobType}'.", nameof(handlers));
            }
        }

        _types = [.. _handlers.Keys];
        _table = new JobTable(dataSource, _clock, _options.WorkerId);
        _signal = signal;
        _holds = holds?.ToArray() ?? [];
        _logger = logger ?? NullLogger<JobWorker>.Instance;
    }

    public string WorkerId => _options.WorkerId;

    /// <summary>Claims one batch of jobs due now and runs them; returns how many it processed
    /// (completed, failed, rescheduled or dead-lettered). When <paramref name="ct"/> is cancelled
    /// the claimed jobs not yet started are released for other workers.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var types = ClaimableTypes();
        if (types.Length == 0 || ct.IsCancellationRequested)
        {
            return 0;
        }

        // Not cancellable once sent: a claim that committed while its caller gave up would leave
        // jobs leased to nobody until the lease expires.
        var claimed = await _table.ClaimAsync(types, _options.BatchSize, _options.LeaseDuration, CancellationToken.None);
        var settled = await RunBatchesAsync(claimed, ct);
        var finished = new List<ClaimedJob>();
        var oldestFinished = 0L;
        var processed = settled.Count;
        for (var i = 0; i < claimed.Count; i++)
        {
            if (settled.Contains(claimed[i].Job.Id))
            {
                continue;
            }

            if (ct.IsCancellationRequested)
            {
                await ReleaseAsync(claimed.Skip(i).Where(j => !settled.Contains(j.Job.Id)), "released at shutdown before it started");
                break;
            }

            if (await RunOneAsync(claimed[i], ct))
            {
                oldestFinished = finished.Count == 0 ? Stopwatch.GetTimestamp() : oldestFinished;
                finished.Add(claimed[i]);
            }

            processed++;
            if (finished.Count > 0 && Stopwatch.GetElapsedTime(oldestFinished) > CompletionFlushAge)
            {
                await CompleteFinishedAsync(finished);
            }
        }

        await CompleteFinishedAsync(finished);
        return processed;
    }

    /// <summary>The handled types no hold holds right now.</summary>
    private string[] ClaimableTypes() =>
        _holds.Length == 0 ? _types : [.. _types.Where(type => !_holds.Any(hold => hold.Holds(type)))];

    /// <summary>Runs until no job is due (jobs scheduled later, or retrying later, stay).</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        while (await RunOnceAsync(ct) > 0)
        {
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled: claims while there is work, and
    /// when idle waits for a notification, a test-clock advance or the poll interval. On
    /// cancellation the running handler sees the token; whatever it does not finish is released.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        _logger.LogInformation("Job worker {WorkerId} started for {JobTypes}", WorkerId, _types);
        using var ownSignal = _signal is null ? new JobSignal(_clock) : null;
        var signal = _signal ?? ownSignal!;
        var failed = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (failed)
                {
                    failed = false;
                    await Task.Delay(_options.ErrorBackoff, _clock, ct);
                }

                if (await RunOnceAsync(ct) < _options.BatchSize)
                {
                    await signal.WaitAsync(_options.PollInterval, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (NpgsqlException ex)
            {
                // The database is unreachable or restarting: every write is lease-guarded, so
                // pausing and claiming again is safe; a job this worker held is re-delivered
                // when its lease expires.
                _logger.LogError(ex, "Job worker {WorkerId} could not reach the database; retrying in {Delay}", WorkerId, _options.ErrorBackoff);
                failed = true;
            }
        }

        _logger.LogInformation("Job worker {WorkerId} stopped", WorkerId);
    }
}

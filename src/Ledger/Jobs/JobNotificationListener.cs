using Microsoft.Extensions.Logging;
using Npgsql;

namespace Billing.Ledger.Jobs;

/// <summary>Holds one connection on LISTEN ledger_jobs (notified by enqueue and re-queue of due
/// jobs) and pulses the workers' <see cref="JobSignal"/>. Notifications only shorten the wait:
/// workers also poll, so a lost connection delays jobs by at most the poll interval.</summary>
internal sealed class JobNotificationListener(NpgsqlDataSource dataSource, JobSignal signal, TimeSpan reconnectDelay, ILogger logger)
{
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException ex)
            {
                logger.LogWarning(ex, "LISTEN ledger_jobs lost its connection; workers poll meanwhile; reconnecting in {Delay}", reconnectDelay);
                await PauseAsync(ct);
            }
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        connection.Notification += (_, _) => signal.Pulse();
        await using (var listen = new NpgsqlCommand("LISTEN ledger_jobs", connection))
        {
            await listen.ExecuteNonQueryAsync(ct);
        }

        // Jobs enqueued while we were not listening: wake the workers once.
        signal.Pulse();
        while (true)
        {
            await connection.WaitAsync(ct);
        }
    }

    private async Task PauseAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(reconnectDelay, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: RunAsync's loop condition ends the listener.
        }
    }
}

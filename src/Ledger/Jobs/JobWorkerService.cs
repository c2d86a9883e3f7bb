using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Billing.Ledger.Jobs;

/// <summary>Runs the process's job workers and the LISTEN connection that wakes them. On
/// shutdown the workers' token is cancelled: a running handler sees it and either finishes or
/// its job is released back to the queue (not counted as an attempt); claimed jobs not yet
/// started are released at once.</summary>
public sealed class JobWorkerService(
    NpgsqlDataSource dataSource,
    IEnumerable<IJobHandler> handlers,
    TimeProvider clock,
    JobSignal signal,
    JobQueueOptions options,
    ILoggerFactory loggers,
    IEnumerable<IJobHold> holds) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var list = handlers.ToList();
        var logger = loggers.CreateLogger<JobWorkerService>();
        if (list.Count == 0 || options.Workers == 0)
        {
            logger.LogInformation("No job workers started ({Handlers} handlers, {Workers} workers configured)", list.Count, options.Workers);
            return Task.CompletedTask;
        }

        var listener = new JobNotificationListener(dataSource, signal, options.Worker.ErrorBackoff, logger);
        var runs = new List<Task> { Task.Run(() => listener.RunAsync(stoppingToken), CancellationToken.None) };
        for (var i = 0; i < options.Workers; i++)
        {
            var workerOptions = options.Worker with { WorkerId = $"{options.Worker.WorkerId}/{i}" };
            var worker = new JobWorker(dataSource, list, clock, workerOptions, signal, loggers.CreateLogger<JobWorker>(), holds);
            runs.Add(Task.Run(() => worker.RunAsync(stoppingToken), CancellationToken.None));
        }

        return Task.WhenAll(runs);
    }
}

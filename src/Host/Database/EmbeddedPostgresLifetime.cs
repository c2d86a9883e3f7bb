using Billing.Ledger.Postgres;
using Microsoft.Extensions.Hosting;

namespace Billing.Host.Database;

/// <summary>Stops the embedded cluster when the Host stops (Ctrl-C, SIGTERM), after every other
/// hosted service has stopped using it (hosted services stop in reverse order, and this one is
/// registered first).</summary>
internal sealed class EmbeddedPostgresLifetime(EmbeddedPostgres server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(CancellationToken.None);
}

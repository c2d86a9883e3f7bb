using System.Text.Json;
using Billing.Ledger.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Billing.Host.Tests.Cli;

/// <summary><c>billing jobs</c> as a process: a real dead letter is listed, re-queued once, and a
/// second re-queue is a one-line error.</summary>
public sealed class JobsCliTests(BillingApiFactory api) : IClassFixture<BillingApiFactory>
{
    private sealed class AlwaysFails : IJobHandler
    {
        public string JobType => "cli_test.always_fails";

        public JobPolicy Policy { get; } = new(1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        public Task HandleAsync(JobContext context, CancellationToken ct) => throw new InvalidOperationException("card processor unreachable");
    }

    [Fact]
    public async Task a_dead_letter_is_listed_with_its_error_and_can_be_requeued_once()
    {
        var queue = api.Services.GetRequiredService<JobQueue>();
        var id = (await queue.EnqueueAsync(new JobRequest("cli_test.always_fails", """{"n":1}""", TenantId: "acme"), CancellationToken.None))!.Value;
        await new JobWorker(api.Services.GetRequiredService<NpgsqlDataSource>(), [new AlwaysFails()]).DrainAsync(CancellationToken.None);

        var (listCode, listed, _) = await BillingAsync("jobs", "dead-letters", "--type", "cli_test.always_fails", "--json");
        var dead = Assert.Single(JsonDocument.Parse(listed).RootElement.EnumerateArray());
        Assert.Equal(0, listCode);
        Assert.Equal(id, dead.GetProperty("id").GetInt64());
        Assert.Contains("card processor unreachable", dead.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        var (requeueCode, _, _) = await BillingAsync("jobs", "requeue", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var again = await BillingAsync("jobs", "requeue", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(0, requeueCode);
        Assert.Equal("pending", (await queue.GetAsync(id, CancellationToken.None))!.State);
        Assert.Equal(1, again.Code);
        Assert.Equal($"error: no dead job with id {id}", again.Err.Trim());
    }

    private Task<(int Code, string Out, string Err)> BillingAsync(params string[] args) =>
        CliProcess.RunAsync(api.ConnectionString, new Dictionary<string, string>(), args);
}

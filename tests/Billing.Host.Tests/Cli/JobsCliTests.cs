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

    [Fact]
    public async Task purge_counts_in_a_dry_run_deletes_with_confirm_and_refuses_a_zero_day_cutoff()
    {
        var queue = api.Services.GetRequiredService<JobQueue>();
        var dataSource = api.Services.GetRequiredService<NpgsqlDataSource>();
        var type = "cli_test.purge." + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await queue.EnqueueAsync(new JobRequest(type, $$"""{"n":{{i}}}"""), CancellationToken.None))!.Value);
        }

        await new JobWorker(dataSource, [new Succeeds(type)]).DrainAsync(CancellationToken.None);
        // Two of them completed 40 days ago, one just now.
        await using (var backdate = dataSource.CreateCommand("UPDATE ledger.jobs SET completed_at = now() - interval '40 days' WHERE id = ANY($1)"))
        {
            backdate.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [ids[0], ids[1]] });
            Assert.Equal(2, await backdate.ExecuteNonQueryAsync());
        }

        var (dryCode, dryOut, _) = await BillingAsync("jobs", "purge", "--older-than", "30", "--json");
        var dry = JsonDocument.Parse(dryOut).RootElement;
        Assert.Equal(0, dryCode);
        Assert.True(dry.GetProperty("dryRun").GetBoolean());
        Assert.Equal(2, PurgedOf(dry, type));
        Assert.NotNull(await queue.GetAsync(ids[0], CancellationToken.None));

        var (code, text, _) = await BillingAsync("jobs", "purge", "--older-than", "30", "--confirm");
        Assert.Equal(0, code);
        Assert.Contains(type, text, StringComparison.Ordinal);
        Assert.Matches(@"jobs purge: deleted \d+ completed job\(s\) older than 30 day\(s\)", text);
        Assert.Null(await queue.GetAsync(ids[0], CancellationToken.None));
        Assert.Null(await queue.GetAsync(ids[1], CancellationToken.None));
        Assert.Equal("completed", (await queue.GetAsync(ids[2], CancellationToken.None))!.State);

        var zero = await BillingAsync("jobs", "purge", "--older-than", "0", "--confirm");
        Assert.Equal(1, zero.Code);
        Assert.Equal("error: --older-than must be at least 1 (days)", zero.Err.Trim());
        Assert.Equal("completed", (await queue.GetAsync(ids[2], CancellationToken.None))!.State);
    }

    private static long PurgedOf(JsonElement report, string type) =>
        report.GetProperty("byType").EnumerateArray().Where(t => t.GetProperty("type").GetString() == type).Sum(t => t.GetProperty("count").GetInt64());

    private sealed class Succeeds(string type) : IJobHandler
    {
        public string JobType => type;

        public JobPolicy Policy => JobPolicy.Default;

        public Task HandleAsync(JobContext context, CancellationToken ct) => Task.CompletedTask;
    }

    private Task<(int Code, string Out, string Err)> BillingAsync(params string[] args) =>
        CliProcess.RunAsync(api.ConnectionString, new Dictionary<string, string>(), args);
}

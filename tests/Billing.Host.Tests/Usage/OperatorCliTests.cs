using Billing.Host.Cli;
using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Usage;
using Billing.Testing;
using Npgsql;

namespace Billing.Host.Tests.Usage;

/// <summary>The operator commands against this class's database (system clock), checked by exit
/// code and by what they leave in the database.</summary>
public sealed class OperatorCliTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private Task<int> RunAsync(params string[] args) => BillingCli.RunAsync([.. args, "--ConnectionStrings:Ledger=" + db.ConnectionString, "--Logging:LogLevel:Default=Warning"]);

    private async Task<long> CountAsync(string sql, params object[] args)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task validate_contract_fails_closed_only_when_stored_usage_breaks_the_contract()
    {
        Assert.Equal(0, await RunAsync("usage", "validate-contract", "--lookback-days", "30", "--fail-closed"));
        await db.CreateStore().AppendAsync("ghost", UsageStreams.IdOf("ghost", 0), UsageStreams.Type, ExpectedVersion.Any,
            [NewEvent.For(new UsageRecorded("g1", "api_calls", 1, DateTimeOffset.UtcNow, DateOnly.FromDateTime(DateTime.UtcNow), null, "h"))]);

        Assert.Equal(1, await RunAsync("usage", "validate-contract", "--lookback-days", "30", "--fail-closed"));
        Assert.Equal(0, await RunAsync("usage", "validate-contract", "--lookback-days", "30"));
    }

    [Fact]
    public async Task close_period_finalizes_a_past_period_and_refuses_a_malformed_one()
    {
        var store = db.CreateStore(inline: [new TenantProjection()]);
        await new TenantDirectory(store, PlanCatalogueLoader.Create(DefaultPlans.All), TimeProvider.System)
            .CreateAsync("cli-t", new TenantProfile("Cli", "starter", "USD", "a@b.test", "UTC", null, null), EventMetadata.Empty, CancellationToken.None);
        var previous = BillingPeriod.Of(DateOnly.FromDateTime(DateTime.UtcNow)).Previous.Previous;

        Assert.Equal(2, await RunAsync("invoices", "close-period", "--period", "last-month"));
        Assert.Equal(0, await RunAsync("invoices", "close-period", "--tenant", "cli-t", "--period", previous.ToString()));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM rm.invoices WHERE tenant_id = 'cli-t' AND status = 'open' AND period = $1", previous.ToString()));
    }

    [Fact]
    public async Task purge_and_export_run_and_a_mistyped_flag_is_an_error()
    {
        Assert.Equal(2, await RunAsync("usage", "purge", "--older-than", "30", "--confrim"));
        Assert.Equal(0, await RunAsync("usage", "purge", "--older-than", "30"));
        var file = Path.Combine(Path.GetTempPath(), "gl-" + Guid.NewGuid().ToString("N") + ".csv");
        try
        {
            Assert.Equal(0, await RunAsync("export", "accounting-csv", "--from", "2026-01-01", "--to", "2026-12-31", "--output", file));
            Assert.StartsWith("date,journal,invoice_number", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
            Assert.Equal(2, await RunAsync("export", "accounting-csv", "--from", "2026-12-31", "--to", "2026-01-01"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}

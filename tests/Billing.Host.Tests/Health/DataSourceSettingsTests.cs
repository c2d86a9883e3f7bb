using Npgsql;

namespace Billing.Host.Tests.Health;

public sealed class DataSourceSettingsTests
{
    [Fact]
    public void statements_are_auto_prepared_unless_the_connection_string_decides()
    {
        var defaulted = new NpgsqlConnectionStringBuilder(BillingApp.AutoPrepared("Host=127.0.0.1;Database=ledger"));
        var disabled = new NpgsqlConnectionStringBuilder(BillingApp.AutoPrepared("Host=127.0.0.1;Database=ledger;Max Auto Prepare=0"));
        var own = new NpgsqlConnectionStringBuilder(BillingApp.AutoPrepared("Host=127.0.0.1;maxautoprepare=20"));

        Assert.Equal((256, 3), (defaulted.MaxAutoPrepare, defaulted.AutoPrepareMinUsages));
        Assert.Equal("ledger", defaulted.Database);
        Assert.Equal(0, disabled.MaxAutoPrepare);
        Assert.Equal(20, own.MaxAutoPrepare);
    }
}

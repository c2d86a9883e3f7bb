using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Ledger.Tests.Postgres;

public sealed class EmbeddedPostgresTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "billing-embedded-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task a_server_left_running_by_a_killed_run_is_adopted_survives_disposal_and_is_stopped_by_its_owner()
    {
        var options = new EmbeddedPostgresOptions(_dir, Persistent: true, Durable: false);
        var first = await EmbeddedPostgres.StartAsync(options);
        await ExecAsync(first.ConnectionString(), "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)");

        // The first process "dies": nothing stops its server. The next start must find it.
        var second = await EmbeddedPostgres.StartAsync(options);

        Assert.Equal(first.Port, second.Port);
        Assert.False(first.Adopted);
        Assert.True(second.Adopted);
        Assert.Equal(42, await ScalarAsync(second.ConnectionString(), "SELECT id FROM kept"));

        // Disposing an adopted server (a CLI command next to a running Host) leaves it running;
        // only its owner's explicit stop ends it.
        await second.DisposeAsync();
        Assert.Equal(42, await ScalarAsync(second.ConnectionString() + ";Pooling=false", "SELECT id FROM kept"));

        await second.StopAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(first.ConnectionString() + ";Timeout=3", "SELECT 1"));
        Assert.False(File.Exists(Path.Combine(_dir, "postmaster.pid")));

        // Data survives a clean restart on a new port.
        var third = await EmbeddedPostgres.StartAsync(options);
        Assert.Equal(42, await ScalarAsync(third.ConnectionString(), "SELECT id FROM kept"));
        await third.StopAsync();
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static async Task ExecAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<int> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

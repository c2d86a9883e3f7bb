using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Billing.Host.Tests.Cli;

/// <summary>The real <c>billing</c> executable, as a process, against the factory's database.</summary>
public sealed class BillingCliTests(BillingApiFactory api) : IClassFixture<BillingApiFactory>
{
    private Task<(int Code, string Out, string Err)> BillingAsync(params string[] args) => BillingAsync(new Dictionary<string, string>(), args);

    private async Task<(int Code, string Out, string Err)> BillingAsync(Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "billing.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["BILLING_DB"] = api.ConnectionString;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task a_key_created_on_the_command_line_works_over_http_until_revoked_there()
    {
        _ = api.Services; // the app runs (and has migrated) before the CLI touches the database

        var (code, output, _) = await BillingAsync("keys", "create", "--role", "tenant", "--tenant", "acme", "--json");
        Assert.Equal(0, code);
        var created = JsonDocument.Parse(output).RootElement;
        var key = created.GetProperty("key").GetString()!;
        var prefix = created.GetProperty("prefix").GetString()!;
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/whoami")).StatusCode);

        var list = await BillingAsync("keys", "list", "--json");
        Assert.Contains(JsonDocument.Parse(list.Out).RootElement.EnumerateArray(), k => k.GetProperty("prefix").GetString() == prefix);
        Assert.DoesNotContain(key, list.Out, StringComparison.Ordinal);

        Assert.Equal(0, (await BillingAsync("keys", "revoke", prefix)).Code);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/whoami")).StatusCode);
    }

    [Fact]
    public async Task a_failing_command_prints_one_error_line_and_exits_non_zero()
    {
        _ = api.Services;

        var (code, output, error) = await BillingAsync("keys", "revoke", "bk_live_doesnotexist");

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("error: no active key with prefix 'bk_live_doesnotexist'", error.Trim());
    }

    [Fact]
    public async Task config_shows_settings_with_secrets_masked()
    {
        var environment = new Dictionary<string, string>
        {
            ["STRIPE_SECRET_KEY"] = "sk_test_51HconfigShowSecret0000",
            ["STRIPE_WEBHOOK_SECRET"] = "whsec_configShowSecret0000",
            ["Billing__Http__MaxRequestBodyBytes"] = "2048",
        };

        var (code, output, _) = await BillingAsync(environment, "config", "--json");

        Assert.Equal(0, code);
        var settings = JsonDocument.Parse(output).RootElement;
        Assert.Equal("2048", settings.GetProperty("Billing:Http:MaxRequestBodyBytes").GetString());
        Assert.Equal("***", settings.GetProperty("STRIPE_SECRET_KEY").GetString());
        Assert.DoesNotContain("configShowSecret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task migrate_reports_the_schema_as_current_in_json()
    {
        _ = api.Services;

        var (code, output, _) = await BillingAsync("migrate", "--json");

        Assert.Equal(0, code);
        Assert.Empty(JsonDocument.Parse(output).RootElement.GetProperty("applied").EnumerateArray());
    }
}

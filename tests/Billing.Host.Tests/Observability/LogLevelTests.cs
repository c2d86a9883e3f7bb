using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Events;

namespace Billing.Host.Tests.Observability;

public sealed class LogLevelTests
{
    [Fact]
    public async Task log_levels_come_from_configuration()
    {
        await using var api = new BillingApiFactory();
        api.Settings["Serilog:MinimumLevel:Default"] = "Warning";
        api.Settings["Serilog:MinimumLevel:Override:LevelProbe"] = "Debug";
        await ((IAsyncLifetime)api).InitializeAsync();
        using var client = api.CreateClient();

        await client.GetAsync("/health");
        var factory = api.Services.GetRequiredService<ILoggerFactory>();
        factory.CreateLogger("LevelProbe").LogDebug("probe debug line");
        factory.CreateLogger("Elsewhere").LogInformation("elsewhere info line");

        Assert.DoesNotContain(api.Logs.Events, e => e.Level < LogEventLevel.Warning && e.MessageTemplate.Text.StartsWith("HTTP ", StringComparison.Ordinal));
        Assert.Contains(api.Logs.Events, e => e.MessageTemplate.Text == "probe debug line");
        Assert.DoesNotContain(api.Logs.Events, e => e.MessageTemplate.Text == "elsewhere info line");
    }
}

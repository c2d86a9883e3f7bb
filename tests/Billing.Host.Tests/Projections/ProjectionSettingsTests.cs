using Billing.Host.Projections;
using Billing.Projections.Daemon;
using Microsoft.Extensions.Configuration;

namespace Billing.Host.Tests.Projections;

/// <summary>The projection daemon's Host settings (docs/architecture.md "Pacing").</summary>
public sealed class ProjectionSettingsTests
{
    private static ProjectionDaemonOptions Options(params (string Key, string Value)[] settings) =>
        ProjectionServices.DaemonOptions(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    [Fact]
    public void unset_settings_keep_the_daemon_defaults()
    {
        var options = Options();

        Assert.Equal(new ProjectionDaemonOptions().CatchUpInterval, options.CatchUpInterval);
        Assert.NotEmpty(options.NodeId);
    }

    [Fact]
    public void the_catch_up_interval_and_node_id_come_from_configuration()
    {
        var options = Options(("Projections:CatchUpIntervalMs", "25"), ("Projections:NodeId", "node-a"));

        Assert.Equal(TimeSpan.FromMilliseconds(25), options.CatchUpInterval);
        Assert.Equal("node-a", options.NodeId);
        Assert.Equal(TimeSpan.Zero, Options(("Projections:CatchUpIntervalMs", "0")).CatchUpInterval);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("0.5")]
    [InlineData("soon")]
    public void an_interval_that_is_not_a_whole_number_of_milliseconds_is_refused(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Options(("Projections:CatchUpIntervalMs", value)));

        Assert.Contains("Projections:CatchUpIntervalMs", error.Message);
        Assert.Contains(value, error.Message);
    }
}

using Billing.Host.Collection;
using Microsoft.Extensions.Configuration;

namespace Billing.Host.Tests.Collection;

public sealed class CollectionOptionsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void retries_default_to_three_a_day_apart()
    {
        var options = CollectionSetup.CollectionOptionsFrom(Config());

        Assert.Equal(3, options.RetryLimit);
        Assert.Equal(TimeSpan.FromHours(24), options.RetryDelay);
    }

    [Fact]
    public void retry_limit_and_delay_come_from_the_environment_settings()
    {
        var options = CollectionSetup.CollectionOptionsFrom(Config(("BILLING_RETRY_LIMIT", "5"), ("BILLING_RETRY_DELAY_HOURS", "1.5")));

        Assert.Equal(5, options.RetryLimit);
        Assert.Equal(TimeSpan.FromMinutes(90), options.RetryDelay);
    }

    [Theory]
    [InlineData("BILLING_RETRY_LIMIT", "-1")]
    [InlineData("BILLING_RETRY_LIMIT", "three")]
    [InlineData("BILLING_RETRY_DELAY_HOURS", "0")]
    [InlineData("BILLING_RETRY_DELAY_HOURS", "soon")]
    public void a_malformed_retry_setting_fails_at_startup_instead_of_falling_back(string key, string value) =>
        Assert.Throws<InvalidOperationException>(() => CollectionSetup.CollectionOptionsFrom(Config((key, value))));
}

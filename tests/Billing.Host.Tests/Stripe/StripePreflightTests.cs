using Billing.Host.StripeCli;
using Microsoft.Extensions.Configuration;

namespace Billing.Host.Tests.Stripe;

public sealed class StripePreflightTests
{
    [Theory]
    [InlineData("sk_test_abcdefgh1234", null, CheckStatus.Ok)]
    [InlineData("sk_live_abcdefgh1234", "true", CheckStatus.Ok)]
    [InlineData("sk_live_abcdefgh1234", null, CheckStatus.Fail)]
    [InlineData("sk_test_abcdefgh1234", "true", CheckStatus.Fail)]
    [InlineData("pk_test_abcdefgh1234", null, CheckStatus.Fail)]
    [InlineData("sk_test_short", null, CheckStatus.Fail)]
    public void the_secret_key_must_be_well_formed_and_match_the_live_setting(string key, string? live, CheckStatus expected)
    {
        var check = StripePreflight.SecretKey(key, live, requireEnabled: true);

        Assert.Equal(expected, check.Status);
        Assert.DoesNotContain("abcdefgh", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void a_missing_key_or_secret_only_fails_when_billing_must_be_enabled()
    {
        Assert.Equal(CheckStatus.Warn, StripePreflight.SecretKey(null, null, requireEnabled: false).Status);
        Assert.Equal(CheckStatus.Fail, StripePreflight.SecretKey(null, null, requireEnabled: true).Status);
        Assert.Equal(CheckStatus.Warn, StripePreflight.WebhookSecrets(" ", requireEnabled: false).Status);
        Assert.Equal(CheckStatus.Fail, StripePreflight.WebhookSecrets(null, requireEnabled: true).Status);
        Assert.Equal(CheckStatus.Fail, StripePreflight.Enabled("0", requireEnabled: true).Status);
    }

    [Fact]
    public void rotated_webhook_secrets_pass_and_a_malformed_one_fails_masked()
    {
        Assert.Equal(CheckStatus.Ok, StripePreflight.WebhookSecrets("whsec_old_secret_1, whsec_new_secret_2", true).Status);
        var bad = StripePreflight.WebhookSecrets("whsec_old_secret_1,not_a_secret_value", true);

        Assert.Equal(CheckStatus.Fail, bad.Status);
        Assert.DoesNotContain("not_a_secret_value", bad.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_unreachable_database_fails_the_preflight()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BILLING_DB"] = "Host=127.0.0.1;Port=9;Username=x;Password=secret;Timeout=2",
        }).Build();

        var checks = await StripePreflight.RunAsync(configuration, requireEnabled: false, default);

        var database = Assert.Single(checks, c => c.Name == "database");
        Assert.Equal(CheckStatus.Fail, database.Status);
    }
}

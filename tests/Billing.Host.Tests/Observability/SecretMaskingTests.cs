using Billing.Host.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Events;
using Serilog.Formatting.Json;
using Serilog.Parsing;

namespace Billing.Host.Tests.Observability;

public sealed class SecretMaskingTests(BillingApiFactory api) : IClassFixture<BillingApiFactory>
{
    private const string StripeKey = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
    private const string WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLSYW";

    private static IConfiguration StripeConfiguration() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["STRIPE_SECRET_KEY"] = StripeKey,
        ["Stripe:WebhookSecret"] = WebhookSecret,
        ["Billing:Notes"] = $"rotated {StripeKey} and {WebhookSecret} yesterday",
        ["ConnectionStrings:Ledger"] = "Host=db;Username=billing;Password=hunter2",
    }).Build();

    [Fact]
    public void a_logged_configuration_shows_neither_the_stripe_key_nor_the_webhook_secret()
    {
        var logger = api.Services.GetRequiredService<ILoggerFactory>().CreateLogger("masking-test");
        var marker = Guid.NewGuid().ToString("N");
        var configuration = StripeConfiguration();

        logger.LogWarning("Dump {Marker} {@Dump}", marker, ConfigurationDump.Render(configuration));
        logger.LogWarning("Raw {Marker} {@Raw}", marker, configuration.AsEnumerable().ToDictionary(kv => kv.Key, kv => kv.Value));
        logger.LogWarning("Inline {Marker} key " + StripeKey + " secret {Secret}", marker, WebhookSecret);

        var lines = api.Logs.Rendered().Where(l => l.Contains(marker, StringComparison.Ordinal)).ToList();
        Assert.Equal(3, lines.Count);
        Assert.All(lines, line =>
        {
            Assert.DoesNotContain("sk_test_4eC39", line, StringComparison.Ordinal);
            Assert.DoesNotContain("whsec_MfKQ", line, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void the_console_formatter_masks_template_text_and_exception_messages()
    {
        var template = new MessageTemplateParser().Parse("calling Stripe with " + StripeKey);
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Error, new InvalidOperationException("signature " + WebhookSecret), template, []);
        using var output = new StringWriter();

        new MaskingFormatter(new JsonFormatter(renderMessage: true)).Format(logEvent, output);

        Assert.Contains("sk_test_***", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(StripeKey, output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(WebhookSecret, output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("key sk_live_abcdefghijklmnop1234", "key sk_live_***")]
    [InlineData("rk_test_abcdefghijkl", "rk_test_***")]
    [InlineData("whsec_abc+/=def", "whsec_***")]
    [InlineData("Authorization: Bearer bk_live_AbCd1234EfGh5678IjKl9012MnOp", "Authorization: Bearer ***")]
    [InlineData("key bk_live_AbCd1234EfGh5678IjKl9012MnOp", "key bk_live_AbCd1234***")]
    [InlineData("card 4242 4242 4242 4242 declined", "card [card ***4242] declined")]
    [InlineData("card 4242-4242-4242-4242", "card [card ***4242]")]
    [InlineData("Host=x;Password=hunter2;Port=5432", "Host=x;Password=***;Port=5432")]
    [InlineData("position 1763700000001 is not a card", "position 1763700000001 is not a card")]
    [InlineData("listing prefix bk_live_AbCd1234 stays", "listing prefix bk_live_AbCd1234 stays")]
    [InlineData("correlation ab4242424242424242cd stays", "correlation ab4242424242424242cd stays")]
    [InlineData("the bearer of bad news", "the bearer of bad news")]
    [InlineData("amex 378282246310005", "amex [card ***0005]")]
    public void the_masker_hides_secrets_and_keeps_the_rest(string input, string expected) =>
        Assert.Equal(expected, SecretMasker.Apply(input));

    [Fact]
    public void idempotency_keys_stay_readable_in_log_properties()
    {
        var logger = api.Services.GetRequiredService<ILoggerFactory>().CreateLogger("masking-test");
        var marker = Guid.NewGuid().ToString("N");

        logger.LogWarning("Stripe meter event submit failed {Marker} {IdempotencyKey}", marker, "org-42:2026-11-21");

        Assert.Contains(api.Logs.Rendered(), l => l.Contains(marker, StringComparison.Ordinal) && l.Contains("org-42:2026-11-21", StringComparison.Ordinal));
    }

    [Fact]
    public void a_configuration_dump_masks_secret_names_whatever_their_value()
    {
        var dump = ConfigurationDump.Render(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Stripe:ApiToken"] = "plain-looking-value",
            ["BILLING_BOOTSTRAP_ADMIN_KEY"] = "operator-chosen-bootstrap-secret-0123456789",
            ["Billing:Http:MaxRequestBodyBytes"] = "1024",
        }).Build());

        Assert.Equal(SecretMasker.Mask, dump["Stripe:ApiToken"]);
        Assert.Equal(SecretMasker.Mask, dump["BILLING_BOOTSTRAP_ADMIN_KEY"]);
        Assert.Equal("1024", dump["Billing:Http:MaxRequestBodyBytes"]);
    }
}

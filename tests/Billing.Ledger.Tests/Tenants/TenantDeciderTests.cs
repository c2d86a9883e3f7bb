using Billing.Ledger.Tenants;

namespace Billing.Ledger.Tests.Tenants;

public sealed class TenantDeciderTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-03-10T12:00:00Z");
    private static readonly TenantProfile Acme = new("Acme", "starter", "USD", "billing@acme.test", "Europe/Berlin", "cus_123", "pm_card_visa");

    private static TenantState Given(params object[] events) => TenantDecider.Fold(events)!;

    private static TenantCreated Created => new("acme", "Acme", "starter", "USD", "billing@acme.test", "Europe/Berlin", "cus_123", "pm_card_visa", Now);

    [Fact]
    public void creating_a_valid_tenant_records_its_profile() =>
        Assert.Equal([Created], TenantDecider.Decide(new CreateTenant("acme", Acme, "USD", Now), null));

    [Fact]
    public void creating_an_existing_tenant_is_refused() =>
        Assert.Equal("tenant_exists", Assert.Throws<TenantRejected>(() => TenantDecider.Decide(new CreateTenant("acme", Acme, "USD", Now), Given(Created))).Code);

    [Theory]
    [InlineData("name", "4242 4242 4242 4242")]
    [InlineData("billingEmail", "4111-1111-1111-1111@x.test")]
    [InlineData("defaultPaymentMethod", "pm_4242424242424242")]
    [InlineData("stripeCustomerId", "cus_5555555555554444")]
    [InlineData("timeZone", "378282246310005")]
    public void anything_that_looks_like_a_card_number_is_refused_in_any_field(string field, string value)
    {
        var profile = field switch
        {
            "name" => Acme with { Name = value },
            "billingEmail" => Acme with { BillingEmail = value },
            "defaultPaymentMethod" => Acme with { DefaultPaymentMethod = value },
            "stripeCustomerId" => Acme with { StripeCustomerId = value },
            _ => Acme with { TimeZone = value },
        };
        var error = Assert.Throws<TenantRejected>(() => TenantDecider.Decide(new CreateTenant("acme", profile, "USD", Now), null));
        Assert.Equal("card_data_refused", error.Code);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_card_number_as_tenant_id_is_refused() =>
        Assert.Equal("card_data_refused", Assert.Throws<TenantRejected>(() => TenantDecider.Decide(new CreateTenant("4242424242424242", Acme, "USD", Now), null)).Code);

    [Theory]
    [InlineData("Call 1234567890123", false)]
    [InlineData("4242424242424241", false)]
    [InlineData("123456789012", false)]
    [InlineData("x4242424242424242y", true)]
    public void only_luhn_valid_runs_of_13_to_19_digits_count_as_card_numbers(string text, bool expected) =>
        Assert.Equal(expected, CardNumberGuard.LooksLikeCardNumber(text));

    [Theory]
    [InlineData("unknown_plan", null)]
    [InlineData("currency_mismatch", "EUR")]
    public void the_plan_must_exist_and_match_the_currency(string code, string? planCurrency) =>
        Assert.Equal(code, Assert.Throws<TenantRejected>(() => TenantDecider.Decide(new CreateTenant("acme", Acme, planCurrency, Now), null)).Code);

    [Theory]
    [InlineData("invalid_time_zone", "Mars/Olympus")]
    [InlineData("invalid_time_zone", "CET-ish")]
    [InlineData("invalid_billing_email", "not-an-email")]
    [InlineData("invalid_stripe_customer_id", "cust_1")]
    [InlineData("invalid_payment_method", "card_1")]
    public void malformed_fields_are_refused_with_a_stable_code(string code, string value)
    {
        var profile = code switch
        {
            "invalid_time_zone" => Acme with { TimeZone = value },
            "invalid_billing_email" => Acme with { BillingEmail = value },
            "invalid_stripe_customer_id" => Acme with { StripeCustomerId = value },
            _ => Acme with { DefaultPaymentMethod = value },
        };
        Assert.Equal(code, Assert.Throws<TenantRejected>(() => TenantDecider.Decide(new CreateTenant("acme", profile, "USD", Now), null)).Code);
    }

    [Fact]
    public void changing_the_plan_mid_period_is_its_own_event()
    {
        var events = TenantDecider.Decide(new UpdateTenant("acme", Acme with { PlanId = "business" }, "USD", Now.AddDays(5)), Given(Created));
        Assert.Equal([new TenantPlanChanged("acme", "starter", "business", Now.AddDays(5))], events);
    }

    [Fact]
    public void updating_with_the_same_profile_records_nothing() =>
        Assert.Empty(TenantDecider.Decide(new UpdateTenant("acme", Acme, "USD", Now), Given(Created)));

    [Fact]
    public void updating_a_missing_tenant_is_refused() =>
        Assert.Equal("tenant_not_found", Assert.Throws<TenantRejected>(() => TenantDecider.Decide(new UpdateTenant("acme", Acme, "USD", Now), null)).Code);
}

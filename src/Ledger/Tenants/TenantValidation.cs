using System.Text.RegularExpressions;
using Billing.Ledger.Money;

namespace Billing.Ledger.Tenants;

/// <summary>The shape rules for tenant fields. The card-number check runs first and on every
/// field, so a card number is refused as such even when it also breaks another rule.</summary>
public static partial class TenantValidation
{
    public static void EnsureValidId(string tenantId)
    {
        RejectCardData("tenantId", tenantId);
        if (!TenantIdPattern().IsMatch(tenantId))
        {
            throw new TenantRejected("invalid_tenant_id", "tenantId must be 2-63 characters of a-z, 0-9, '-' or '_', starting with a letter or digit.");
        }
    }

    public static void EnsureValid(TenantProfile p, string? planCurrency)
    {
        RejectCardData("name", p.Name);
        RejectCardData("planId", p.PlanId);
        RejectCardData("currency", p.Currency);
        RejectCardData("billingEmail", p.BillingEmail);
        RejectCardData("timeZone", p.TimeZone);
        RejectCardData("stripeCustomerId", p.StripeCustomerId);
        RejectCardData("defaultPaymentMethod", p.DefaultPaymentMethod);

        Require(!string.IsNullOrWhiteSpace(p.Name) && p.Name.Length <= 200, "invalid_name", "name is required (at most 200 characters).");
        Require(planCurrency is not null, "unknown_plan", $"Plan '{p.PlanId}' is not in the catalogue.");
        Require(Currencies.IsKnown(p.Currency), "invalid_currency", $"'{p.Currency}' is not a supported ISO-4217 currency.");
        Require(p.Currency == planCurrency, "currency_mismatch", $"Plan '{p.PlanId}' is priced in {planCurrency}, not {p.Currency}.");
        Require(EmailPattern().IsMatch(p.BillingEmail) && p.BillingEmail.Length <= 254, "invalid_billing_email", "billingEmail must be an e-mail address.");
        Require(IsIanaZone(p.TimeZone), "invalid_time_zone", $"'{p.TimeZone}' is not an IANA time zone (e.g. Europe/Berlin).");
        Require(p.StripeCustomerId is null || CustomerPattern().IsMatch(p.StripeCustomerId), "invalid_stripe_customer_id", "stripeCustomerId must look like cus_...");
        Require(p.DefaultPaymentMethod is null || PaymentMethodPattern().IsMatch(p.DefaultPaymentMethod), "invalid_payment_method", "defaultPaymentMethod must be a provider token pm_... (never card data).");
    }

    public static bool IsIanaZone(string? id) =>
        id is not null && (id == "UTC" || id.Contains('/', StringComparison.Ordinal)) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out _);

    private static void RejectCardData(string field, string? value)
    {
        if (CardNumberGuard.LooksLikeCardNumber(value))
        {
            throw new TenantRejected("card_data_refused", $"{field} looks like a card number; card data is never accepted or stored.");
        }
    }

    private static void Require(bool condition, string code, string message)
    {
        if (!condition)
        {
            throw new TenantRejected(code, message);
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{1,62}$")]
    private static partial Regex TenantIdPattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex("^cus_[A-Za-z0-9]{1,64}$")]
    private static partial Regex CustomerPattern();

    [GeneratedRegex("^pm_[A-Za-z0-9_]{1,64}$")]
    private static partial Regex PaymentMethodPattern();
}

using Billing.Ledger.EventStore;

namespace Billing.Ledger.Tenants;

/// <summary>Stream <c>tenant-{tenantId}</c> (type <c>tenant</c>): a tenant's billing profile.
/// No field ever holds card data: only the provider's customer id and payment method token.</summary>
[EventType("tenant.created.v1")]
public sealed record TenantCreated(
    string TenantId,
    string Name,
    string PlanId,
    string Currency,
    string BillingEmail,
    string TimeZone,
    string? StripeCustomerId,
    string? DefaultPaymentMethod,
    DateTimeOffset At);

[EventType("tenant.profile_updated.v1")]
public sealed record TenantProfileUpdated(
    string TenantId,
    string Name,
    string Currency,
    string BillingEmail,
    string TimeZone,
    string? StripeCustomerId,
    string? DefaultPaymentMethod,
    DateTimeOffset At);

/// <summary>The plan changed at <see cref="EffectiveAt"/>; the base fee is prorated by local
/// days around it (docs/pricing.md).</summary>
[EventType("tenant.plan_changed.v1")]
public sealed record TenantPlanChanged(string TenantId, string FromPlanId, string ToPlanId, DateTimeOffset EffectiveAt);

public static class TenantStreams
{
    public const string Type = "tenant";

    public static string IdOf(string tenantId) => "tenant-" + tenantId;
}

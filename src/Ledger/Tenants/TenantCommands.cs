namespace Billing.Ledger.Tenants;

/// <summary>The profile fields a client sets on create or update.</summary>
public sealed record TenantProfile(
    string Name,
    string PlanId,
    string Currency,
    string BillingEmail,
    string TimeZone,
    string? StripeCustomerId,
    string? DefaultPaymentMethod);

public abstract record TenantCommand(string TenantId, DateTimeOffset Now);

/// <summary><paramref name="PlanCurrency"/> is the currency of the catalogue plan named in the
/// profile, or null when the catalogue has no such plan.</summary>
public sealed record CreateTenant(string TenantId, TenantProfile Profile, string? PlanCurrency, DateTimeOffset Now) : TenantCommand(TenantId, Now);

public sealed record UpdateTenant(string TenantId, TenantProfile Profile, string? PlanCurrency, DateTimeOffset Now) : TenantCommand(TenantId, Now);

/// <summary>A tenant as its stream tells it.</summary>
public sealed record TenantState(
    string TenantId,
    TenantProfile Profile,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<TenantPlanChanged> PlanChanges)
{
    public static TenantState? Initial => null;
}

/// <summary>A tenant command refused by the rules; <see cref="Code"/> is stable for clients.</summary>
public sealed class TenantRejected(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

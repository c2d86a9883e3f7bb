using Billing.Ledger.EventStore;

namespace Billing.Ledger.Tenants;

/// <summary>Keeps <c>rm.tenants</c> in the append's transaction. Every write is guarded by the
/// stream version, so replays and rebuilds converge to the same rows.</summary>
public sealed class TenantProjection : IInlineProjection
{
    public static IReadOnlyCollection<string> EventTypes { get; } = ["tenant.created.v1", "tenant.profile_updated.v1", "tenant.plan_changed.v1"];

    public const string TruncateSql = "TRUNCATE rm.tenants";

    private const string CreatedSql = """
        INSERT INTO rm.tenants (tenant_id, name, plan_id, currency, billing_email, time_zone,
                                stripe_customer_id, default_payment_method, created_at, updated_at, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
        ON CONFLICT (tenant_id) DO UPDATE SET
            name = excluded.name, plan_id = excluded.plan_id, currency = excluded.currency,
            billing_email = excluded.billing_email, time_zone = excluded.time_zone,
            stripe_customer_id = excluded.stripe_customer_id, default_payment_method = excluded.default_payment_method,
            created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version
        WHERE rm.tenants.version < excluded.version
        """;

    private const string ProfileSql = """
        UPDATE rm.tenants SET name = $2, currency = $3, billing_email = $4, time_zone = $5,
               stripe_customer_id = $6, default_payment_method = $7, updated_at = $8, version = $9
         WHERE tenant_id = $1 AND version < $9
        """;

    private const string PlanSql = "UPDATE rm.tenants SET plan_id = $2, updated_at = $3, version = $4 WHERE tenant_id = $1 AND version < $4";

    public void Project(IReadOnlyList<PendingEvent> events, UnitOfWork unitOfWork)
    {
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case TenantCreated c:
                    unitOfWork.AddCommand(CreatedSql, c.TenantId, c.Name, c.PlanId, c.Currency, c.BillingEmail, c.TimeZone, c.StripeCustomerId, c.DefaultPaymentMethod, c.At, e.Version);
                    break;
                case TenantProfileUpdated u:
                    unitOfWork.AddCommand(ProfileSql, u.TenantId, u.Name, u.Currency, u.BillingEmail, u.TimeZone, u.StripeCustomerId, u.DefaultPaymentMethod, u.At, e.Version);
                    break;
                case TenantPlanChanged p:
                    unitOfWork.AddCommand(PlanSql, p.TenantId, p.ToPlanId, p.EffectiveAt, e.Version);
                    break;
            }
        }
    }
}

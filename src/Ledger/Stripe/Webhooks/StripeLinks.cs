using Billing.Ledger.EventStore;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Records which tenant owns a Stripe object (cus_, pi_, ch_), so later webhooks that
/// carry no metadata (a dispute) still find their tenant. Written inside a unit of work.</summary>
public static class StripeLinks
{
    private const string LinkSql = "SELECT ledger.link_stripe_object($1, $2, $3, $4)";

    /// <summary>Adds the link to the unit of work; committing fails with SQLSTATE LW002 if the
    /// object already belongs to another tenant.</summary>
    public static UnitOfWork LinkStripeObject(this UnitOfWork uow, string stripeId, string tenantId, string kind, DateTimeOffset at) =>
        uow.AddCommand(LinkSql,
            new Npgsql.NpgsqlParameter<string> { TypedValue = stripeId },
            new Npgsql.NpgsqlParameter<string> { TypedValue = tenantId },
            new Npgsql.NpgsqlParameter<string> { TypedValue = kind },
            new Npgsql.NpgsqlParameter<DateTimeOffset> { TypedValue = at, NpgsqlDbType = NpgsqlDbType.TimestampTz });
}

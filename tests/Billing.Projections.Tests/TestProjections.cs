namespace Billing.Projections.Tests;

/// <summary>Balance per account stream, written one event at a time with a version guard (the
/// inline pattern), plus one row per applied event keyed by event id: applying an event twice
/// violates that key, so exactly-once delivery is checked by the database itself.</summary>
/// <remarks>With <paramref name="strict"/> the applied-event insert has no guard, so a duplicate
/// delivery fails loudly (async tests); without it the projection is safe to run inline.
/// <paramref name="tenantPrefix"/> limits it to some tenants, so tests sharing a database do not see each other's events.</remarks>
public sealed class AccountBalancesProjection(string name = "test_balances", bool strict = false, string tenantPrefix = "") : EventProjection
{
    private const string BalanceSql = """
        INSERT INTO {0} AS t (tenant_id, account_id, balance, last_version)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (tenant_id, account_id) DO UPDATE
           SET balance = t.balance + excluded.balance, last_version = excluded.last_version
         WHERE t.last_version < excluded.last_version
        """;

    private const string StrictAppliedSql = """
        INSERT INTO {0} (event_id, tenant_id, account_id, version, amount) VALUES ($1, $2, $3, $4, $5)
        """;

    private const string AppliedSql = """
        INSERT INTO {0} AS t (event_id, tenant_id, account_id, version, amount)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (event_id) DO UPDATE SET amount = t.amount
         WHERE t.version < excluded.version
        """;

    public override string Name => name;

    public string BalancesTable => name;

    public string AppliedTable => name + "_applied";

    /// <summary>When set, applying an event on this account throws (a poison event until cleared).</summary>
    public string? FailOnAccount { get; set; }

    public override IReadOnlyCollection<string>? EventTypes { get; } = ["ptest.deposited.v1", "ptest.withdrawn.v1", "ptest.poison.v1"];

    public override IReadOnlyList<ReadModelTable> Tables =>
    [
        new(BalancesTable, "tenant_id text NOT NULL, account_id text NOT NULL, balance bigint NOT NULL, last_version bigint NOT NULL", "tenant_id, account_id"),
        new(AppliedTable, "event_id uuid NOT NULL, tenant_id text NOT NULL, account_id text NOT NULL, version bigint NOT NULL, amount bigint NOT NULL", "event_id", ["tenant_id, account_id"]),
    ];

    protected override void Apply(ProjectedEvent e, IProjectionWriter writer)
    {
        if (!e.TenantId.StartsWith(tenantPrefix, StringComparison.Ordinal))
        {
            return;
        }

        if (FailOnAccount == e.StreamId)
        {
            throw new InvalidOperationException($"refusing to project {e.StreamId} v{e.Version}");
        }

        var amount = e.Data switch
        {
            Deposited d => d.Amount,
            Withdrawn w => -w.Amount,
            Poison p => throw new InvalidOperationException(p.Reason),
            _ => 0,
        };
        writer.Execute(Format(BalanceSql, writer.Table(BalancesTable)), e.TenantId, e.StreamId, amount, e.Version);
        writer.Execute(Format(strict ? StrictAppliedSql : AppliedSql, writer.Table(AppliedTable)), e.EventId, e.TenantId, e.StreamId, e.Version, amount);
    }

    private static string Format(string sql, string table) => string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, table);
}

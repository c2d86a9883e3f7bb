using NpgsqlTypes;

namespace Billing.Projections.Tests;

/// <summary>Deposits per account with a version guard (safe inline), plus an in-memory fold a
/// rebuild writes by binary COPY. Counts how each path was used, so tests can tell which ran.</summary>
public sealed class DepositTotalsProjection(string name, string tenantPrefix) : EventProjection, IBulkRebuildProjection
{
    private const string Columns = "tenant_id, account_id, deposits, total, last_version";

    private const string UpsertSql = """
        INSERT INTO {0} AS t (tenant_id, account_id, deposits, total, last_version)
        VALUES ($1, $2, 1, $3, $4)
        ON CONFLICT (tenant_id, account_id) DO UPDATE
           SET deposits = t.deposits + 1, total = t.total + excluded.total, last_version = excluded.last_version
         WHERE t.last_version < excluded.last_version
        """;

    public override string Name => name;

    public override IReadOnlyCollection<string>? EventTypes { get; } = ["ptest.deposited.v1", "ptest.poison.v1"];

    public override IReadOnlyList<ReadModelTable> Tables =>
    [
        new(name, "tenant_id text NOT NULL, account_id text NOT NULL, deposits bigint NOT NULL, total bigint NOT NULL, last_version bigint NOT NULL", "tenant_id, account_id", ["total"]),
    ];

    /// <summary>Events <see cref="EventProjection.Apply(IReadOnlyList{ProjectedEvent}, IProjectionWriter)"/> turned into upserts.</summary>
    public int Applied { get; private set; }

    public int Folds { get; private set; }

    public int Copies { get; private set; }

    public IProjectionFold StartFold()
    {
        Folds++;
        return new Fold(this);
    }

    protected override void Apply(ProjectedEvent e, IProjectionWriter writer)
    {
        if (Amount(e) is not { } amount)
        {
            return;
        }

        Applied++;
        writer.Execute(string.Format(System.Globalization.CultureInfo.InvariantCulture, UpsertSql, writer.Table(name)), e.TenantId, e.StreamId, amount, e.Version);
    }

    private long? Amount(ProjectedEvent e) => !e.TenantId.StartsWith(tenantPrefix, StringComparison.Ordinal) ? null : e.Data switch
    {
        Deposited d => d.Amount,
        Poison p => throw new InvalidOperationException(p.Reason),
        _ => null,
    };

    private sealed class Fold(DepositTotalsProjection projection) : IProjectionFold
    {
        private readonly Dictionary<(string Tenant, string Account), (long Deposits, long Total, long Version)> _rows = [];

        public long Rows => _rows.Count;

        public void Add(IReadOnlyList<ProjectedEvent> events)
        {
            foreach (var e in events)
            {
                if (projection.Amount(e) is not { } amount)
                {
                    continue;
                }

                var found = _rows.TryGetValue((e.TenantId, e.StreamId), out var row);
                if (!found || row.Version < e.Version)
                {
                    _rows[(e.TenantId, e.StreamId)] = (row.Deposits + 1, row.Total + amount, e.Version);
                }
            }
        }

        public async Task CopyToAsync(IBulkCopyTarget target, CancellationToken ct)
        {
            projection.Copies++;
            await using var copy = await target.BeginAsync(projection.Name, Columns, ct);
            foreach (var ((tenant, account), (deposits, total, version)) in _rows)
            {
                await copy.WriteRowAsync(ct, tenant, account, deposits, total, version);
            }

            await copy.CompleteAsync(ct);
        }
    }
}

namespace Billing.Ledger.EventStore;

/// <summary>A position in the whole log, in commit order: the writing transaction's id, then the
/// global position. Readers resume strictly after a checkpoint of this shape.</summary>
public readonly record struct LogPosition(ulong TxId, long GlobalPosition) : IComparable<LogPosition>
{
    public static LogPosition Start { get; } = new(0, 0);

    public int CompareTo(LogPosition other)
    {
        var byTx = TxId.CompareTo(other.TxId);
        return byTx != 0 ? byTx : GlobalPosition.CompareTo(other.GlobalPosition);
    }

    public static bool operator <(LogPosition left, LogPosition right) => left.CompareTo(right) < 0;

    public static bool operator >(LogPosition left, LogPosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(LogPosition left, LogPosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(LogPosition left, LogPosition right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{TxId}:{GlobalPosition}";
}

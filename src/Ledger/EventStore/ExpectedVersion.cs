namespace Billing.Ledger.EventStore;

/// <summary>The stream version an append expects to find. Encoded for the database as
/// -1 (any), 0 (no stream yet) or n &gt; 0 (exactly n).</summary>
public readonly record struct ExpectedVersion
{
    private ExpectedVersion(long value) => Value = value;

    public long Value { get; }

    public static ExpectedVersion Any { get; } = new(-1);

    public static ExpectedVersion NoStream { get; } = new(0);

    public static ExpectedVersion Exact(long version) =>
        version >= 0 ? new(version) : throw new ArgumentOutOfRangeException(nameof(version), version, "Stream versions start at 1; 0 means no stream.");

    /// <summary>The version the stream will have before this append, when it is known up front.</summary>
    public long? KnownCurrentVersion => Value >= 0 ? Value : null;

    public override string ToString() => Value switch
    {
        -1 => "any",
        0 => "no-stream",
        _ => Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

namespace Billing.Ledger.EventStore;

/// <summary>Gives an event record its stable wire name, e.g. <c>invoice.finalized.v1</c>.
/// Wire names never change once events of that type are stored; a new shape gets a new
/// version suffix and an upcaster from the old one.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EventTypeAttribute(string wireName) : Attribute
{
    public string WireName { get; } = wireName;
}

using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Billing.Ledger.EventStore;

/// <summary>Maps stable wire names to CLR types and back, and upcasts stored shapes of older
/// versions to the current one on read. Stored events are never rewritten.</summary>
public sealed class EventTypeRegistry
{
    private readonly ConcurrentDictionary<string, Type> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string> _byType = new();
    private readonly ConcurrentDictionary<string, (string To, Func<JsonObject, JsonObject> Upcast)> _upcasters = new(StringComparer.Ordinal);

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
    };

    public EventTypeRegistry Register<T>(string wireName) => Register(typeof(T), wireName);

    public EventTypeRegistry Register(Type type, string wireName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(wireName);
        if (_byName.TryGetValue(wireName, out var existing) && existing != type)
        {
            throw new InvalidOperationException($"Wire name '{wireName}' is already mapped to {existing.FullName}.");
        }

        _byName[wireName] = type;
        _byType[type] = wireName;
        return this;
    }

    /// <summary>Registers every type carrying <see cref="EventTypeAttribute"/> in the assembly.</summary>
    public EventTypeRegistry RegisterAssembly(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes())
        {
            if (type.GetCustomAttribute<EventTypeAttribute>() is { } attribute)
            {
                Register(type, attribute.WireName);
            }
        }

        return this;
    }

    /// <summary>Stored events of <paramref name="fromWireName"/> are turned into
    /// <paramref name="toWireName"/> on read. Chains (v1 → v2 → v3) are followed.</summary>
    public EventTypeRegistry AddUpcaster(string fromWireName, string toWireName, Func<JsonObject, JsonObject> upcast)
    {
        _upcasters[fromWireName] = (toWireName, upcast);
        return this;
    }

    public string WireNameOf(Type type) =>
        _byType.TryGetValue(type, out var name)
            ? name
            : throw new InvalidOperationException($"{type.FullName} is not a registered event type; give it [EventType(\"...\")] and register its assembly.");

    public bool IsKnown(string wireName) => _byName.ContainsKey(wireName) || _upcasters.ContainsKey(wireName);

    public string Serialize(object data) => JsonSerializer.Serialize(data, data.GetType(), JsonOptions);

    /// <summary>Turns stored JSON of a wire type into the current CLR event, upcasting as needed.</summary>
    public (string WireName, object Data) Deserialize(string wireName, string json)
    {
        if (_upcasters.ContainsKey(wireName))
        {
            var node = JsonNode.Parse(json)?.AsObject() ?? new JsonObject();
            var hops = 0;
            while (_upcasters.TryGetValue(wireName, out var step))
            {
                node = step.Upcast(node);
                wireName = step.To;
                if (++hops > 32)
                {
                    throw new InvalidOperationException($"Upcaster chain from '{wireName}' does not end.");
                }
            }

            return (wireName, Materialize(wireName, node.Deserialize(TypeOf(wireName), JsonOptions)));
        }

        return (wireName, Materialize(wireName, JsonSerializer.Deserialize(json, TypeOf(wireName), JsonOptions)));
    }

    /// <summary>The wire name an event stored as <paramref name="wireName"/> reads as, after its
    /// upcasters (what <see cref="Deserialize"/> returns), without touching its data.</summary>
    public string CurrentWireName(string wireName)
    {
        var hops = 0;
        while (_upcasters.TryGetValue(wireName, out var step) && ++hops <= 32)
        {
            wireName = step.To;
        }

        return wireName;
    }

    private Type TypeOf(string wireName) =>
        _byName.TryGetValue(wireName, out var type) ? type : throw new UnknownEventTypeException(wireName);

    private static object Materialize(string wireName, object? value) =>
        value ?? throw new InvalidOperationException($"Stored event of type '{wireName}' deserialised to null.");
}

using Serilog.Core;
using Serilog.Events;

namespace Billing.Host.Observability;

/// <summary>Rewrites every property of a log event so that no sink — console, a test capture, a
/// future shipper — sees a secret: string values go through <see cref="SecretMasker"/>, and
/// values under secret-looking names (<c>Password</c>, <c>SecretKey</c>, ...) are masked whole.</summary>
public sealed class SecretMaskingEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        foreach (var (name, value) in logEvent.Properties.ToList())
        {
            var masked = MaskValue(name, value);
            if (!ReferenceEquals(masked, value))
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, masked));
            }
        }
    }

    /// <summary>The value with secrets masked; the same instance when nothing changed.</summary>
    public static LogEventPropertyValue MaskValue(string? name, LogEventPropertyValue value)
    {
        if (name is not null && SecretMasker.IsSecretName(name) && value is ScalarValue { Value: not null })
        {
            return new ScalarValue(SecretMasker.Mask);
        }

        switch (value)
        {
            case ScalarValue { Value: string s }:
                var masked = SecretMasker.Apply(s);
                return masked == s ? value : new ScalarValue(masked);
            case SequenceValue seq:
                var items = seq.Elements.Select(e => MaskValue(null, e)).ToList();
                return items.SequenceEqual(seq.Elements) ? value : new SequenceValue(items);
            case StructureValue st:
                var props = st.Properties.Select(p => new LogEventProperty(p.Name, MaskValue(p.Name, p.Value))).ToList();
                return props.Select(p => p.Value).SequenceEqual(st.Properties.Select(p => p.Value)) ? value : new StructureValue(props, st.TypeTag);
            case DictionaryValue dict:
                var entries = dict.Elements.Select(kv => new KeyValuePair<ScalarValue, LogEventPropertyValue>(kv.Key, MaskValue(kv.Key.Value?.ToString(), kv.Value))).ToList();
                return entries.Select(e => e.Value).SequenceEqual(dict.Elements.Select(e => e.Value)) ? value : new DictionaryValue(entries);
            default:
                return value;
        }
    }
}

using Billing.Ledger.Observability;
using Serilog.Core;
using Serilog.Events;

namespace Billing.Host.Observability;

/// <summary>Puts the ambient <see cref="CorrelationScope"/> id on every log line written inside a
/// scope — job handlers, CLI commands, Stripe calls — so libraries that only know
/// <c>CorrelationScope</c> (the Ledger has no Serilog) still get correlated logs.</summary>
public sealed class CorrelationIdEnricher : ILogEventEnricher
{
    public const string PropertyName = "CorrelationId";

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        if (CorrelationScope.Current is { } id)
        {
            logEvent.AddPropertyIfAbsent(new LogEventProperty(PropertyName, new ScalarValue(id)));
        }
    }
}

using Serilog.Events;
using Serilog.Formatting;

namespace Billing.Host.Observability;

/// <summary>Masks the fully rendered line: catches what property masking cannot reach — the
/// message template's literal text and exception messages and stack traces.</summary>
public sealed class MaskingFormatter(ITextFormatter inner) : ITextFormatter
{
    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var buffer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        inner.Format(logEvent, buffer);
        output.Write(SecretMasker.Apply(buffer.ToString()));
    }
}

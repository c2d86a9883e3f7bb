using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Billing.Host.Observability;

/// <summary>Hands a sink a copy of each event with the parts property masking cannot reach
/// masked too: the template's literal text and the exception (as <see cref="MaskedException"/>).
/// Wraps every sink other than the console, which masks its rendered line instead.</summary>
public sealed class MaskingSink(ILogEventSink inner) : ILogEventSink
{
    private static readonly MessageTemplateParser Parser = new();

    public void Emit(LogEvent logEvent)
    {
        var text = logEvent.MessageTemplate.Text;
        var maskedText = SecretMasker.Apply(text);
        var template = maskedText == text ? logEvent.MessageTemplate : Parser.Parse(maskedText);
        var exception = logEvent.Exception is null or MaskedException ? logEvent.Exception : new MaskedException(logEvent.Exception);
        if (ReferenceEquals(template, logEvent.MessageTemplate) && ReferenceEquals(exception, logEvent.Exception))
        {
            inner.Emit(logEvent);
            return;
        }

        inner.Emit(new LogEvent(logEvent.Timestamp, logEvent.Level, exception, template, logEvent.Properties.Select(p => new LogEventProperty(p.Key, p.Value)), logEvent.TraceId ?? default, logEvent.SpanId ?? default));
    }
}

/// <summary>An exception as sinks see it: message and stack trace masked, the original type
/// named in <see cref="OriginalType"/>.</summary>
public sealed class MaskedException : Exception
{
    private readonly string _text;

    public MaskedException(Exception original)
        : base(SecretMasker.Apply(original.Message))
    {
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        _text = SecretMasker.Apply(original.ToString());
    }

    public MaskedException()
        : this(new InvalidOperationException())
    {
    }

    public MaskedException(string message)
        : this(new InvalidOperationException(message))
    {
    }

    public MaskedException(string message, Exception innerException)
        : this(new InvalidOperationException(message, innerException))
    {
    }

    public string OriginalType { get; }

    public override string? StackTrace => null;

    public override string ToString() => _text;
}

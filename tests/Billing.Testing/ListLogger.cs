using Microsoft.Extensions.Logging;

namespace Billing.Testing;

/// <summary>Keeps every message logged to it, rendered, in order; safe to log to from several
/// threads while a test reads <see cref="Lines"/>.</summary>
public sealed class ListLogger : ILogger
{
    private readonly List<string> _lines = [];

    /// <summary>A copy of the messages so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add(formatter(state, exception));
        }
    }
}

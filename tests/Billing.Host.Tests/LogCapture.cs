using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Billing.Host.Tests;

/// <summary>A Serilog sink that keeps every event the app logs, for assertions.</summary>
public sealed class LogCapture : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyList<LogEvent> Events => [.. _events];

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    /// <summary>Events whose CorrelationId property is <paramref name="correlationId"/>.</summary>
    public IReadOnlyList<LogEvent> WithCorrelationId(string correlationId) =>
        Events.Where(e => e.Properties.TryGetValue("CorrelationId", out var v) && v is ScalarValue { Value: string s } && s == correlationId).ToList();

    /// <summary>Each event rendered as text with all its properties (what any sink could see).</summary>
    public IEnumerable<string> Rendered() =>
        Events.Select(e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture) + " " + string.Join(" ", e.Properties.Select(p => p.Key + "=" + p.Value)) + " " + e.Exception);
}

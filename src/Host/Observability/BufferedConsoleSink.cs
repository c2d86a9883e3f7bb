using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;
using Serilog.Formatting;

namespace Billing.Host.Observability;

/// <summary>The Host's console sink. Serilog's own console sink formats, masks and writes each
/// event on the logging thread, one write and flush per line under a lock: at Information level
/// the request threads of the webhook path spent ~100–150 µs per delivery there
/// (docs/benchmarks.md, "Eleventh session"). Here the logging thread only queues the event; one
/// background thread formats what is queued and writes it in chunks of whole lines, flushing
/// whenever the queue is empty, so a quiet Host's line appears at once and a busy one makes one
/// write per batch instead of one per line.
/// <list type="bullet">
/// <item>Nothing is dropped: when <c>capacity</c> events wait, logging blocks until the writer
/// catches up.</item>
/// <item>Order is kept (one writer). Disposing (the Host's shutdown, a CLI command's end, process
/// exit, an unhandled exception) writes everything queued first; an event logged after that is
/// written at once on the logging thread.</item>
/// </list></summary>
public sealed class BufferedConsoleSink : ILogEventSink, IDisposable
{
    public const int DefaultCapacity = 10_000;

    // A chunk is written once it holds this much text, or when the queue runs dry; lines are never
    // split between writes.
    private const int ChunkChars = 32 * 1024;

    private readonly ITextFormatter _formatter;
    private readonly Stream _output;
    private readonly BlockingCollection<LogEvent> _queue;
    private readonly Thread _writer;
    private readonly StringWriter _chunk = new(CultureInfo.InvariantCulture);
    private readonly Lock _write = new();
    private int _disposed;

    public BufferedConsoleSink(ITextFormatter formatter, Stream output, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _formatter = formatter;
        _output = output;
        _queue = new BlockingCollection<LogEvent>(capacity);
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "Billing log writer" };
        _writer.Start();
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        AppDomain.CurrentDomain.UnhandledException += OnExit;
    }

    public void Emit(LogEvent logEvent)
    {
        if (!_queue.IsAddingCompleted)
        {
            try
            {
                _queue.Add(logEvent);
                return;
            }
            catch (InvalidOperationException)
            {
                // Disposed meanwhile: written below instead.
            }
        }

        // After the queued events: the writer drains the queue before it ends.
        _writer.Join(TimeSpan.FromSeconds(10));
        lock (_write)
        {
            Append(logEvent);
            WriteChunk();
        }
    }

    /// <summary>Writes what is queued, then stops the background thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        AppDomain.CurrentDomain.UnhandledException -= OnExit;
        _queue.CompleteAdding();
        _writer.Join(TimeSpan.FromSeconds(10));
    }

    private void OnExit(object? sender, EventArgs e) => Dispose();

    private void WriteLoop()
    {
        while (_queue.TryTake(out var first, Timeout.Infinite))
        {
            lock (_write)
            {
                Append(first);
                while (_queue.TryTake(out var next))
                {
                    Append(next);
                    if (_chunk.GetStringBuilder().Length >= ChunkChars)
                    {
                        WriteChunk();
                    }
                }

                WriteChunk();
            }
        }
    }

    private void Append(LogEvent logEvent)
    {
        try
        {
            _formatter.Format(logEvent, _chunk);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            SelfLog.WriteLine("Formatting a log event failed: {0}", ex);
        }
    }

    private void WriteChunk()
    {
        var text = _chunk.GetStringBuilder();
        if (text.Length == 0)
        {
            return;
        }

        try
        {
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            _output.Write(bytes);
            _output.Flush();
        }
        catch (IOException ex)
        {
            // stdout closed (a pipe whose reader went away): nothing left to write to.
            SelfLog.WriteLine("Writing log lines to the console failed: {0}", ex);
        }
        finally
        {
            text.Clear();
        }
    }
}

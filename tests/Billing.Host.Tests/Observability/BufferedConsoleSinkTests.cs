using System.Text;
using Billing.Host.Observability;
using Billing.Testing;
using Serilog.Events;
using Serilog.Formatting.Display;
using Serilog.Parsing;

namespace Billing.Host.Tests.Observability;

/// <summary>The Host's console sink: logging threads only queue; one writer formats and writes
/// whole lines in order, masked, and nothing is dropped or left unwritten at disposal.</summary>
public sealed class BufferedConsoleSinkTests
{
    private static readonly MessageTemplateParser Parser = new();

    private static LogEvent Event(string text) =>
        new(DateTimeOffset.UtcNow, LogEventLevel.Information, null, Parser.Parse(text), []);

    private static BufferedConsoleSink Sink(Stream output, int capacity = BufferedConsoleSink.DefaultCapacity) =>
        new(new MaskingFormatter(new MessageTemplateTextFormatter("{Message}{NewLine}")), output, capacity);

    private static string[] Lines(MemoryStream output) =>
        Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task every_event_from_every_thread_is_written_once_in_each_threads_order()
    {
        var output = new MemoryStream();
        var sink = Sink(output, capacity: 64);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                sink.Emit(Event($"t{t} n{i}"));
            }
        })));

        sink.Dispose();

        var lines = Lines(output);
        Assert.Equal(20_000, lines.Length);
        for (var t = 0; t < 4; t++)
        {
            var mine = lines.Where(l => l.StartsWith($"t{t} ", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, 5_000).Select(i => $"t{t} n{i}"), mine);
        }
    }

    [Fact]
    public async Task a_line_appears_without_waiting_for_more_lines_or_disposal()
    {
        var output = new SharedStream();
        using var sink = Sink(output);

        sink.Emit(Event("the only line"));

        await Poll.UntilAsync(() => Task.FromResult(output.Text()), text => text.Contains("the only line", StringComparison.Ordinal), what: "the line to be written");
    }

    [Fact]
    public async Task logging_does_not_wait_for_a_slow_console_until_the_queue_is_full()
    {
        var output = new GatedStream();
        var sink = Sink(output, capacity: 3);
        sink.Emit(Event("first"));
        await Poll.UntilAsync(() => Task.FromResult(output.Entered), entered => entered, what: "the writer to block in the console");

        // The writer is stuck writing "first": three more fit in the queue without waiting.
        for (var i = 0; i < 3; i++)
        {
            sink.Emit(Event($"queued {i}"));
        }

        var blocked = Task.Run(() => sink.Emit(Event("beyond capacity")));
        Assert.False(blocked.Wait(TimeSpan.FromMilliseconds(300)), "an event beyond the queue's capacity waits (nothing is dropped)");

        output.Open();
        await blocked.WaitAsync(TimeSpan.FromSeconds(15));
        sink.Dispose();

        Assert.Equal(["first", "queued 0", "queued 1", "queued 2", "beyond capacity"], output.Text().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void lines_are_masked_and_an_event_after_disposal_is_still_written()
    {
        var output = new MemoryStream();
        var sink = Sink(output);
        sink.Emit(Event("charging with sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        sink.Dispose();

        sink.Emit(Event("after shutdown"));

        var lines = Lines(output);
        Assert.Equal(["charging with sk_live_***", "after shutdown"], lines);
    }

    /// <summary>A stream the test can read while the sink writes to it.</summary>
    private sealed class SharedStream : MemoryStream
    {
        private readonly Lock _gate = new();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_gate)
            {
                base.Write(buffer);
            }
        }

        public string Text()
        {
            lock (_gate)
            {
                return Encoding.UTF8.GetString(ToArray());
            }
        }
    }

    /// <summary>A console that blocks every write until the test opens it.</summary>
    private sealed class GatedStream : MemoryStream
    {
        private readonly ManualResetEventSlim _open = new();
        private volatile bool _entered;

        public bool Entered => _entered;

        public void Open() => _open.Set();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _entered = true;
            // Deliberately blocks the sink's writer thread, as a console nobody reads would; bounded
            // so a failing test cannot leave the thread stuck.
            if (!_open.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new IOException("the test never opened the console");
            }

            lock (_open)
            {
                base.Write(buffer);
            }
        }

        public string Text()
        {
            lock (_open)
            {
                return Encoding.UTF8.GetString(ToArray());
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Billing.Ledger.Observability;

namespace Billing.Host.Metrics;

/// <summary>Collects this application's <see cref="BillingMetrics"/> instruments with a
/// <see cref="MeterListener"/> and renders them in the Prometheus text exposition format 0.0.4.
/// Counters and histograms accumulate as measurements arrive; observable instruments are read at
/// scrape time and replace their previous values.</summary>
public sealed partial class PrometheusExporter : IDisposable
{
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Lock _scrape = new();

    public PrometheusExporter(BillingMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only this application's meter: other apps in the same process have their own.
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                var state = _instruments.GetOrAdd(instrument, i => new InstrumentState(i));
                listener.EnableMeasurementEvents(instrument, state);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentState? _);
        _listener.SetMeasurementEventCallback<long>((i, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.Start();
    }

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public void Dispose() => _listener.Dispose();

    private enum Kind
    {
        Counter,
        Gauge,
        Histogram,
    }

    private sealed class Series(int buckets)
    {
        public double Value { get; set; }

        public long[] Buckets { get; } = new long[buckets];

        public double Sum { get; set; }

        public long Count { get; set; }
    }

    private sealed class InstrumentState
    {
        public InstrumentState(Instrument instrument)
        {
            Instrument = instrument;
            Observable = instrument.IsObservable;
            Kind = instrument switch
            {
                Histogram<double> or Histogram<long> or Histogram<int> => Kind.Histogram,
                Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => Kind.Counter,
                _ => Kind.Gauge,
            };
            Bounds = instrument switch
            {
                Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds],
                Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
                Histogram<int> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
                _ => DefaultBuckets,
            };
        }

        public Instrument Instrument { get; }

        public Kind Kind { get; }

        public bool Observable { get; }

        public IReadOnlyList<double> Bounds { get; }

        public ConcurrentDictionary<string, Series> Series { get; } = new(StringComparer.Ordinal);

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = Series.GetOrAdd(Labels(tags), _ => new Series(Bounds.Count));
            lock (series)
            {
                if (Kind == Kind.Histogram)
                {
                    var bucket = 0;
                    while (bucket < Bounds.Count && value > Bounds[bucket])
                    {
                        bucket++;
                    }

                    if (bucket < Bounds.Count)
                    {
                        series.Buckets[bucket]++;
                    }

                    series.Sum += value;
                    series.Count++;
                }
                else if (Observable)
                {
                    series.Value = value;
                }
                else
                {
                    series.Value += value;
                }
            }
        }
    }
}

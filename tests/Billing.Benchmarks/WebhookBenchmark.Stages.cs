using System.Diagnostics.Metrics;
using System.Globalization;
using Billing.Ledger.Observability;

namespace Billing.Benchmarks;

/// <summary>Where a delivery's time goes inside the Host during the HTTP case, from the Host's own
/// instruments (read in process with a <see cref="MeterListener"/>, measured phase only): the
/// webhook route's request duration (<c>billing_http_request_duration_seconds</c>) and each
/// recording transaction's time to its durable commit (<c>billing_webhook_batch_commit_seconds</c>).
/// Set against the senders' latency they split a delivery's time into the client and Kestrel
/// around the request, the wait to join a batch, and the batch's commit.</summary>
public sealed partial class WebhookBenchmark
{
    private sealed class HostStages : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly LatencyRecorder _requests = new();
        private readonly LatencyRecorder _commits = new();
        private volatile bool _recording;

        public HostStages(BillingMetrics metrics)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name is "billing_http_request_duration_seconds" or "billing_webhook_batch_commit_seconds")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((instrument, seconds, tags, _) =>
            {
                if (!_recording)
                {
                    return;
                }

                if (instrument.Name == "billing_webhook_batch_commit_seconds")
                {
                    _commits.Record(TimeSpan.FromSeconds(seconds));
                    return;
                }

                foreach (var tag in tags)
                {
                    if (tag.Key == "route" && Equals(tag.Value, Webhooks.StripeWebhookPath))
                    {
                        _requests.Record(TimeSpan.FromSeconds(seconds));
                    }
                }
            });
            _listener.Start();
        }

        /// <summary>From now on (the measured phase; the warm-up is not counted).</summary>
        public void Start()
        {
            _requests.Clear();
            _commits.Clear();
            _recording = true;
        }

        public string Report(LoadResult http)
        {
            _recording = false;
            var delivery = TimeSpan.FromSeconds(Senders / http.ItemsPerSecond);
            return string.Create(CultureInfo.InvariantCulture,
                $"inside the Host in the HTTP case: a delivery takes {Ms(delivery)} ms for its sender on average; the webhook request {Ms(_requests.Mean)} ms "
                + $"(p50 {Ms(_requests.P50)}, p99 {Ms(_requests.P99)}); a recording transaction {Ms(_commits.Mean)} ms to its durable commit "
                + $"(p50 {Ms(_commits.P50)}, p99 {Ms(_commits.P99)}, {_commits.Count:N0} transactions)");
        }

        public void Dispose() => _listener.Dispose();

        private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture);
    }
}

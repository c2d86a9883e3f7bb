using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Billing.Host.Metrics;

public sealed partial class PrometheusExporter
{
    /// <summary>Renders every instrument: <c># HELP</c> and <c># TYPE</c> lines, then samples.
    /// Counters end in <c>_total</c>; histograms expose cumulative <c>_bucket{le=...}</c> up to
    /// <c>+Inf</c>, <c>_sum</c> and <c>_count</c>. An unlabelled counter or gauge with no
    /// measurement yet reports 0.</summary>
    public string Render()
    {
        lock (_scrape)
        {
            foreach (var state in _instruments.Values.Where(s => s.Observable))
            {
                state.Series.Clear();
            }

            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var state in _instruments.Values.OrderBy(s => s.Instrument.Name, StringComparer.Ordinal))
            {
                RenderInstrument(state, text);
            }

            return text.ToString();
        }
    }

    private static void RenderInstrument(InstrumentState state, StringBuilder text)
    {
        var name = MetricName(state);
        var type = state.Kind switch { Kind.Counter => "counter", Kind.Histogram => "histogram", _ => "gauge" };
        text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(state.Instrument.Description ?? name)).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        var series = state.Series.OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        if (series.Count == 0 && state.Kind != Kind.Histogram)
        {
            text.Append(name).Append(" 0\n");
            return;
        }

        foreach (var (labels, values) in series)
        {
            lock (values)
            {
                if (state.Kind == Kind.Histogram)
                {
                    RenderHistogram(name, labels, state.Bounds, values, text);
                }
                else
                {
                    text.Append(name).Append(labels).Append(' ').Append(Number(values.Value)).Append('\n');
                }
            }
        }
    }

    private static void RenderHistogram(string name, string labels, IReadOnlyList<double> bounds, Series values, StringBuilder text)
    {
        long cumulative = 0;
        for (var i = 0; i < bounds.Count; i++)
        {
            cumulative += values.Buckets[i];
            text.Append(name).Append("_bucket").Append(WithLe(labels, Number(bounds[i]))).Append(' ').Append(cumulative).Append('\n');
        }

        text.Append(name).Append("_bucket").Append(WithLe(labels, "+Inf")).Append(' ').Append(values.Count).Append('\n');
        text.Append(name).Append("_sum").Append(labels).Append(' ').Append(Number(values.Sum)).Append('\n');
        text.Append(name).Append("_count").Append(labels).Append(' ').Append(values.Count).Append('\n');
    }

    private static string MetricName(InstrumentState state)
    {
        var name = InvalidNameChars().Replace(state.Instrument.Name, "_");
        return state.Kind == Kind.Counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    /// <summary>Canonical label set: names sorted, values escaped (<c>\\</c>, <c>\"</c>, <c>\n</c>).</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }

        var pairs = new List<string>(tags.Length);
        foreach (var (key, value) in tags)
        {
            var label = InvalidLabelChars().Replace(key, "_");
            pairs.Add(label + "=\"" + EscapeLabel(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "") + "\"");
        }

        pairs.Sort(StringComparer.Ordinal);
        return "{" + string.Join(',', pairs) + "}";
    }

    private static string WithLe(string labels, string le) =>
        labels.Length == 0 ? "{le=\"" + le + "\"}" : labels[..^1] + ",le=\"" + le + "\"}";

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    [GeneratedRegex("[^a-zA-Z0-9_:]")]
    private static partial Regex InvalidNameChars();

    [GeneratedRegex("[^a-zA-Z0-9_]")]
    private static partial Regex InvalidLabelChars();
}

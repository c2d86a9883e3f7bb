using System.Globalization;
using System.Text.RegularExpressions;

namespace Billing.Host.Tests.Metrics;

/// <summary>A strict parser for the Prometheus text format 0.0.4, enough to check what
/// <c>promtool check metrics</c> checks on our output: HELP/TYPE before samples, valid names,
/// label syntax and escaping, numeric values, counter and histogram naming.</summary>
public sealed partial class PrometheusText
{
    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Help { get; } = new(StringComparer.Ordinal);

    public List<(string Name, Dictionary<string, string> Labels, double Value)> Samples { get; } = [];

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var meta = Meta().Match(line);
            if (meta.Success)
            {
                var target = meta.Groups[1].Value == "HELP" ? parsed.Help : parsed.Types;
                Assert.False(target.ContainsKey(meta.Groups[2].Value), $"duplicate {meta.Groups[1].Value} for {meta.Groups[2].Value}");
                target[meta.Groups[2].Value] = meta.Groups[3].Value;
                continue;
            }

            var sample = Sample().Match(line);
            Assert.True(sample.Success, $"not a valid sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(sample.Groups["labels"].Value))
            {
                labels.Add(label.Groups[1].Value, Unescape(label.Groups[2].Value));
            }

            var value = sample.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            var name = sample.Groups["name"].Value;
            Assert.True(parsed.Types.ContainsKey(parsed.FamilyOf(name)), $"sample {name} before its # TYPE");
            parsed.Samples.Add((name, labels, value));
        }

        return parsed;
    }

    public string FamilyOf(string sampleName)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal) && Types.TryGetValue(sampleName[..^suffix.Length], out var type) && type == "histogram")
            {
                return sampleName[..^suffix.Length];
            }
        }

        return sampleName;
    }

    public IEnumerable<(Dictionary<string, string> Labels, double Value)> Of(string name) =>
        Samples.Where(s => s.Name == name).Select(s => (s.Labels, s.Value));

    private static string Unescape(string value) =>
        Regex.Replace(value, @"\\(.)", m => m.Groups[1].Value == "n" ? "\n" : m.Groups[1].Value);

    [GeneratedRegex(@"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$")]
    private static partial Regex Meta();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{(?:[a-zA-Z_][a-zA-Z0-9_]*=""(?:\\[\\""n]|[^""\\\n])*""(?:,[a-zA-Z_][a-zA-Z0-9_]*=""(?:\\[\\""n]|[^""\\\n])*"")*)?\})? (?<value>[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN)$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:\\[\\""n]|[^""\\\n])*)""")]
    private static partial Regex Label();
}

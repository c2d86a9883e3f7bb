using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Billing.Ledger.Money;
using Microsoft.Extensions.Configuration;

namespace Billing.Ledger.Pricing;

/// <summary>Reads the plan catalogue from configuration section <c>Billing:Plans</c>
/// (format in docs/pricing.md); without that section the built-in starter / business /
/// enterprise catalogue applies. Invalid entries fail start-up with the offending key.</summary>
public static class PlanCatalogueLoader
{
    public const string Section = "Billing:Plans";

    public static PlanCatalogue Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var plans = section.Exists()
            ? section.GetChildren().Select(ReadPlan).ToList()
            : DefaultPlans.All;
        return Create(plans);
    }

    public static PlanCatalogue Create(IEnumerable<Plan> plans)
    {
        var byId = plans.OrderBy(p => p.Id, StringComparer.Ordinal).ToDictionary(p => p.Id, StringComparer.Ordinal);
        return new PlanCatalogue(VersionOf(byId.Values), byId);
    }

    /// <summary>A short hash of the catalogue's canonical JSON (plans and metrics sorted by id):
    /// equal catalogues share a version whatever the order of their configuration keys.</summary>
    public static string VersionOf(IEnumerable<Plan> plans)
    {
        var canonical = plans.OrderBy(p => p.Id, StringComparer.Ordinal).Select(p => new
        {
            p.Id, p.Name, p.Currency, p.BaseFeeMinor, p.StripePriceId, p.Period,
            Metrics = p.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new { m.Key, m.Value.Billable, m.Value.IncludedUnits, m.Value.UnitPriceMinor, m.Value.Tiers }),
        });
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(canonical)));
        return "cat-" + Convert.ToHexStringLower(hash)[..12];
    }

    private static Plan ReadPlan(IConfigurationSection plan)
    {
        var currency = plan["Currency"] ?? throw Invalid(plan, "Currency");
        if (!Currencies.IsKnown(currency))
        {
            throw Invalid(plan, "Currency");
        }

        var metrics = plan.GetSection("Metrics").GetChildren().ToDictionary(m => m.Key, ReadMetric, StringComparer.Ordinal);
        return new Plan(plan.Key, plan["Name"] ?? plan.Key, currency, ReadLong(plan, "BaseFeeMinor"), plan["StripePriceId"], metrics, plan["Period"] ?? "monthly");
    }

    private static MetricPrice ReadMetric(IConfigurationSection metric)
    {
        var tiers = metric.GetSection("Tiers").GetChildren()
            .Select(t => new PriceTier(t["UpTo"] is { Length: > 0 } ? ReadDecimal(t, "UpTo") : null, ReadDecimal(t, "UnitPriceMinor")))
            .ToList();
        var billable = metric["Billable"] is not { } b || bool.Parse(b);
        return new MetricPrice(billable, ReadDecimal(metric, "IncludedUnits", 0), ReadDecimal(metric, "UnitPriceMinor", 0), tiers);
    }

    private static long ReadLong(IConfigurationSection section, string key) =>
        long.TryParse(section[key], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : throw Invalid(section, key);

    private static decimal ReadDecimal(IConfigurationSection section, string key, decimal? fallback = null)
    {
        if (section[key] is not { } text)
        {
            return fallback ?? throw Invalid(section, key);
        }

        return decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : throw Invalid(section, key);
    }

    private static InvalidOperationException Invalid(IConfigurationSection section, string key) =>
        new($"Plan catalogue: '{section.Path}:{key}' is missing or invalid (see docs/pricing.md).");
}

namespace Billing.Host.Observability;

/// <summary>The effective configuration as flat key/value pairs with every secret masked: values
/// under secret-looking names entirely, and secret-looking text anywhere (a Stripe key pasted
/// into an unexpected setting, a password inside a connection string).</summary>
public static class ConfigurationDump
{
    public static IReadOnlyDictionary<string, string> Render(IConfiguration configuration, Func<string, bool>? include = null)
    {
        var result = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is null || (include is not null && !include(key)))
            {
                continue;
            }

            var lastSegment = key[(key.LastIndexOf(':') + 1)..];
            result[key] = SecretMasker.IsSecretSettingName(lastSegment) && value.Length > 0 ? SecretMasker.Mask : SecretMasker.Apply(value);
        }

        return result;
    }

    /// <summary>Only the settings this application defines (not the whole process environment).</summary>
    public static bool IsBillingSetting(string key) =>
        key.StartsWith("Billing", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("BILLING_", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("STRIPE_", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Stripe", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Serilog", StringComparison.OrdinalIgnoreCase);
}

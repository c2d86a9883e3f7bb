using Billing.Host.Database;
using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Host.StripeCli;

public enum CheckStatus
{
    Ok,
    Warn,
    Fail,
}

public sealed record PreflightCheck(string Name, CheckStatus Status, string Detail)
{
    public override string ToString() => $"{Status.ToString().ToLowerInvariant(),-4} {Name}: {Detail}";
}

/// <summary>Billing-critical configuration checks (<c>billing preflight</c>): Stripe enabled,
/// keys present and well-formed, live/test consistency, webhook secrets, database reachable and
/// schema current. Secrets are reported masked, never printed.</summary>
public static class StripePreflight
{
    public static async Task<IReadOnlyList<PreflightCheck>> RunAsync(IConfiguration configuration, bool requireEnabled, CancellationToken ct)
    {
        var checks = new List<PreflightCheck>
        {
            Enabled(configuration["STRIPE_BILLING_ENABLED"], requireEnabled),
            SecretKey(configuration["STRIPE_SECRET_KEY"], configuration["LIVE"], requireEnabled),
            WebhookSecrets(configuration["STRIPE_WEBHOOK_SECRET"], requireEnabled),
        };
        checks.AddRange(await DatabaseAsync(configuration, requireEnabled, ct));
        return checks;
    }

    public static PreflightCheck Enabled(string? value, bool requireEnabled) =>
        value?.Trim() is "1" or "true"
            ? new("billing enabled", CheckStatus.Ok, "STRIPE_BILLING_ENABLED=1")
            : new("billing enabled", requireEnabled ? CheckStatus.Fail : CheckStatus.Warn, "STRIPE_BILLING_ENABLED is not 1: nothing is charged");

    public static PreflightCheck SecretKey(string? key, string? live, bool requireEnabled)
    {
        const string name = "stripe secret key";
        var liveWanted = string.Equals(live?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(key))
        {
            return new(name, requireEnabled || liveWanted ? CheckStatus.Fail : CheckStatus.Warn, "STRIPE_SECRET_KEY is not set: the embedded emulator is used");
        }

        var masked = Billing.Ledger.Stripe.StripeSecrets.Mask(key.Trim());
        var wellFormed = System.Text.RegularExpressions.Regex.IsMatch(key.Trim(), "^(sk|rk)_(live|test)_[A-Za-z0-9]{8,}$");
        if (!wellFormed)
        {
            return new(name, CheckStatus.Fail, $"{masked} is not a Stripe secret or restricted key (sk_/rk_ live/test)");
        }

        var isLive = key.Contains("_live_", StringComparison.Ordinal);
        return isLive == liveWanted
            ? new(name, CheckStatus.Ok, $"{masked} ({(isLive ? "live" : "test")} mode)")
            : new(name, CheckStatus.Fail, $"{masked} is a {(isLive ? "live" : "test")} key but LIVE={(liveWanted ? "true" : "not true")}");
    }

    public static PreflightCheck WebhookSecrets(string? setting, bool requireEnabled)
    {
        const string name = "webhook secret";
        var secrets = (setting ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (secrets.Length == 0)
        {
            return new(name, requireEnabled ? CheckStatus.Fail : CheckStatus.Warn, "STRIPE_WEBHOOK_SECRET is not set: every webhook will be rejected (the emulator makes its own)");
        }

        var bad = secrets.Where(s => !s.StartsWith("whsec_", StringComparison.Ordinal) || s.Length < 14).Select(Billing.Ledger.Stripe.StripeSecrets.Mask).ToList();
        return bad.Count == 0
            ? new(name, CheckStatus.Ok, $"{secrets.Length} secret(s) configured{(secrets.Length > 1 ? " (rotation in progress)" : "")}")
            : new(name, CheckStatus.Fail, $"not whsec_ secrets: {string.Join(", ", bad)}");
    }

    private static async Task<IReadOnlyList<PreflightCheck>> DatabaseAsync(IConfiguration configuration, bool requireEnabled, CancellationToken ct)
    {
        var connectionString = LedgerDatabase.ConfiguredConnectionString(configuration);
        if (connectionString is null)
        {
            return [new("database", requireEnabled ? CheckStatus.Fail : CheckStatus.Warn, "BILLING_DB is not set: an embedded PostgreSQL under .data/ would be used")];
        }

        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using (var ping = dataSource.CreateCommand("SELECT 1"))
            {
                await ping.ExecuteScalarAsync(ct);
            }

            var pending = await new Migrator(dataSource, BillingApp.Assemblies).PendingAsync(ct);
            return
            [
                new("database", CheckStatus.Ok, "reachable"),
                pending.Count == 0
                    ? new("schema", CheckStatus.Ok, "current")
                    : new("schema", CheckStatus.Fail, $"{pending.Count} migration(s) pending: {string.Join(", ", pending.Select(m => m.Version))} (run `billing migrate`)"),
            ];
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or ArgumentException)
        {
            return [new("database", CheckStatus.Fail, $"unreachable: {ex.GetType().Name}: {Billing.Ledger.Stripe.StripeSecrets.MaskIn(ex.Message)}")];
        }
    }
}

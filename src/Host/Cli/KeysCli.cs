using System.CommandLine;
using Billing.Host.Auth;
using Spectre.Console;

namespace Billing.Host.Cli;

/// <summary><c>billing keys create|list|revoke</c>: API key management on the ledger database.</summary>
public static class KeysCli
{
    public static Command Command()
    {
        var keys = new Command("keys", "Manage API keys: create (shown once), list by prefix, revoke.");
        keys.Subcommands.Add(Create());
        keys.Subcommands.Add(List());
        keys.Subcommands.Add(Revoke());
        return keys;
    }

    private static Task<CliDatabase> OpenAsync(bool quiet, CancellationToken ct) =>
        CliProgress.RunAsync("Opening the ledger database", quiet, () => CliDatabase.OpenAsync(CliDatabase.Configuration(), migrate: true, ct));

    private static Command Create()
    {
        var role = new Option<string>("--role") { Description = "admin, finance, ingest or tenant.", Required = true };
        role.AcceptOnlyFromAmong(Roles.Admin, Roles.Finance, Roles.Ingest, Roles.Tenant);
        var tenant = new Option<string?>("--tenant") { Description = "The tenant a tenant key is bound to (required for --role tenant)." };
        var description = new Option<string?>("--description") { Description = "A note for the listing (who or what uses the key)." };
        var json = CliRun.JsonOption();
        var command = new Command("create", "Create an API key. The key is printed once and never stored; keep it now.") { role, tenant, description, json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            await using var db = await OpenAsync(parse.GetValue(json), ct);
            var store = new ApiKeyStore(db.Events, TimeProvider.System);
            var created = await store.CreateAsync(parse.GetValue(role)!, parse.GetValue(tenant), parse.GetValue(description), CliDatabase.Metadata, ct);
            if (parse.GetValue(json))
            {
                await CliRun.WriteJsonAsync(new { key = created.Key, created.Info.Prefix, created.Info.Role, created.Info.TenantId, created.Info.Description, created.Info.CreatedAt });
                return 0;
            }

            await Console.Out.WriteLineAsync(created.Key);
            await Console.Error.WriteLineAsync($"Created {created.Info.Role} key {created.Info.Prefix}{(created.Info.TenantId is null ? "" : " for tenant " + created.Info.TenantId)}. It is not shown again.");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var all = new Option<bool>("--all") { Description = "Include revoked keys." };
        var json = CliRun.JsonOption();
        var command = new Command("list", "List API keys by prefix (never the keys themselves).") { all, json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            await using var db = await OpenAsync(parse.GetValue(json), ct);
            var keys = await new ApiKeyStore(db.Events, TimeProvider.System).ListAsync(parse.GetValue(all), ct);
            if (parse.GetValue(json))
            {
                await CliRun.WriteJsonAsync(keys);
                return 0;
            }

            var table = new Table().AddColumns("prefix", "role", "tenant", "created", "revoked", "description");
            foreach (var k in keys)
            {
                table.AddRow(Markup.Escape(k.Prefix), k.Role, Markup.Escape(k.TenantId ?? ""), k.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
                    k.RevokedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "", Markup.Escape(k.Description ?? ""));
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static Command Revoke()
    {
        var prefix = new Argument<string>("prefix") { Description = "The key's prefix as `keys list` shows it." };
        var json = CliRun.JsonOption();
        var command = new Command("revoke", "Revoke an API key by prefix; requests with it get 401 from then on.") { prefix, json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            await using var db = await OpenAsync(parse.GetValue(json), ct);
            var key = parse.GetValue(prefix)!;
            if (!await new ApiKeyStore(db.Events, TimeProvider.System).RevokeAsync(key, CliDatabase.Metadata, ct))
            {
                throw new ArgumentException($"no active key with prefix '{key}'");
            }

            await (parse.GetValue(json) ? CliRun.WriteJsonAsync(new { prefix = key, revoked = true }) : Console.Out.WriteLineAsync($"revoked {key}"));
            return 0;
        });
        return command;
    }
}

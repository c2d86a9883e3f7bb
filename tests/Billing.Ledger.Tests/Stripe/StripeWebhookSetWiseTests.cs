using Billing.Testing;
using Npgsql;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

/// <summary>The set-wise statements batched processing commits with (migration 0090): all or
/// nothing, with the same errors as their one-at-a-time forms.</summary>
public sealed class StripeWebhookSetWiseTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private async Task<string[]> ReceiptsAsync(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => NewEventId()).ToArray();
        await using var command = db.DataSource.CreateCommand("""
            INSERT INTO ledger.stripe_webhook_receipts (stripe_event_id, type, tenant_id, stream_id, matched, livemode, stripe_created_at, received_at)
            SELECT id, 'payment_intent.succeeded', 'acme', 'stripe-webhook-' || id, true, false, now(), now() FROM unnest($1::text[]) id
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        await command.ExecuteNonQueryAsync();
        return ids;
    }

    private async Task MarkAsync(string[] ids)
    {
        await using var command = db.DataSource.CreateCommand("SELECT ledger.mark_stripe_webhooks_processed($1, $2, $3, now())");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids.Select(_ => "applied")] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids.Select(id => "detail " + id)] });
        await command.ExecuteNonQueryAsync();
    }

    private async Task LinkAsync(params (string Id, string Tenant)[] links)
    {
        await using var command = db.DataSource.CreateCommand("SELECT ledger.link_stripe_objects($1, $2, $3, now())");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. links.Select(l => l.Id)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. links.Select(l => l.Tenant)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. links.Select(_ => "charge")] });
        await command.ExecuteNonQueryAsync();
    }

    private Task<long> ProcessedAsync(string[] ids) =>
        CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = ANY ($1) AND processed_at IS NOT NULL", (object)ids);

    [Fact]
    public async Task marking_a_set_marks_every_receipt_with_its_own_outcome()
    {
        var ids = await ReceiptsAsync(5);

        await MarkAsync(ids);

        Assert.Equal(5, await ProcessedAsync(ids));
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1 AND outcome_detail = 'detail ' || $1", ids[3]));
    }

    [Fact]
    public async Task a_set_holding_one_processed_or_unknown_event_marks_nothing()
    {
        var ids = await ReceiptsAsync(4);
        await MarkAsync([ids[1]]);

        var again = await Assert.ThrowsAsync<PostgresException>(() => MarkAsync(ids));
        var unknown = await Assert.ThrowsAsync<PostgresException>(() => MarkAsync([ids[2], "evt_never_received"]));

        Assert.Equal("LW001", again.SqlState);
        Assert.Contains("1 of 4", again.MessageText, StringComparison.Ordinal);
        Assert.Equal("LW001", unknown.SqlState);
        Assert.Equal(1, await ProcessedAsync(ids));
    }

    [Fact]
    public async Task receipts_cannot_be_processed_without_an_outcome()
    {
        var ids = await ReceiptsAsync(1);
        await using var command = db.DataSource.CreateCommand("UPDATE ledger.stripe_webhook_receipts SET processed_at = now() WHERE stripe_event_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ids[0] });

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }

    [Fact]
    public async Task linking_a_set_links_each_object_once_and_refuses_one_owned_by_another_tenant()
    {
        var (mine, twice, foreign) = ("ch_" + NewEventId(), "pi_" + NewEventId(), "cus_" + NewEventId());
        await LinkAsync((foreign, "globex"));

        await LinkAsync((mine, "acme"), (twice, "acme"), (twice, "acme"));
        var refused = "ch_" + NewEventId();
        var error = await Assert.ThrowsAsync<PostgresException>(() => LinkAsync((refused, "acme"), (foreign, "acme")));

        Assert.Equal("LW002", error.SqlState);
        Assert.Contains(foreign, error.MessageText, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = $1 AND tenant_id = 'acme'", twice));
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = $1 AND tenant_id = 'globex'", foreign));
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = $1", mine));
        Assert.Equal(0, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = $1", refused));
    }
}

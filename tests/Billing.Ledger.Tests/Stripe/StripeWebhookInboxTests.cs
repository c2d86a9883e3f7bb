using System.Text.Json.Nodes;
using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

public sealed class StripeWebhookInboxTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    public async Task InitializeAsync()
    {
        await using var command = db.DataSource.CreateCommand(TableWebhookQueue.CreateSql);
        await command.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The test table's jobs for the event, once the dispatcher has run.</summary>
    private async Task<long> JobsFor(string id)
    {
        await Dispatcher(_store).DispatchAllAsync(default);
        return await CountAsync(db.DataSource, "SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = $1", id);
    }

    [Fact]
    public async Task a_verified_event_is_recorded_on_its_tenants_stream_with_a_receipt_and_a_job()
    {
        var id = NewEventId();

        var receipt = await Inbox(_store).AcceptAsync(Event(id, "payment_intent.succeeded", PaymentIntent("pi_1", "acme")), new EventMetadata("corr-1"), default);

        Assert.Equal(("acme", true, false), (receipt.TenantId, receipt.Matched, receipt.Duplicate));
        var recorded = Assert.Single(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id)));
        var received = Assert.IsType<StripeWebhookReceived>(recorded.Data);
        Assert.Equal((id, "payment_intent.succeeded", "pi_1", "metadata"), (received.StripeEventId, received.Type, received.ObjectId, received.ResolvedBy));
        Assert.Equal(StripeWebhookStreams.ReceivedEventId(id), recorded.EventId);
        Assert.Equal("corr-1", recorded.Metadata.CorrelationId);

        // Acceptance wrote the event alone; the dispatcher gives it its receipt and its job.
        Assert.Equal(0, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1", id));
        Assert.Equal(0, await CountAsync(db.DataSource, "SELECT count(*) FROM public.test_webhook_jobs WHERE stripe_event_id = $1", id));
        Assert.Equal(1, await JobsFor(id));
        await using var command = db.DataSource.CreateCommand("""
            SELECT type, tenant_id, stream_id, matched, livemode, object_id, stripe_created_at, received_at, processed_at
              FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("payment_intent.succeeded", "acme", StripeWebhookStreams.StreamId(id), true, false, "pi_1"),
            (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(4), reader.GetString(5)));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), reader.GetFieldValue<DateTimeOffset>(6));
        Assert.Equal(recorded.RecordedAt, reader.GetFieldValue<DateTimeOffset>(7));
        Assert.True(reader.IsDBNull(8));
    }

    [Fact]
    public async Task fifty_concurrent_copies_record_one_event_one_receipt_and_one_job()
    {
        var id = NewEventId();
        var body = Event(id, "payment_intent.succeeded", PaymentIntent("pi_storm", "acme"));
        var inbox = Inbox(_store);

        var receipts = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => inbox.AcceptAsync(body, EventMetadata.Empty, default))));

        Assert.Single(receipts, r => !r.Duplicate);
        Assert.Equal(49, receipts.Count(r => r.Duplicate));
        Assert.Single(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id)));
        Assert.Equal(1, await JobsFor(id));
    }

    [Fact]
    public async Task an_event_for_an_object_we_never_created_is_recorded_on_the_unmatched_stream()
    {
        var id = NewEventId();

        var receipt = await Inbox(_store).AcceptAsync(Event(id, "charge.dispute.created", new JsonObject { ["id"] = "dp_x", ["object"] = "dispute", ["charge"] = "ch_nobody" }), EventMetadata.Empty, default);

        Assert.Equal((StripeWebhookStreams.UnmatchedTenant, false), (receipt.TenantId, receipt.Matched));
        Assert.Single(await _store.ReadStreamAsync(StripeWebhookStreams.UnmatchedTenant, StripeWebhookStreams.StreamId(id)));
        Assert.Equal(1, await JobsFor(id));
    }

    [Fact]
    public async Task a_customer_linked_to_a_tenant_resolves_events_without_metadata()
    {
        await _store.BeginUnitOfWork().LinkStripeObject("cus_linked", "globex", "customer", DateTimeOffset.UtcNow).CommitAsync();
        var id = NewEventId();

        var receipt = await Inbox(_store).AcceptAsync(Event(id, "payment_intent.payment_failed", PaymentIntent("pi_2", null, "cus_linked", status: "requires_payment_method")), EventMetadata.Empty, default);

        Assert.Equal(("globex", true), (receipt.TenantId, receipt.Matched));
        var received = (StripeWebhookReceived)Assert.Single(await _store.ReadStreamAsync("globex", StripeWebhookStreams.StreamId(id))).Data;
        Assert.Equal("link:cus", received.ResolvedBy);
    }

    [Fact]
    public async Task a_customer_a_tenant_was_configured_with_resolves_events_without_metadata_or_links()
    {
        // A customer created outside the ledger (in Stripe's dashboard) and set on the tenant.
        await using (var insert = db.DataSource.CreateCommand("""
            INSERT INTO rm.tenants (tenant_id, name, plan_id, currency, billing_email, time_zone, stripe_customer_id, created_at, updated_at, version)
            VALUES ('initech', 'Initech', 'starter', 'USD', 'billing@initech.example', 'UTC', 'cus_configured', now(), now(), 1)
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var id = NewEventId();
        var receipt = await Inbox(_store).AcceptAsync(Event(id, "payment_intent.payment_failed", PaymentIntent("pi_3", null, "cus_configured", status: "requires_payment_method")), EventMetadata.Empty, default);

        Assert.Equal(("initech", true), (receipt.TenantId, receipt.Matched));
        var received = (StripeWebhookReceived)Assert.Single(await _store.ReadStreamAsync("initech", StripeWebhookStreams.StreamId(id))).Data;
        Assert.Equal("link:cus", received.ResolvedBy);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"id":"evt_1","object":"charge"}""")]
    [InlineData("""{"id":"evt_1","object":"event","type":"x","created":1}""")]
    public async Task a_body_that_is_not_a_stripe_event_is_rejected_and_nothing_is_written(string body)
    {
        var before = await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_webhook_receipts");

        await Assert.ThrowsAsync<StripeWebhookPayloadException>(() => Inbox(_store).AcceptAsync(System.Text.Encoding.UTF8.GetBytes(body), EventMetadata.Empty, default));

        Assert.Equal(before, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_webhook_receipts"));
    }

    [Fact]
    public async Task linking_an_object_to_a_second_tenant_fails_instead_of_overwriting()
    {
        await _store.BeginUnitOfWork().LinkStripeObject("cus_owned", "acme", "customer", DateTimeOffset.UtcNow).CommitAsync();

        await _store.BeginUnitOfWork().LinkStripeObject("cus_owned", "acme", "customer", DateTimeOffset.UtcNow).CommitAsync();
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => _store.BeginUnitOfWork().LinkStripeObject("cus_owned", "globex", "customer", DateTimeOffset.UtcNow).CommitAsync());

        Assert.Equal("LW002", error.SqlState);
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = 'cus_owned' AND tenant_id = 'acme'"));
    }
}

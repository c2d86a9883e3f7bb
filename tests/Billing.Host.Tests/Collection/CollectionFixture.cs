using System.Collections.Concurrent;
using Billing.Host.StripeEmulator;
using Billing.Host.Tests.Stripe;
using Billing.Ledger.Collection;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Ledger.Tenants;
using Billing.Ledger.Time;
using Billing.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Billing.Host.Tests.Collection;

public sealed record TestTenant(string TenantId, string CustomerId);

/// <summary>A database of its own, the real Stripe emulator on loopback (webhooks queued for the
/// test to deliver), the real <see cref="StripeClient"/> over HTTP, an adjustable clock, and the
/// ledger with the tenant, invoice and collection read models kept inline.</summary>
public sealed class CollectionFixture : DatabaseFixture
{
    public AdjustableClock Clock { get; } = new(DateTimeOffset.Parse("2026-04-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public StripeEmulator.StripeEmulator Emulator { get; private set; } = null!;

    public Billing.Ledger.EventStore.EventStore Store { get; private set; } = null!;

    public StripeClient Stripe { get; private set; } = null!;

    public CollectionOptions Options { get; } = new(3, TimeSpan.FromHours(24));

    public CapturingWebhookQueue WebhookQueue { get; } = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Emulator = await StripeEmulator.StripeEmulator.StartAsync(new StripeEmulatorOptions { Delivery = WebhookDeliveryMode.Manual, WebhookSecret = "whsec_collection" });
        Store = CreateStore(Clock, [new TenantProjection(), new InvoiceProjection(), new CollectionProjection()]);
        Stripe = Client();
    }

    public override async Task DisposeAsync()
    {
        await Emulator.DisposeAsync();
        await base.DisposeAsync();
    }

    public StripeClient Client(HttpMessageHandler? handler = null) =>
        new(handler is null ? new HttpClient() : new HttpClient(handler), new StripeOptions { SecretKey = StripeEmulator.StripeEmulator.DefaultSecretKey, BaseUrl = Emulator.BaseUrl, Retry = EmulatorFixture.FastRetries },
            NullLogger<StripeClient>.Instance);

    public CollectionLedger Ledger => new(Store);

    public JobWorker Worker(StripeClient? client = null) =>
        new(DataSource, [new InvoiceCollectionHandler(Ledger, client ?? Stripe, Options, Clock, NullLogger<InvoiceCollectionHandler>.Instance)], Clock);

    public JobQueue Queue => new(DataSource, Clock);

    public StripeWebhookDispatcher Dispatcher => new(Store, WebhookQueue, Clock, NullLogger<StripeWebhookDispatcher>.Instance);

    public StripeWebhookInbox Inbox => new(Store, new StripeTenantResolver(DataSource), Dispatcher, NullLogger<StripeWebhookInbox>.Instance);

    public StripeWebhookProcessor Processor =>
        new(Store, [new StripeObjectLinker(DataSource), new InvoicePaymentWebhookApplier(Ledger, Clock)], Clock, NullLogger<StripeWebhookProcessor>.Instance);

    public Seeder Seed => new(Store, Stripe, Clock);

    public Task<TestTenant> TenantAsync(string paymentMethod) => Seed.TenantAsync(paymentMethod);

    public Task SetPaymentMethodAsync(TestTenant tenant, string paymentMethod) => Seed.SetPaymentMethodAsync(tenant, paymentMethod);

    public Task<string> FinalizedInvoiceAsync(TestTenant tenant, long amountMinor) => Seed.FinalizedInvoiceAsync(tenant, amountMinor);

    public async Task<IReadOnlyList<object>> PaymentEventsAsync(TestTenant tenant, string invoiceId) =>
        (await Store.ReadStreamAsync(tenant.TenantId, PaymentStreams.IdOf(invoiceId))).Select(e => e.Data).ToList();

    public async Task<IReadOnlyList<object>> InvoiceEventsAsync(TestTenant tenant, string invoiceId) =>
        (await Store.ReadStreamAsync(tenant.TenantId, InvoiceStreams.IdOf(invoiceId))).Select(e => e.Data).ToList();

    public async Task<InvoiceState> InvoiceAsync(TestTenant tenant, string invoiceId) =>
        InvoiceDecider.Fold(await InvoiceEventsAsync(tenant, invoiceId))!;

    public IReadOnlyList<EmulatedCharge> ChargesOf(TestTenant tenant) => Emulator.Charges.Where(c => c.Customer == tenant.CustomerId).ToList();

    public async Task<T?> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var a in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        return await command.ExecuteScalarAsync() is T value ? value : default;
    }

    /// <summary>Records the emulator's event <paramref name="copies"/> times concurrently, as
    /// verified deliveries would, and dispatches it (the first delivery gets its one work item;
    /// a redelivery, none). Then runs its processing once per copy, concurrently, as a job's run
    /// racing its retries would: the results show that only one run applies it.</summary>
    public async Task<IReadOnlyList<WebhookApplication?>> DeliverAsync(EmulatedEvent e, int copies = 1)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(e.Json);
        await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => Task.Run(() => Inbox.AcceptAsync(body, EventMetadata.Empty, default))));
        await Dispatcher.DispatchAllAsync(default);
        var dispatched = WebhookQueue.Drain();
        Assert.True(dispatched.Count <= 1, $"{dispatched.Count} work items dispatched for one Stripe event");
        var id = StripeWebhookEnvelope.Parse(body).Id;
        var tenant = await ScalarAsync<string>("SELECT tenant_id FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1", id)
            ?? throw new InvalidOperationException($"{id} has no receipt after dispatch");
        var work = new StripeWebhookWork(id, tenant);
        return await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => Task.Run(() => Processor.ProcessAsync(work, EventMetadata.Empty, (uow, ct) => uow.CommitAsync(ct), default))));
    }

    public EmulatedEvent EventFor(string type, string objectId) =>
        Emulator.Webhooks.EventsOfType(type).Single(e => e.Json.Contains($"\"id\":\"{objectId}\"", StringComparison.Ordinal));
}

/// <summary>Keeps the processing work the dispatcher scheduled in memory.</summary>
public sealed class CapturingWebhookQueue : IStripeWebhookQueue
{
    private readonly ConcurrentQueue<StripeWebhookWork> _work = new();

    public void Enqueue(UnitOfWork uow, IReadOnlyList<StripeWebhookBatchItem> events)
    {
        foreach (var e in events)
        {
            _work.Enqueue(new StripeWebhookWork(e.StripeEventId, e.TenantId));
        }
    }

    public IReadOnlyList<StripeWebhookWork> Drain()
    {
        var list = new List<StripeWebhookWork>();
        while (_work.TryDequeue(out var w))
        {
            list.Add(w);
        }

        return list;
    }
}

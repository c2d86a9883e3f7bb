using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Host.Auth;
using Billing.Host.Tests.Invoices;
using Billing.Ledger.Collection;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Billing.Host.Tests.Collection;

public sealed class RefundEndpointTests(RefundApiFixture api) : IClassFixture<RefundApiFixture>
{
    private async Task<HttpResponseMessage> RefundAsync(string invoiceId, string body, string? idempotencyKey = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/invoices/{invoiceId}/refunds") { Content = Json.Body(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await (client ?? api.Http).SendAsync(request);
    }

    private async Task<long> RefundedInStripeAsync(TestTenant tenant)
    {
        var total = 0L;
        await foreach (var charge in api.Stripe.ListAllChargesAsync(null))
        {
            total += charge.Customer == tenant.CustomerId ? charge.AmountRefunded : 0;
        }

        return total;
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task a_full_refund_refunds_the_charge_in_stripe_and_marks_the_invoice_refunded_and_a_retry_refunds_once()
    {
        var (tenant, invoiceId) = await api.PaidInvoiceAsync(5_000);

        using var first = await RefundAsync(invoiceId, """{"reason":"requested_by_customer"}""", "refund-full-1");
        using var retry = await RefundAsync(invoiceId, """{"reason":"requested_by_customer"}""", "refund-full-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var body = await JsonOf(first);
        Assert.Equal(5_000, body.GetProperty("amountMinor").GetInt64());
        Assert.Equal(InvoiceStatuses.Refunded, body.GetProperty("invoiceStatus").GetString());
        Assert.Equal(body.GetProperty("stripeRefundId").GetString(), (await JsonOf(retry)).GetProperty("stripeRefundId").GetString());
        Assert.Equal(5_000, await RefundedInStripeAsync(tenant));
        Assert.Single((await api.InvoiceEventsAsync(tenant, invoiceId)).OfType<InvoiceRefunded>());
    }

    [Fact]
    public async Task a_partial_refund_then_the_rest_leaves_the_invoice_refunded()
    {
        var (tenant, invoiceId) = await api.PaidInvoiceAsync(3_000);

        using var partial = await RefundAsync(invoiceId, """{"amount_minor":1000,"reason":"duplicate"}""");
        Assert.Equal(HttpStatusCode.Created, partial.StatusCode);
        Assert.Equal(InvoiceStatuses.PartiallyRefunded, (await JsonOf(partial)).GetProperty("invoiceStatus").GetString());

        using var rest = await RefundAsync(invoiceId, """{"reason":"fraudulent"}""");
        Assert.Equal(HttpStatusCode.Created, rest.StatusCode);
        Assert.Equal(2_000, (await JsonOf(rest)).GetProperty("amountMinor").GetInt64());
        Assert.Equal(3_000, await RefundedInStripeAsync(tenant));
        Assert.Equal([1_000L, 2_000L], (await api.InvoiceEventsAsync(tenant, invoiceId)).OfType<InvoiceRefunded>().Select(r => r.AmountMinor));
    }

    [Theory]
    [InlineData("{}", "invalid_refund")]
    [InlineData("""{"reason":"because"}""", "invalid_refund")]
    [InlineData("""{"reason":"duplicate","amount_minor":-5}""", "invalid_refund")]
    [InlineData("""{"reason":"duplicate","amount_minor":"10"}""", "invalid_refund")]
    [InlineData("""{"reason":"duplicate","amount_minor":0}""", "invalid_refund")]
    [InlineData("not json", "malformed_json")]
    [InlineData("""{"reason":"duplicate","amount_minor":3001}""", "amount_too_large")]
    public async Task bad_refund_requests_are_problem_details_and_change_nothing(string body, string code)
    {
        var (tenant, invoiceId) = await api.PaidInvoiceAsync(3_000);
        var before = await api.InvoiceEventsAsync(tenant, invoiceId);

        using var response = await RefundAsync(invoiceId, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, (await JsonOf(response)).GetProperty("code").GetString());
        Assert.Equal(before.Count, (await api.InvoiceEventsAsync(tenant, invoiceId)).Count);
        Assert.Equal(0, await RefundedInStripeAsync(tenant));
    }

    [Fact]
    public async Task an_unpaid_invoice_cannot_be_refunded()
    {
        var tenant = await api.Seed.TenantAsync("pm_card_chargeDeclined");
        var invoiceId = await api.Seed.FinalizedInvoiceAsync(tenant, 1_000);
        await api.DrainJobsAsync();

        using var response = await RefundAsync(invoiceId, """{"reason":"requested_by_customer"}""");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("invoice_not_paid", (await JsonOf(response)).GetProperty("code").GetString());
        Assert.Empty((await api.InvoiceEventsAsync(tenant, invoiceId)).OfType<InvoiceRefunded>());
    }

    [Fact]
    public async Task an_unknown_invoice_is_not_found_and_only_admins_may_refund()
    {
        using var missing = await RefundAsync("in_does_not_exist", """{"reason":"duplicate"}""");
        var (tenant, invoiceId) = await api.PaidInvoiceAsync(1_000);
        using var finance = await RefundAsync(invoiceId, """{"reason":"duplicate"}""", client: await api.AsRoleAsync(Roles.Finance));

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, finance.StatusCode);
        Assert.Equal(0, await RefundedInStripeAsync(tenant));
    }

    [Fact]
    public async Task the_charge_refunded_webhook_for_a_refund_made_here_is_not_recorded_twice()
    {
        var (tenant, invoiceId) = await api.PaidInvoiceAsync(2_000);
        using var response = await RefundAsync(invoiceId, """{"amount_minor":500,"reason":"requested_by_customer"}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var refunded = api.Emulator.Webhooks.EventsOfType("charge.refunded").Single(e => e.Json.Contains(invoiceId, StringComparison.Ordinal));
        var inbox = api.App.Services.GetRequiredService<StripeWebhookInbox>();
        var processor = new StripeWebhookProcessor(api.Store, api.App.Services.GetServices<IStripeWebhookApplier>(), api.Clock, NullLogger<StripeWebhookProcessor>.Instance);

        var receipt = await inbox.AcceptAsync(System.Text.Encoding.UTF8.GetBytes(refunded.Json), EventMetadata.Empty, default);
        await api.App.Services.GetRequiredService<StripeWebhookDispatcher>().DispatchAllAsync(default);
        var result = await processor.ProcessAsync(new StripeWebhookWork(refunded.Id, receipt.TenantId), EventMetadata.Empty, (uow, ct) => uow.CommitAsync(ct), default);

        Assert.Equal(WebhookOutcome.Ignored, result!.Outcome);
        Assert.Single((await api.InvoiceEventsAsync(tenant, invoiceId)).OfType<InvoiceRefunded>());
        Assert.Single((await api.Store.ReadStreamAsync(tenant.TenantId, PaymentStreams.IdOf(invoiceId))).Select(e => e.Data).OfType<PaymentRefunded>());
    }
}

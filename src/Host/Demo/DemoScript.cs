using System.Net.Http.Json;
using System.Text.Json;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;
using Billing.Ledger.Stripe;
using Billing.Ledger.Time;

namespace Billing.Host.Demo;

/// <summary>What the demo produced for one tenant.</summary>
public sealed record DemoRow(string TenantId, string PlanId, string TimeZone, string InvoiceId, string? Number, string Status, long TotalMinor, string Currency, int UsageEvents, string PdfUrl);

/// <summary>The demo's story, told through the real HTTP API: create three tenants, send a month
/// of hourly usage (advancing the adjustable clock day by day so every event is "now"), move past
/// the period end and grace period, close the period, and wait for collection to settle.</summary>
public sealed class DemoScript(HttpClient admin, AdjustableClock clock, InvoicePeriodClose periodClose, StripeClient stripe)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<DemoRow>> RunAsync(Func<Task>? settle, CancellationToken ct)
    {
        foreach (var tenant in DemoTenants.All)
        {
            await CreateTenantAsync(tenant, ct);
        }

        // Time jumps a day per usage batch, then a month: a job running across a jump would find
        // its lease expired (test-clock time), lose it to another worker and run again. So the
        // work the tenants' creation started (the emulator's webhooks and their processing
        // jobs) settles before the clock first moves, and again before the month's jump.
        if (settle is not null)
        {
            await settle();
        }

        var sent = await SendMonthOfUsageAsync(ct);
        var period = BillingPeriod.Of(DemoTenants.PeriodFirstDay);
        if (settle is not null)
        {
            await settle();
        }

        clock.SetTo(new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero));
        foreach (var tenant in DemoTenants.All)
        {
            await periodClose.CloseAsync(tenant.TenantId, period, "system:demo", ct);
        }

        if (settle is not null)
        {
            await settle();
        }

        var rows = new List<DemoRow>();
        foreach (var tenant in DemoTenants.All)
        {
            var invoice = await GetInvoiceAsync(tenant.TenantId, ct);
            rows.Add(new DemoRow(tenant.TenantId, tenant.PlanId, tenant.TimeZone, invoice.GetProperty("invoiceId").GetString()!,
                invoice.GetProperty("number").GetString(), invoice.GetProperty("status").GetString()!,
                invoice.GetProperty("totalMinor").GetInt64(), invoice.GetProperty("currency").GetString()!,
                sent[tenant.TenantId], invoice.GetProperty("pdfUrl").GetString()!));
        }

        return rows;
    }

    private async Task CreateTenantAsync(DemoTenant tenant, CancellationToken ct)
    {
        // As an operator would: the customer exists in Stripe (here the emulator) first, and the
        // tenant records only its cus_ id and a pm_ token — never card data.
        var email = $"billing@{tenant.TenantId}.example";
        var customer = await stripe.CreateCustomerAsync(
            new CustomerCreate(email, tenant.Name, new Dictionary<string, string> { ["tenant_id"] = tenant.TenantId }),
            IdempotencyKeys.Customer(tenant.TenantId), ct);
        var body = new
        {
            tenantId = tenant.TenantId,
            name = tenant.Name,
            planId = tenant.PlanId,
            currency = "USD",
            billingEmail = email,
            timeZone = tenant.TimeZone,
            stripeCustomerId = customer.Id,
            defaultPaymentMethod = tenant.PaymentMethod,
        };
        using var response = await admin.PostAsJsonAsync("/v1/tenants", body, Json, ct);
        await EnsureSuccessAsync(response, $"creating tenant {tenant.TenantId}", ct);
    }

    /// <summary>Hourly usage for each tenant's local October, sent one UTC day at a time with the
    /// clock at the end of that day.</summary>
    private async Task<Dictionary<string, int>> SendMonthOfUsageAsync(CancellationToken ct)
    {
        var sent = DemoTenants.All.ToDictionary(t => t.TenantId, _ => 0);
        var windowStart = DemoTenants.ClockStart;
        var end = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        while (windowStart < end)
        {
            var windowEnd = windowStart.AddDays(1);
            clock.SetTo(windowEnd);
            foreach (var tenant in DemoTenants.All)
            {
                var events = DemoUsage.Hours(tenant, windowStart, windowEnd).ToList();
                if (events.Count == 0)
                {
                    continue;
                }

                using var response = await admin.PostAsJsonAsync("/v1/usage", new { events }, Json, ct);
                await EnsureSuccessAsync(response, $"sending usage for {tenant.TenantId}", ct);
                sent[tenant.TenantId] += events.Count;
            }

            windowStart = windowEnd;
        }

        return sent;
    }

    private async Task<JsonElement> GetInvoiceAsync(string tenantId, CancellationToken ct)
    {
        var page = await admin.GetFromJsonAsync<JsonElement>($"/v1/invoices?tenant={Uri.EscapeDataString(tenantId)}", Json, ct);
        return page.GetProperty("items").EnumerateArray().First();
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Demo failed {what}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }
}

using Billing.Host.Auth;
using Billing.Host.Tenants;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Billing.Host.Invoices;

/// <summary>Invoice reads: list with filters and cursor pagination, detail, and the PDF with an
/// ETag from the invoice version (304 on If-None-Match). A tenant key sees only its tenant's
/// invoices; any other invoice id is a 404.</summary>
public static class InvoiceEndpoints
{
    public static void MapInvoiceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/invoices").RequireAuthorization(Policies.TenantData);
        group.MapGet("", ListAsync);
        group.MapGet("/{invoiceId}", GetAsync);
        group.MapGet("/{invoiceId}/pdf", PdfAsync);
    }

    private static async Task<Results<Ok<InvoicePage>, ProblemHttpResult>> ListAsync(
        HttpContext http, InvoiceQueries queries, string? tenant, string? status, string? periodFrom, string? periodTo, int? limit, string? cursor, CancellationToken ct)
    {
        var bound = TenantAccess.ScopeOf(http.User);
        if (bound is not null && tenant is not null && tenant != bound)
        {
            return ApiProblems.NotFound($"Tenant '{tenant}'");
        }

        if (!InvoiceCursor.TryDecode(cursor, out var after))
        {
            return ApiProblems.BadRequest("invalid_cursor", "cursor must be a nextCursor value returned by this endpoint.");
        }

        if ((periodFrom is not null && !BillingPeriod.TryParse(periodFrom, out _)) || (periodTo is not null && !BillingPeriod.TryParse(periodTo, out _)))
        {
            return ApiProblems.BadRequest("invalid_period", "periodFrom and periodTo are billing periods, YYYY-MM.");
        }

        if (limit is < 1 or > 500)
        {
            return ApiProblems.BadRequest("invalid_limit", "limit is between 1 and 500 (default 50).");
        }

        var filter = new InvoiceFilter(bound ?? tenant, status, periodFrom, periodTo, limit ?? 50, after);
        return TypedResults.Ok(await queries.ListAsync(filter, ct));
    }

    private static async Task<Results<Ok<InvoiceView>, ProblemHttpResult>> GetAsync(string invoiceId, HttpContext http, InvoiceQueries queries, CancellationToken ct)
    {
        var invoice = await queries.FindAsync(invoiceId, withLines: true, ct);
        return invoice is null || !TenantAccess.CanSee(http.User, invoice.TenantId)
            ? ApiProblems.NotFound($"Invoice '{invoiceId}'")
            : TypedResults.Ok(invoice);
    }

    private static async Task<IResult> PdfAsync(string invoiceId, HttpContext http, InvoiceQueries queries, TenantDirectory tenants, CancellationToken ct)
    {
        var invoice = await queries.FindAsync(invoiceId, withLines: true, ct);
        if (invoice is null || !TenantAccess.CanSee(http.User, invoice.TenantId))
        {
            return ApiProblems.NotFound($"Invoice '{invoiceId}'");
        }

        // The PDF is a pure function of the invoice record, which changes only with its stream
        // version: the version is a strong validator.
        var etag = new EntityTagHeaderValue($"\"{invoice.InvoiceId}-v{invoice.Version}\"");
        http.Response.Headers.ETag = etag.ToString();
        if (http.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } candidates && candidates.Any(c => c.Compare(etag, useStrongComparison: false) || c.Tag == "*"))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var name = (await tenants.LoadAsync(invoice.TenantId, ct))?.State.Profile.Name ?? invoice.TenantId;
        var file = (invoice.Number ?? "draft-" + invoice.InvoiceId) + ".pdf";
        return TypedResults.File(InvoicePdf.Render(invoice, name), "application/pdf", file);
    }
}

using System.Text;
using Billing.Host.Invoices;

namespace Billing.Host.Tests.Invoices;

public sealed class InvoicePdfTests
{
    [Fact]
    public void a_draft_renders_with_a_draft_title_and_its_lines_as_text()
    {
        var now = DateTimeOffset.Parse("2026-04-01T00:00:00Z");
        var invoice = new InvoiceView("in_x", "acme", null, "2026-03", now.AddDays(-31), now, "draft", "EUR", "starter", "cat-1", 1234, 0, 0, 0, 0, now, null, null, 1)
        {
            Lines = [new InvoiceLineView(1, "base_fee", "Starter plan, 2026-03", null, "starter", null, 31, 0, 0, null, 1234, null)],
        };

        var text = Encoding.Latin1.GetString(InvoicePdf.Render(invoice, "Acme GmbH"));

        Assert.Contains("(DRAFT invoice \\(not final\\))", text, StringComparison.Ordinal);
        Assert.Contains("(Starter plan, 2026-03)", text, StringComparison.Ordinal);
        Assert.Contains("(12.34 EUR)", text, StringComparison.Ordinal);
    }
}

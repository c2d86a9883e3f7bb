using System.Globalization;
using Billing.Ledger.Money;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;

namespace Billing.Host.Invoices;

/// <summary>Renders an invoice record as a PDF with PdfSharp. Text is written with WinAnsi
/// encoding and uncompressed content streams so number, dates, lines and totals can be
/// extracted by any PDF text tool (and searched by finance).</summary>
public static class InvoicePdf
{
    private static readonly XPdfFontOptions Options = new(PdfFontEncoding.WinAnsi);

    static InvoicePdf()
    {
        // PdfSharp 6.5 (pinned in Directory.Packages.props) is licensed AGPL-3.0-only and refuses
        // to create documents until a license is declared. Without a purchased key, AGPL is the
        // only license we hold for it; declaring it here keeps that choice in one visible place.
        PdfSharp.PdfSharpLicense.SetAgplLicense();
        BundledFonts.Install();
    }

    public static byte[] Render(InvoiceView invoice, string tenantName)
    {
        using var document = new PdfDocument();
        document.Options.CompressContentStreams = false;
        document.Info.Title = invoice.Number is { } n ? "Invoice " + n : "Draft invoice " + invoice.InvoiceId;
        var page = document.AddPage();
        using (var gfx = XGraphics.FromPdfPage(page))
        {
            Draw(gfx, invoice, tenantName);
        }

        using var stream = new MemoryStream();
        document.Save(stream, false);
        return stream.ToArray();
    }

    private static void Draw(XGraphics gfx, InvoiceView inv, string tenantName)
    {
        var title = new XFont(BundledFonts.Family, 18, XFontStyleEx.Bold, Options);
        var body = new XFont(BundledFonts.Family, 10, XFontStyleEx.Regular, Options);
        var bold = new XFont(BundledFonts.Family, 10, XFontStyleEx.Bold, Options);
        double y = 60;
        gfx.DrawString(inv.Number is { } number ? "Invoice " + number : "DRAFT invoice (not final)", title, XBrushes.Black, 50, y);
        y += 30;
        foreach (var line in new[]
        {
            $"Billed to: {tenantName} ({inv.TenantId})",
            $"Billing period: {inv.Period} ({inv.PeriodStart:yyyy-MM-dd HH:mm} UTC to {inv.PeriodEnd:yyyy-MM-dd HH:mm} UTC)",
            $"Issued: {Date(inv.FinalizedAt)}    Due: {Date(inv.DueAt)}    Status: {inv.Status}",
            $"Plan: {inv.PlanId}    Price catalogue: {inv.CatalogueVersion}    Invoice id: {inv.InvoiceId}",
        })
        {
            gfx.DrawString(line, body, XBrushes.Black, 50, y);
            y += 16;
        }

        y += 14;
        gfx.DrawString("Description", bold, XBrushes.Black, 50, y);
        gfx.DrawString("Amount", bold, XBrushes.Black, new XRect(400, y - 10, 150, 12), XStringFormats.TopRight);
        y += 18;
        foreach (var line in inv.Lines ?? [])
        {
            gfx.DrawString(Fit(line.Description, 80), body, XBrushes.Black, 50, y);
            gfx.DrawString(Currencies.Format(line.AmountMinor, inv.Currency), body, XBrushes.Black, new XRect(400, y - 10, 150, 12), XStringFormats.TopRight);
            y += 15;
        }

        y += 10;
        gfx.DrawLine(XPens.Black, 50, y - 8, 550, y - 8);
        foreach (var (label, amount) in new[] { ("Total", inv.TotalMinor), ("Paid", inv.AmountPaidMinor), ("Credited", inv.AmountCreditedMinor), ("Amount due", inv.AmountDueMinor) })
        {
            gfx.DrawString(label, bold, XBrushes.Black, 300, y);
            gfx.DrawString(Currencies.Format(amount, inv.Currency), bold, XBrushes.Black, new XRect(400, y - 10, 150, 12), XStringFormats.TopRight);
            y += 15;
        }
    }

    private static string Date(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-";

    private static string Fit(string text, int max) => text.Length <= max ? text : text[..(max - 3)] + "...";
}

/// <summary>PdfSharp on Linux has no platform fonts; the Segoe WP faces shipped inside the
/// PdfSharp package are used everywhere, so rendering works on a fresh machine.</summary>
internal sealed class BundledFonts : IFontResolver
{
    public const string Family = "Invoice Sans";
    private static readonly Lock Gate = new();

    public static void Install()
    {
        lock (Gate)
        {
            if (GlobalFontSettings.FontResolver is not BundledFonts)
            {
                GlobalFontSettings.FontResolver = new BundledFonts();
            }
        }
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? "segoe-wp-bold" : "segoe-wp");

    public byte[]? GetFont(string faceName) => faceName == "segoe-wp-bold"
        ? PdfSharp.WPFonts.FontDataHelper.SegoeWPBold
        : PdfSharp.WPFonts.FontDataHelper.SegoeWP;
}

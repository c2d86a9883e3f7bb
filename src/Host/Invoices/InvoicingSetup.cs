using Billing.Host.Exports;
using Billing.Host.Tenants;
using Billing.Host.Usage;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Jobs;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Usage;

namespace Billing.Host.Invoices;

/// <summary>Registers tenants, usage, pricing and invoicing, and maps their endpoints.</summary>
public static class InvoicingSetup
{
    public static IServiceCollection AddInvoicing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(PlanCatalogueLoader.Load(configuration));
        services.AddSingleton<IInlineProjection, TenantProjection>();
        // Periods close by themselves (Billing:Invoicing:ScheduleCloses, default on): a new tenant's
        // first close is scheduled in the transaction that creates it (job invoice.close-period) and
        // each close schedules the next. Off only for scripted runs that close periods themselves.
        var scheduleCloses = configuration.GetValue("Billing:Invoicing:ScheduleCloses", true);
        services.AddSingleton(sp => new TenantDirectory(
            sp.GetRequiredService<EventStore>(), sp.GetRequiredService<PlanCatalogue>(), sp.GetRequiredService<TimeProvider>(),
            scheduleCloses ? (uow, created) => ClosePeriodJob.ScheduleFor(uow, created.TenantId, TimeZoneInfo.FindSystemTimeZoneById(created.TimeZone), created.At, sp.GetRequiredService<InvoicingOptions>()) : null));
        services.AddJobHandler<ClosePeriodHandler>();
        services.AddSingleton(new UsageOptions(configuration.GetValue("Billing:Usage:LookbackDays", 30)));
        services.AddSingleton<UsageIngestion>();
        services.AddSingleton<IInlineProjection, InvoiceProjection>();
        services.AddSingleton(new InvoicingOptions(
            TimeSpan.FromHours(configuration.GetValue("Billing:Invoicing:GraceHours", 24)),
            TimeSpan.FromDays(configuration.GetValue("Billing:Invoicing:PaymentTermsDays", 14))));
        services.AddSingleton(sp => new InvoicePeriodClose(
            sp.GetRequiredService<EventStore>(), sp.GetRequiredService<PlanCatalogue>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<InvoicingOptions>(), sp.GetService<IInvoiceFinalizationOutbox>()));
        services.AddSingleton<InvoiceActions>();
        services.AddSingleton<InvoiceQueries>();
        services.AddSingleton(AccountingAccounts.From(configuration));
        services.AddSingleton<AccountingExport>();
        return services;
    }

    public static void MapInvoicing(this IEndpointRouteBuilder app)
    {
        app.MapTenantEndpoints();
        app.MapUsageEndpoints();
        app.MapInvoiceEndpoints();
        app.MapAdjustmentEndpoints();
        app.MapExportEndpoints();
    }
}

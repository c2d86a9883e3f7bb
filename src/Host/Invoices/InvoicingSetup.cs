using Billing.Host.Tenants;
using Billing.Host.Usage;
using Billing.Ledger.EventStore;
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
        services.AddSingleton<TenantDirectory>();
        services.AddSingleton(new UsageOptions(configuration.GetValue("Billing:Usage:LookbackDays", 30)));
        services.AddSingleton<UsageIngestion>();
        return services;
    }

    public static void MapInvoicing(this IEndpointRouteBuilder app)
    {
        app.MapTenantEndpoints();
        app.MapUsageEndpoints();
    }
}

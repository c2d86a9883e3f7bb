using Billing.Host.Tenants;
using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;

namespace Billing.Host.Invoices;

/// <summary>Registers tenants, usage, pricing and invoicing, and maps their endpoints.</summary>
public static class InvoicingSetup
{
    public static IServiceCollection AddInvoicing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(PlanCatalogueLoader.Load(configuration));
        services.AddSingleton<IInlineProjection, TenantProjection>();
        services.AddSingleton<TenantDirectory>();
        return services;
    }

    public static void MapInvoicing(this IEndpointRouteBuilder app)
    {
        app.MapTenantEndpoints();
    }
}

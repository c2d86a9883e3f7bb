namespace Billing.Host.Auth;

/// <summary>API key roles.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Finance = "finance";
    public const string Ingest = "ingest";
    public const string Tenant = "tenant";
}

/// <summary>Authorization policy names endpoints require (registered by the auth setup).</summary>
public static class Policies
{
    /// <summary>admin only: operator actions, key management, mutations.</summary>
    public const string Admin = "admin";

    /// <summary>admin or finance: read models, exports, PDFs across tenants.</summary>
    public const string Finance = "finance";

    /// <summary>admin or ingest: usage ingestion.</summary>
    public const string Ingest = "ingest";

    /// <summary>admin, finance, or a tenant key bound to the tenant in the route/query
    /// (a tenant key for another tenant gets 404, never the data).</summary>
    public const string TenantData = "tenant-data";
}

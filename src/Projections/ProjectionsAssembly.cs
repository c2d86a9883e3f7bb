namespace Billing.Projections;

/// <summary>Marker for this assembly (migrations, event types, projections).</summary>
public static class ProjectionsAssembly;

using System.Text.RegularExpressions;
using Billing.Ledger.EventStore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Billing.Projections;

/// <summary>Every registered projection, by name. Names and table names are validated here
/// once so the engine can splice them into SQL as identifiers.</summary>
public sealed partial class ProjectionCatalog
{
    private readonly Dictionary<string, ProjectionRegistration> _byName = new(StringComparer.Ordinal);

    public ProjectionCatalog(IEnumerable<ProjectionRegistration> registrations)
    {
        var tables = new HashSet<string>(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            Validate(registration.Projection, tables);
            if (!_byName.TryAdd(registration.Name, registration))
            {
                throw new InvalidOperationException($"Two projections are named '{registration.Name}'.");
            }
        }
    }

    public IReadOnlyCollection<ProjectionRegistration> All => _byName.Values;

    public ProjectionRegistration Get(string name) =>
        _byName.TryGetValue(name, out var registration)
            ? registration
            : throw new UnknownProjectionException(name);

    public bool TryGet(string name, out ProjectionRegistration registration) => _byName.TryGetValue(name, out registration!);

    private static void Validate(IProjection projection, HashSet<string> tables)
    {
        if (!Identifier().IsMatch(projection.Name))
        {
            throw new ArgumentException($"Projection name '{projection.Name}' must be snake_case (a-z, 0-9, _).");
        }

        foreach (var table in projection.Tables)
        {
            if (!Identifier().IsMatch(table.Name) || table.Name.Contains("__", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Table name '{table.Name}' of projection '{projection.Name}' must be snake_case without '__' (reserved for shadows).");
            }

            if (!tables.Add(table.Name))
            {
                throw new ArgumentException($"Table rm.{table.Name} is owned by two projections.");
            }
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,40}$")]
    private static partial Regex Identifier();
}

/// <summary>No projection of that name is registered.</summary>
public sealed class UnknownProjectionException(string name) : Exception($"No projection named '{name}' is registered.")
{
    public string Name { get; } = name;
}

public static class ProjectionServiceCollectionExtensions
{
    /// <summary>Registers a projection. Inline projections also hook into every append.</summary>
    public static IServiceCollection AddProjection(this IServiceCollection services, IProjection projection, ProjectionMode mode, PoisonEventPolicy onPoison = PoisonEventPolicy.Continue)
    {
        services.AddSingleton(new ProjectionRegistration(projection, mode, onPoison));
        if (mode == ProjectionMode.Inline)
        {
            services.AddSingleton<IInlineProjection>(new InlineProjection(projection));
        }

        services.TryAddSingleton(sp => new ProjectionCatalog(sp.GetServices<ProjectionRegistration>()));
        return services;
    }
}

namespace Billing.Ledger.Tenants;

/// <summary>Pure decisions for the tenant stream: no clock, I/O or DI.</summary>
public static class TenantDecider
{
    public static IReadOnlyList<object> Decide(TenantCommand command, TenantState? state) => (command, state) switch
    {
        (CreateTenant c, null) => Create(c),
        (CreateTenant c, not null) => throw new TenantRejected("tenant_exists", $"Tenant '{c.TenantId}' already exists."),
        (UpdateTenant c, null) => throw new TenantRejected("tenant_not_found", $"Tenant '{c.TenantId}' does not exist."),
        (UpdateTenant c, not null) => Update(c, state),
        _ => throw new TenantRejected("unsupported_command", $"{command.GetType().Name} is not a tenant command."),
    };

    public static TenantState? Evolve(TenantState? state, object @event) => (state, @event) switch
    {
        (_, TenantCreated e) => new TenantState(e.TenantId, new TenantProfile(e.Name, e.PlanId, e.Currency, e.BillingEmail, e.TimeZone, e.StripeCustomerId, e.DefaultPaymentMethod), e.At, e.At, []),
        (not null, TenantProfileUpdated e) => state with
        {
            Profile = new TenantProfile(e.Name, state.Profile.PlanId, e.Currency, e.BillingEmail, e.TimeZone, e.StripeCustomerId, e.DefaultPaymentMethod),
            UpdatedAt = e.At,
        },
        (not null, TenantPlanChanged e) => state with
        {
            Profile = state.Profile with { PlanId = e.ToPlanId },
            UpdatedAt = e.EffectiveAt,
            PlanChanges = [.. state.PlanChanges, e],
        },
        _ => state,
    };

    public static TenantState? Fold(IEnumerable<object> events) => events.Aggregate(TenantState.Initial, Evolve);

    private static IReadOnlyList<object> Create(CreateTenant c)
    {
        TenantValidation.EnsureValidId(c.TenantId);
        TenantValidation.EnsureValid(c.Profile, c.PlanCurrency);
        var p = c.Profile;
        return [new TenantCreated(c.TenantId, p.Name, p.PlanId, p.Currency, p.BillingEmail, p.TimeZone, p.StripeCustomerId, p.DefaultPaymentMethod, c.Now)];
    }

    private static IReadOnlyList<object> Update(UpdateTenant c, TenantState state)
    {
        TenantValidation.EnsureValid(c.Profile, c.PlanCurrency);
        var p = c.Profile;
        var events = new List<object>();
        if (p with { PlanId = state.Profile.PlanId } != state.Profile)
        {
            events.Add(new TenantProfileUpdated(c.TenantId, p.Name, p.Currency, p.BillingEmail, p.TimeZone, p.StripeCustomerId, p.DefaultPaymentMethod, c.Now));
        }

        if (p.PlanId != state.Profile.PlanId)
        {
            events.Add(new TenantPlanChanged(c.TenantId, state.Profile.PlanId, p.PlanId, c.Now));
        }

        return events;
    }
}

using Billing.Host.Auth;
using Billing.Ledger.EventStore;

namespace Billing.Host.Observability;

/// <summary>Event metadata for appends made on behalf of an HTTP request: the request's
/// correlation id and the calling key as actor (<c>key:&lt;prefix&gt;</c>).</summary>
public static class RequestMetadata
{
    public static EventMetadata For(HttpContext http, string? causationId = null) =>
        new(CorrelationId: CorrelationIdMiddleware.Of(http), CausationId: causationId, Actor: BillingClaims.Actor(http.User));
}

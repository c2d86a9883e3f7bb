using System.Net;
using System.Text.Json;
using Billing.Host.Auth;
using Billing.Host.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Billing.Host.Tests.Observability;

/// <summary>Endpoints that fail on purpose, mapped only in tests.</summary>
public sealed class FailingModule : IEndpointModule
{
    public const string Secret = "sk_test_51HsecretValue0123456789abcdef";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/test/boom", IResult () => throw new InvalidOperationException("Stripe rejected " + Secret)).RequireAuthorization(Policies.Admin);
        routes.MapGet("/test/slow", async (CancellationToken ct) =>
        {
            // Never completes on its own: only the request timeout ends it.
            await new TaskCompletionSource().Task.WaitAsync(ct);
            return TypedResults.Ok();
        }).RequireAuthorization(Policies.Admin);
        routes.MapPost("/test/echo", async (HttpRequest request) => TypedResults.Ok((await new StreamReader(request.Body).ReadToEndAsync()).Length)).RequireAuthorization(Policies.Admin);
    }
}

public sealed class FailingFactory : IAsyncLifetime
{
    public BillingApiFactory Api { get; } = new();

    public async Task InitializeAsync()
    {
        Api.Modules.Add(new FailingModule());
        Api.Settings["Billing:Http:MaxRequestBodyBytes"] = "1024";
        Api.Settings["Billing:Http:RequestTimeoutSeconds"] = "1";
        await Api.InitializeAsync();
    }

    public async Task DisposeAsync() => await Api.DisposeAsync();
}

public sealed class ErrorAndLimitTests(FailingFactory fixture) : IClassFixture<FailingFactory>
{
    [Fact]
    public async Task an_unhandled_exception_is_a_problem_without_stack_trace_or_secret()
    {
        using var admin = await fixture.Api.CreateClientAsync(Roles.Admin);

        var response = await admin.GetAsync("/test/boom");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("sk_test_", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        var correlationId = JsonDocument.Parse(body).RootElement.GetProperty("correlationId").GetString();
        Assert.Equal(Assert.Single(response.Headers.GetValues("X-Correlation-Id")), correlationId);
    }

    [Fact]
    public async Task the_logged_exception_is_masked()
    {
        using var admin = await fixture.Api.CreateClientAsync(Roles.Admin);

        await admin.GetAsync("/test/boom");

        Assert.Contains(fixture.Api.Logs.Events, e => e.Exception is MaskedException { OriginalType: "System.InvalidOperationException" });
        Assert.All(fixture.Api.Logs.Rendered(), line => Assert.DoesNotContain(FailingModule.Secret, line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_body_over_the_limit_is_rejected_with_413()
    {
        using var admin = await fixture.Api.CreateClientAsync(Roles.Admin);

        var small = await admin.PostAsync("/test/echo", new StringContent(new string('x', 1000)));
        var large = await admin.PostAsync("/test/echo", new StringContent(new string('x', 2000)));

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Equal("application/problem+json", large.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task a_request_over_the_timeout_gets_504_problem_details()
    {
        using var admin = await fixture.Api.CreateClientAsync(Roles.Admin);

        var response = await admin.GetAsync("/test/slow");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task an_unknown_route_is_a_problem_too()
    {
        using var admin = await fixture.Api.CreateClientAsync(Roles.Admin);

        var response = await admin.GetAsync("/v1/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

using System.Net;
using System.Text;
using Billing.Host.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Auth;

/// <summary>The app with one client per <see cref="MatrixCaller"/>.</summary>
public sealed class MatrixFixture : IAsyncLifetime
{
    private readonly Dictionary<MatrixCaller, HttpClient> _clients = [];

    public BillingApiFactory Api { get; } = new();

    public HttpClient Client(MatrixCaller caller) => _clients[caller];

    public async Task InitializeAsync()
    {
        await Api.InitializeAsync();
        _clients[MatrixCaller.Admin] = await Api.CreateClientAsync(Roles.Admin);
        _clients[MatrixCaller.Finance] = await Api.CreateClientAsync(Roles.Finance);
        _clients[MatrixCaller.Ingest] = await Api.CreateClientAsync(Roles.Ingest);
        _clients[MatrixCaller.TenantOwn] = await Api.CreateClientAsync(Roles.Tenant, "acme");
        _clients[MatrixCaller.TenantOther] = await Api.CreateClientAsync(Roles.Tenant, "globex");
        _clients[MatrixCaller.NoKey] = Api.CreateClient();
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await Api.DisposeAsync();
    }
}

public sealed class AuthorizationMatrixTests(MatrixFixture fixture) : IClassFixture<MatrixFixture>
{
    public static TheoryData<EndpointRow, MatrixCaller> Cases()
    {
        var data = new TheoryData<EndpointRow, MatrixCaller>();
        foreach (var row in AuthorizationMatrix.Rows)
        {
            foreach (var caller in Enum.GetValues<MatrixCaller>())
            {
                data.Add(row, caller);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task each_caller_gets_what_the_matrix_says(EndpointRow row, MatrixCaller caller)
    {
        using var request = new HttpRequestMessage(new HttpMethod(row.Method), row.Path);
        if (row.Body is not null)
        {
            request.Content = new StringContent(row.Body, Encoding.UTF8, "application/json");
        }

        var response = await fixture.Client(caller).SendAsync(request);
        var status = response.StatusCode;

        var expected = row.Expect[caller];
        var because = $"{row} as {caller} answered {(int)status}";
        switch (expected)
        {
            case Outcome.Allowed:
                Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), because);
                break;
            case Outcome.Unauthenticated:
                Assert.True(status == HttpStatusCode.Unauthorized, because);
                break;
            case Outcome.Forbidden:
                Assert.True(status == HttpStatusCode.Forbidden, because);
                break;
            case Outcome.Hidden:
                Assert.True(status == HttpStatusCode.NotFound, because);
                break;
        }
    }

    [Fact]
    public void every_mapped_endpoint_has_a_row_in_the_matrix()
    {
        var mapped = fixture.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} /{e.RoutePattern.RawText?.TrimStart('/')}"))
            .ToHashSet();
        var rows = AuthorizationMatrix.Rows.Select(r => r.ToString()).ToHashSet();

        Assert.Empty(mapped.Except(rows));
        Assert.Empty(rows.Except(mapped));
    }
}

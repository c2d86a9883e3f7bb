using System.Text.Json;
using Billing.Ledger.Usage;

namespace Billing.Ledger.Tests.Usage;

/// <summary>Payload hashes and event ids are stored (usage_dedupe, every usage event): a change of
/// their input would turn every resend of an already stored event into a conflict. The expected
/// values were computed independently (SHA-256 of the documented canonical text).</summary>
public sealed class UsageHashTests
{
    private static UsageInput Input(string metric, decimal quantity, string at, string? properties = null) =>
        new("e1", "acme", metric, quantity, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture),
            properties is null ? null : JsonDocument.Parse(properties).RootElement.Clone());

    [Theory]
    [InlineData("api_calls", "5", "2026-03-20T10:00:00Z", null, "fe1549d31c1a7ff4389df8c774714552")]
    [InlineData("api_calls", "5.000", "2026-03-20T06:00:00-04:00", null, "fe1549d31c1a7ff4389df8c774714552")]
    [InlineData("api_calls", "2.5", "2026-03-19T22:30:00Z", "{ \"region\" : \"eu\" }", "95ad963782cda3a65d9159311353dea7")]
    // G29 writes tiny quantities in exponent form ("1E-09"): part of the hashed text, kept.
    [InlineData("storage_gb", "0.000000001", "2026-03-20T01:00:00Z", null, "2434e54bd50a1140636f32f954e3489a")]
    public void the_payload_hash_of_a_payload_never_changes(string metric, string quantity, string at, string? properties, string expected) =>
        Assert.Equal(expected, Input(metric, decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture), at, properties).PayloadHash());

    [Fact]
    public void a_long_metric_and_properties_hash_like_short_ones_do()
    {
        var big = "{\"k\":\"" + new string('x', 2_000) + "\"}";
        var a = Input("api_calls", 1, "2026-03-20T10:00:00Z", big).PayloadHash();
        var b = Input("api_calls", 1, "2026-03-20T10:00:00Z", big.Replace("x\"}", "y\"}", StringComparison.Ordinal)).PayloadHash();
        Assert.Equal(32, a.Length);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void the_event_id_is_a_pure_function_of_tenant_and_client_id()
    {
        Assert.Equal(Guid.Parse("745ad705-824f-84ba-a30b-d0e7e03b5fdd"), UsageInput.EventIdOf("acme", "evt-0001"));
        Assert.NotEqual(UsageInput.EventIdOf("acme", "evt-0001" + new string('z', 600)), UsageInput.EventIdOf("acme", "evt-0001"));
    }
}

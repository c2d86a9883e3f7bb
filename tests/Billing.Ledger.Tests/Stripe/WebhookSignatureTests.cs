using System.Security.Cryptography;
using System.Text;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Ledger.Time;

namespace Billing.Ledger.Tests.Stripe;

public sealed class WebhookSignatureTests
{
    private const string Body = """{"id":"evt_1","object":"event"}""";
    private const long SignedAt = 1_700_000_000;

    // Computed outside .NET (Python's hmac module) so the verifier is not checked against itself.
    private const string PrimaryV1 = "977dd8ac9444f373964e7f33470f213bf663b62011b3dabaaf62ad846f6f56c5";
    private const string RotatedV1 = "040640ef8a8e8834c6e177f0b0ecbec47de159287dbdbf1355d1dd17f79825cd";

    private static readonly AdjustableClock Clock = new(DateTimeOffset.FromUnixTimeSeconds(SignedAt + 10));

    private static WebhookSignatureResult Verify(string secrets, string? header, string body = Body, TimeProvider? time = null) =>
        WebhookSignature.FromSetting(secrets, time ?? Clock).Verify(Encoding.UTF8.GetBytes(body), header);

    [Fact]
    public void a_fixed_vector_signed_with_the_configured_secret_verifies()
    {
        var result = Verify("whsec_test_primary", $"t={SignedAt},v1={PrimaryV1}");

        Assert.True(result.IsValid);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(SignedAt), result.SignedAt);
    }

    [Fact]
    public void the_signer_reproduces_an_independently_computed_hmac()
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes("whsec_test_rotated"));
        var independent = Convert.ToHexStringLower(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{SignedAt}.{Body}")));

        Assert.Equal(RotatedV1, independent);
        Assert.Equal(RotatedV1, WebhookSignature.Sign("whsec_test_rotated", SignedAt, Encoding.UTF8.GetBytes(Body)));
    }

    [Fact]
    public void during_rotation_either_secret_verifies_and_several_v1_values_are_accepted()
    {
        const string both = "whsec_test_primary, whsec_test_rotated";

        Assert.True(Verify(both, $"t={SignedAt},v1={PrimaryV1}").IsValid);
        Assert.True(Verify(both, $"t={SignedAt},v1={RotatedV1}").IsValid);
        Assert.True(Verify("whsec_test_rotated", $"t={SignedAt},v1={PrimaryV1},v1={RotatedV1},v0=deadbeef").IsValid);
        Assert.Equal(WebhookSignatureFailure.SignatureMismatch, Verify("whsec_test_rotated", $"t={SignedAt},v1={PrimaryV1}").Failure);
    }

    [Fact]
    public void a_tampered_body_is_rejected()
    {
        var result = Verify("whsec_test_primary", $"t={SignedAt},v1={PrimaryV1}", Body.Replace("evt_1", "evt_2", StringComparison.Ordinal));

        Assert.Equal(WebhookSignatureFailure.SignatureMismatch, result.Failure);
    }

    [Fact]
    public void a_timestamp_older_or_newer_than_the_tolerance_is_stale_even_with_a_valid_signature()
    {
        var late = new AdjustableClock(DateTimeOffset.FromUnixTimeSeconds(SignedAt + 301));
        var early = new AdjustableClock(DateTimeOffset.FromUnixTimeSeconds(SignedAt - 301));
        var edge = new AdjustableClock(DateTimeOffset.FromUnixTimeSeconds(SignedAt + 300));

        Assert.Equal(WebhookSignatureFailure.StaleTimestamp, Verify("whsec_test_primary", $"t={SignedAt},v1={PrimaryV1}", time: late).Failure);
        Assert.Equal(WebhookSignatureFailure.StaleTimestamp, Verify("whsec_test_primary", $"t={SignedAt},v1={PrimaryV1}", time: early).Failure);
        Assert.True(Verify("whsec_test_primary", $"t={SignedAt},v1={PrimaryV1}", time: edge).IsValid);
    }

    [Fact]
    public void the_tolerance_is_configurable()
    {
        var later = new AdjustableClock(DateTimeOffset.FromUnixTimeSeconds(SignedAt + 600));
        var verifier = WebhookSignature.FromSetting("whsec_test_primary", later, TimeSpan.FromMinutes(15));

        Assert.True(verifier.Verify(Encoding.UTF8.GetBytes(Body), $"t={SignedAt},v1={PrimaryV1}").IsValid);
    }

    [Theory]
    [InlineData(null, WebhookSignatureFailure.MissingHeader)]
    [InlineData("", WebhookSignatureFailure.MissingHeader)]
    [InlineData("v1=977dd8ac9444f373964e7f33470f213bf663b62011b3dabaaf62ad846f6f56c5", WebhookSignatureFailure.MalformedHeader)]
    [InlineData("t=1700000000", WebhookSignatureFailure.MalformedHeader)]
    [InlineData("t=1700000000,v0=977dd8ac9444f373964e7f33470f213bf663b62011b3dabaaf62ad846f6f56c5", WebhookSignatureFailure.MalformedHeader)]
    [InlineData("t=abc,v1=977dd8ac9444f373964e7f33470f213bf663b62011b3dabaaf62ad846f6f56c5", WebhookSignatureFailure.MalformedHeader)]
    [InlineData("garbage", WebhookSignatureFailure.MalformedHeader)]
    public void missing_or_malformed_headers_are_rejected(string? header, WebhookSignatureFailure expected)
    {
        Assert.Equal(expected, Verify("whsec_test_primary", header).Failure);
    }

    [Fact]
    public void with_no_secret_configured_nothing_verifies()
    {
        Assert.Equal(WebhookSignatureFailure.NoSecretConfigured, Verify(" , ", $"t={SignedAt},v1={PrimaryV1}").Failure);
    }
}

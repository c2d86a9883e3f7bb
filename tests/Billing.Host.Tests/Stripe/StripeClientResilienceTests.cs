using System.Net.Http.Headers;
using Billing.Ledger.Stripe;

namespace Billing.Host.Tests.Stripe;

public sealed class StripeClientResilienceTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    private readonly StripeClient _client = fx.Client();

    private static OffSessionCharge Visa(string customer) => new(1500, "usd", customer, "pm_card_visa");

    private async Task<(string Customer, int RequestsBefore)> ArrangeAsync()
    {
        var customer = await fx.NewCustomerAsync(_client);
        return (customer, fx.Emulator.RequestCount);
    }

    [Fact]
    public async Task a_500_then_success_yields_exactly_one_charge()
    {
        var (customer, before) = await ArrangeAsync();
        fx.Emulator.Faults.FailNext(1, 500);

        var outcome = await _client.ChargeOffSessionAsync(Visa(customer), IdempotencyKeys.Charge("inv_500", 1));

        Assert.IsType<ChargeOutcome.Succeeded>(outcome);
        Assert.Equal(2, fx.Emulator.RequestCount - before);
        Assert.Single(fx.ChargesOf(customer));
    }

    [Fact]
    public async Task dropped_connections_and_429s_are_retried_with_the_same_key()
    {
        var (customer, before) = await ArrangeAsync();
        fx.Emulator.Faults.DropNext(2);
        fx.Emulator.Faults.RateLimitNext(1);

        var outcome = await _client.ChargeOffSessionAsync(Visa(customer), IdempotencyKeys.Charge("inv_drop", 1));

        Assert.IsType<ChargeOutcome.Succeeded>(outcome);
        Assert.Equal(4, fx.Emulator.RequestCount - before);
        Assert.Equal("charge:inv_drop:attempt:1", Assert.Single(fx.ChargesOf(customer)).IdempotencyKey);
    }

    [Fact]
    public async Task stripe_down_longer_than_the_retries_fails_cleanly_and_the_same_key_later_charges_once()
    {
        var (customer, _) = await ArrangeAsync();
        fx.Emulator.Faults.BeginOutage();

        var error = await Assert.ThrowsAsync<StripeApiException>(() => _client.ChargeOffSessionAsync(Visa(customer), IdempotencyKeys.Charge("inv_down", 1)));
        fx.Emulator.Faults.EndOutage();
        var later = await _client.ChargeOffSessionAsync(Visa(customer), IdempotencyKeys.Charge("inv_down", 1));
        var replay = await _client.ChargeOffSessionAsync(Visa(customer), IdempotencyKeys.Charge("inv_down", 1));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal(Assert.IsType<ChargeOutcome.Succeeded>(later).PaymentIntent.Id, Assert.IsType<ChargeOutcome.Succeeded>(replay).PaymentIntent.Id);
        Assert.Single(fx.ChargesOf(customer));
    }

    [Fact]
    public async Task stripe_should_retry_false_makes_even_a_500_final()
    {
        var (customer, before) = await ArrangeAsync();
        fx.Emulator.Faults.FailNext(1, 500, shouldRetry: false);

        var error = await Assert.ThrowsAsync<StripeApiException>(() => _client.ChargeOffSessionAsync(Visa(customer), IdempotencyKeys.Charge("inv_nr", 1)));

        Assert.Equal(500, error.StatusCode);
        Assert.Equal(1, fx.Emulator.RequestCount - before);
        Assert.Empty(fx.ChargesOf(customer));
    }

    [Fact]
    public async Task stripe_should_retry_true_makes_a_400_retryable()
    {
        var (customer, before) = await ArrangeAsync();
        fx.Emulator.Faults.FailNext(1, 400, shouldRetry: true);

        Assert.IsType<ChargeOutcome.Succeeded>(await _client.ChargeOffSessionAsync(Visa(customer), IdempotencyKeys.Charge("inv_sr", 1)));

        Assert.Equal(2, fx.Emulator.RequestCount - before);
    }

    [Fact]
    public async Task a_plain_400_is_not_retried()
    {
        var before = fx.Emulator.RequestCount;

        var error = await Assert.ThrowsAsync<StripeApiException>(() => _client.ChargeOffSessionAsync(new OffSessionCharge(1500, "usd", "cus_missing", "pm_card_visa"), IdempotencyKeys.Charge("inv_400", 1)));

        Assert.Equal((400, "resource_missing"), (error.StatusCode, error.Code));
        Assert.Equal(1, fx.Emulator.RequestCount - before);
    }

    [Fact]
    public async Task an_unreachable_stripe_is_reported_without_the_secret_key()
    {
        const string key = "sk_test_51SuperSecretValue9876";
        var closed = new StripeClient(new HttpClient(), new StripeOptions { SecretKey = key, BaseUrl = new Uri("http://127.0.0.1:9/"), Retry = EmulatorFixture.FastRetries with { MaxRetries = 1 } },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<StripeClient>.Instance);

        var error = await Assert.ThrowsAsync<StripeUnavailableException>(() => closed.CreateCustomerAsync(new CustomerCreate("a@b.c", null), "customer:x"));

        Assert.DoesNotContain("SuperSecret", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_bad_api_key_is_a_401_error_that_does_not_echo_the_key()
    {
        var client = fx.Client("sk_live_51NotAllowedHere1234");

        var error = await Assert.ThrowsAsync<StripeApiException>(() => client.CreateCustomerAsync(new CustomerCreate("a@b.c", null), "customer:y"));

        Assert.Equal(401, error.StatusCode);
        Assert.DoesNotContain("NotAllowedHere", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_key_still_in_flight_answers_409_idempotency_key_in_use()
    {
        var customer = await fx.NewCustomerAsync(_client);
        using var http = new HttpClient { BaseAddress = fx.Emulator.BaseUrl };
        fx.Emulator.Faults.DelayNext(1, TimeSpan.FromSeconds(2));
        var slow = http.SendAsync(RawCharge(customer));
        await PollAsync(() => fx.Emulator.IdempotencyKeysInFlight > 0);

        using var concurrent = await http.SendAsync(RawCharge(customer));
        using var first = await slow;

        Assert.Equal(409, (int)concurrent.StatusCode);
        Assert.Contains("idempotency_key_in_use", await concurrent.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(200, (int)first.StatusCode);
    }

    private static HttpRequestMessage RawCharge(string customer)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/payment_intents")
        {
            Content = new StringContent($"amount=100&currency=usd&customer={customer}&payment_method=pm_card_visa&confirm=true&off_session=true", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk_test_raw");
        request.Headers.Add("Idempotency-Key", "raw:" + customer);
        return request;
    }

    private static async Task PollAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 5 s");
            await Task.Yield();
        }
    }
}

using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;

namespace Billing.Ledger.Stripe;

/// <summary>A small typed Stripe client on <see cref="HttpClient"/>: Bearer auth, a pinned
/// <c>Stripe-Version</c>, form-encoded POSTs that each carry the caller's idempotency key (the
/// same key on every retry), and retries per Stripe's rules (see <see cref="StripeRetryPolicy"/>).</summary>
public sealed partial class StripeClient
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    private readonly HttpClient _http;
    private readonly StripeOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public StripeClient(HttpClient http, StripeOptions options, ILogger<StripeClient> logger, TimeProvider? time = null)
    {
        _http = http;
        _options = options;
        _logger = logger;
        _pipeline = StripeRetryPolicy.Build(options.Retry, logger, time ?? TimeProvider.System);
    }

    public StripeOptions Options => _options;

    public Task<StripeCustomer> CreateCustomerAsync(CustomerCreate request, string idempotencyKey, CancellationToken ct = default) =>
        PostAsync<StripeCustomer>("v1/customers", request.ToForm(), idempotencyKey, ct);

    public Task<StripeRefund> CreateRefundAsync(RefundCreate request, string idempotencyKey, CancellationToken ct = default) =>
        PostAsync<StripeRefund>("v1/refunds", request.ToForm(), idempotencyKey, ct);

    public Task<StripeMeterEvent> CreateMeterEventAsync(MeterEventCreate request, CancellationToken ct = default) =>
        PostAsync<StripeMeterEvent>("v1/billing/meter_events", request.ToForm(), IdempotencyKeys.MeterEvent(request.Identifier), ct);

    public Task<StripeList<StripeCharge>> ListChargesAsync(StripeListQuery query, CancellationToken ct = default) =>
        GetAsync<StripeList<StripeCharge>>("v1/charges?" + query.ToQueryString(), ct);

    public Task<StripeList<StripeBalanceTransaction>> ListBalanceTransactionsAsync(StripeListQuery query, CancellationToken ct = default) =>
        GetAsync<StripeList<StripeBalanceTransaction>>("v1/balance_transactions?" + query.ToQueryString(), ct);

    /// <summary>Creates and confirms an off-session payment intent. A card decline (HTTP 402
    /// <c>card_error</c>) comes back as <see cref="ChargeOutcome.Declined"/>.</summary>
    public async Task<ChargeOutcome> ChargeOffSessionAsync(OffSessionCharge request, string idempotencyKey, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Post, "v1/payment_intents", request.ToForm(), IdempotencyKeys.Checked(idempotencyKey), ct);
        if (response.IsSuccessStatusCode)
        {
            return new ChargeOutcome.Succeeded(await ReadAsync<StripePaymentIntent>(response, ct));
        }

        var error = await ReadErrorAsync(response, ct);
        if (error is { Type: "card_error" })
        {
            var decline = CardDecline.From(error);
            LogDeclined(_logger, decline.Code, decline.DeclineCode, decline.Retryable, decline.PaymentIntentId);
            return new ChargeOutcome.Declined(decline);
        }

        throw new StripeApiException((int)response.StatusCode, error, RequestId(response));
    }

    /// <summary>Every charge created at or after <paramref name="createdGte"/>, following the cursor.</summary>
    public IAsyncEnumerable<StripeCharge> ListAllChargesAsync(DateTimeOffset? createdGte, CancellationToken ct = default) =>
        PageAllAsync(q => ListChargesAsync(q, ct), c => c.Id, createdGte, ct);

    public IAsyncEnumerable<StripeBalanceTransaction> ListAllBalanceTransactionsAsync(DateTimeOffset? createdGte, CancellationToken ct = default) =>
        PageAllAsync(q => ListBalanceTransactionsAsync(q, ct), t => t.Id, createdGte, ct);

    private static async IAsyncEnumerable<T> PageAllAsync<T>(
        Func<StripeListQuery, Task<StripeList<T>>> page, Func<T, string> id, DateTimeOffset? createdGte,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var query = new StripeListQuery(100, null, createdGte);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var list = await page(query);
            foreach (var item in list.Data)
            {
                yield return item;
            }

            if (!list.HasMore || list.Data.Count == 0)
            {
                yield break;
            }

            query = query with { StartingAfter = id(list.Data[^1]) };
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe charge declined {Code} {DeclineCode} retryable={Retryable} payment_intent={PaymentIntentId}")]
    private static partial void LogDeclined(ILogger logger, string code, string? declineCode, bool retryable, string? paymentIntentId);
}

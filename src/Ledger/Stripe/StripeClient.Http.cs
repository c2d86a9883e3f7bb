using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Polly.Timeout;

namespace Billing.Ledger.Stripe;

public sealed partial class StripeClient
{
    private async Task<T> PostAsync<T>(string path, StripeForm form, string idempotencyKey, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, path, form, IdempotencyKeys.Checked(idempotencyKey), ct);
        return await ReadOrThrowAsync<T>(response, ct);
    }

    private async Task<T> GetAsync<T>(string pathAndQuery, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, pathAndQuery, null, null, ct);
        return await ReadOrThrowAsync<T>(response, ct);
    }

    /// <summary>Sends one logical request through the retry pipeline. Each attempt builds a fresh
    /// message (a sent HttpRequestMessage cannot be resent) with the same idempotency key.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, StripeForm? form, string? idempotencyKey, CancellationToken ct)
    {
        var uri = new Uri(_options.BaseUrl, path);
        var body = form?.Encode();
        try
        {
            return await _pipeline.ExecuteAsync(
                async token =>
                {
                    using var request = new HttpRequestMessage(method, uri);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.SecretKey);
                    request.Headers.Add("Stripe-Version", _options.ApiVersion);
                    if (idempotencyKey is not null)
                    {
                        request.Headers.Add("Idempotency-Key", idempotencyKey);
                    }

                    if (body is not null)
                    {
                        request.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
                    }

                    return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token);
                },
                ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new StripeUnavailableException($"Stripe at {uri.GetLeftPart(UriPartial.Authority)} was unreachable for {method} /{path.Split('?')[0]} after {_options.Retry.MaxRetries} retries: {ex.Message}", ex);
        }
    }

    private static async Task<T> ReadOrThrowAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return await ReadAsync<T>(response, ct);
        }

        throw new StripeApiException((int)response.StatusCode, await ReadErrorAsync(response, ct), RequestId(response));
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        return await JsonSerializer.DeserializeAsync<T>(stream, Json, ct)
            ?? throw new StripeApiException((int)response.StatusCode, new StripeError("api_error", "empty_body", null, "Stripe returned an empty body.", null), RequestId(response));
    }

    private static async Task<StripeError?> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            return JsonSerializer.Deserialize<StripeErrorEnvelope>(text, Json)?.Error;
        }
        catch (JsonException)
        {
            // Not Stripe's JSON (a proxy's HTML error page): keep the status, not the body.
            return new StripeError("api_error", "unparseable_error_body", null, $"HTTP {(int)response.StatusCode} with a non-JSON body", null);
        }
    }

    private static string? RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Request-Id", out var values) ? values.FirstOrDefault() : null;
}

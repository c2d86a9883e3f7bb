namespace Billing.Host.StripeEmulator;

/// <summary>Stripe's idempotency semantics: the first response for a key is stored and replayed
/// for the same key and the same parameters (declines included); the same key with different
/// parameters is a 400 <c>idempotency_error</c>; a key whose first request is still executing
/// is a 409 <c>idempotency_key_in_use</c>. Parameter validation errors are not stored, as Stripe
/// saves results only once an endpoint started executing.</summary>
internal sealed class EmulatorIdempotency
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed class Entry(string fingerprint)
    {
        public string Fingerprint { get; } = fingerprint;

        public EmulatorResponse? Response { get; set; }
    }

    public abstract record Decision
    {
        public sealed record Proceed : Decision;

        public sealed record Replay(EmulatorResponse Response) : Decision;

        public sealed record Reject(EmulatorResponse Response) : Decision;
    }

    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.Count(e => e.Response is null);
            }
        }
    }

    public Decision Begin(string key, string fingerprint)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                _entries[key] = new Entry(fingerprint);
                return new Decision.Proceed();
            }

            if (entry.Fingerprint != fingerprint)
            {
                return new Decision.Reject(EmulatorResponse.Error(400, "idempotency_error",
                    $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request.", "idempotency_key_reused"));
            }

            return entry.Response is { } stored
                ? new Decision.Replay(stored)
                : new Decision.Reject(EmulatorResponse.Error(409, "idempotency_error",
                    "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): " + key + ". Please try again later.",
                    "idempotency_key_in_use"));
        }
    }

    public void Complete(string key, EmulatorResponse response)
    {
        lock (_gate)
        {
            var isValidationError = response.StatusCode == 400 && response.Body["error"]?["type"]?.GetValue<string>() == "invalid_request_error";
            if (isValidationError)
            {
                _entries.Remove(key);
            }
            else if (_entries.TryGetValue(key, out var entry))
            {
                entry.Response = response;
            }
        }
    }

    public void Abandon(string key)
    {
        lock (_gate)
        {
            _entries.Remove(key);
        }
    }
}

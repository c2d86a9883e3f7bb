using System.Text.Json.Nodes;

namespace Billing.Host.StripeEmulator;

/// <summary>What an emulated endpoint answers: a status and Stripe's JSON body.</summary>
internal sealed record EmulatorResponse(int StatusCode, JsonNode Body, bool Replayed = false)
{
    public static EmulatorResponse Ok(JsonNode body) => new(200, body);

    public static EmulatorResponse Error(int status, string type, string message, string? code = null, string? param = null, Action<JsonObject>? extra = null)
    {
        var error = new JsonObject
        {
            ["type"] = type,
            ["message"] = message,
        };
        if (code is not null)
        {
            error["code"] = code;
        }

        if (param is not null)
        {
            error["param"] = param;
        }

        extra?.Invoke(error);
        return new(status, new JsonObject { ["error"] = error });
    }

    public static EmulatorResponse Missing(string param) =>
        Error(400, "invalid_request_error", $"Missing required param: {param}.", "parameter_missing", param);

    public static EmulatorResponse NoSuch(string kind, string id, string param) =>
        Error(400, "invalid_request_error", $"No such {kind}: '{id}'", "resource_missing", param);
}

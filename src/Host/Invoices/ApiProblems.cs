using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Host.Invoices;

/// <summary>RFC 7807 answers shared by the tenant, usage and invoice endpoints. Every problem
/// carries a stable <c>code</c> extension that clients can switch on.</summary>
public static class ApiProblems
{
    public static ProblemHttpResult Of(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: Title(status), extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ProblemHttpResult BadRequest(string code, string detail) => Of(StatusCodes.Status400BadRequest, code, detail);

    public static ProblemHttpResult NotFound(string what) => Of(StatusCodes.Status404NotFound, "not_found", $"{what} was not found.");

    public static ProblemHttpResult Conflict(string code, string detail) => Of(StatusCodes.Status409Conflict, code, detail);

    /// <summary>Reads a JSON body as a document; null (with the problem to answer) when the body
    /// is missing or not JSON. Nothing is appended for a request that fails here.</summary>
    public static async Task<(JsonDocument? Document, ProblemHttpResult? Problem)> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, default, ct);
            return (document, null);
        }
        catch (JsonException ex)
        {
            return (null, BadRequest("malformed_json", $"The body is not valid JSON: {ex.Message}"));
        }
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        _ => "Error",
    };
}

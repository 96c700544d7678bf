using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grains.Audit;
using Grains.Guardrails;
using Grains.Tenants;
using Portal.Security;
using Streaming.Kafka.Events;

namespace Portal.Apis;

/// <summary>
/// A draft policy against past conversations, for tools: <c>POST /api/audit/tenants/{tenantId}/whatif</c> with
/// <c>{"policy": {fields that replace the tenant's current policy's}, "scope": {"sessionId"} | {"lastTurns"} | {"from", "to"}}</c>
/// answers what <see cref="PolicyWhatIf"/> found: per recorded message and answer the recorded and the draft's verdict
/// side by side, and the totals of decisions that would change. Nothing is saved or sent. The audit API's rules:
/// staff sign-in or API key, 401 anonymous, 404 for another tenant (as for an unknown one); a draft the tenant's
/// tier may not save, or an unreadable body, gets 400 with the errors by field.
/// </summary>
public static class WhatIfApi
{
    public static IEndpointRouteBuilder MapWhatIfApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/audit/tenants/{tenantId}/whatif", RunAsync).RequireAuthorization(StaffPolicies.AuditApi);
        return app;
    }

    private static async Task<IResult> RunAsync(string tenantId, HttpRequest request, ClaimsPrincipal user, IGrainFactory grains, IServiceProvider services, CancellationToken ct)
    {
        var notFound = Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such tenant.");
        if (!user.MaySeeTenant(tenantId) || await grains.GetGrain<ITenantGrain>(tenantId).GetProfile() is not { } profile) return notFound;

        JsonObject body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject ?? throw new JsonException("the body must be a JSON object");
        }
        catch (JsonException ex)
        {
            return Invalid("The request is not valid.", new() { ["$"] = [ex.Message] });
        }

        var errors = new Dictionary<string, string[]>();
        WhatIfScope? scope = null;
        try
        {
            scope = body["scope"]?.Deserialize<WhatIfScope>(CloudEventJson.Options);
        }
        catch (JsonException ex)
        {
            errors["scope"] = [ex.Message];
        }
        if (scope is null) errors.TryAdd("scope", ["give the scope: {\"sessionId\": ...}, {\"lastTurns\": N} or {\"from\": ..., \"to\": ...}"]);
        else if (scope.Problem() is { } problem) errors["scope"] = [problem];

        var (draft, policyErrors) = Draft(profile, body["policy"]);
        foreach (var group in policyErrors.GroupBy(e => "policy." + e.Field)) errors[group.Key] = group.Select(e => e.Message).ToArray();
        if (errors.Count > 0) return Invalid("The draft or the scope is not valid.", errors);

        var result = await PolicyWhatIf.For(services).RunAsync(tenantId, draft!, scope!, ct);
        if (scope!.SessionId is not null && result.Totals.Turns == 0)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such conversation of this tenant in the audit index.");
        return Results.Json(result, CloudEventJson.Options);
    }

    /// <summary>
    /// The tenant's current policy with the given fields replaced, read and checked as the policy page saves it (unknown
    /// fields are errors, and the tier's rules apply): a what-if of a policy that could not be saved tells nothing.
    /// </summary>
    public static (GuardrailPolicy? Draft, IReadOnlyList<PolicyFieldError> Errors) Draft(TenantProfile profile, JsonNode? fields)
    {
        if (fields is not null and not JsonObject) return (null, [new PolicyFieldError("$", "must be an object of the fields to replace")]);
        var merged = JsonSerializer.SerializeToNode(profile.Policy, CloudEventJson.Options)!.AsObject();
        foreach (var (name, value) in fields?.AsObject() ?? [])
        {
            // A field named in another case replaces the current one instead of standing beside it.
            var current = merged.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (current is not null) merged.Remove(current);
            merged[current ?? name] = value?.DeepClone();
        }
        var (draft, errors) = GuardrailPolicyValidation.Parse(merged.ToJsonString());
        if (draft is null) return (null, errors);
        var tierErrors = GuardrailPolicyValidation.ValidateForTier(draft, profile.Tier);
        return tierErrors.Count > 0 ? (null, tierErrors) : (draft, []);
    }

    private static IResult Invalid(string title, Dictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, title: title, statusCode: StatusCodes.Status400BadRequest);
}

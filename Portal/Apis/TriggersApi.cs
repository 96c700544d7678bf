using System.Security.Claims;
using System.Text.Json;
using Grains.Triggers;
using Portal.Security;
using Portal.Services;
using Streaming.Kafka.Events;

namespace Portal.Apis;

/// <summary>
/// Triggers for tools: <c>GET /api/triggers</c> (each with its figures and lag), <c>GET /api/triggers/{id}</c>,
/// <c>POST /api/triggers</c> (a <see cref="TriggerSpec"/> as camelCase JSON; 201 with the trigger, or 400 with the problems
/// by field), <c>POST /api/triggers/{id}/pause</c> and <c>/resume</c>, <c>DELETE /api/triggers/{id}</c> (204). Admins and
/// operators, signed in as staff or with <c>Authorization: Bearer KEY</c>; 401 anonymous, 403 other roles, 404 unknown id.
/// </summary>
public static class TriggersApi
{
    public static IEndpointRouteBuilder MapTriggersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/triggers").RequireAuthorization(StaffPolicies.TriggersApi);
        api.MapGet("/", async (TriggerViews views, CancellationToken ct) => Json(await views.ListAsync(ct)));
        api.MapGet("/{id}", async (string id, TriggerViews views, CancellationToken ct) =>
            await views.GetAsync(id, ct) is { } view ? Json(view) : NotFound());
        api.MapPost("/", CreateAsync);
        api.MapPost("/{id}/pause", (string id, ClaimsPrincipal user, TriggerViews views, CancellationToken ct) =>
            ChangeAsync(id, views, () => views.Registry.Pause(id, By(user)), ct));
        api.MapPost("/{id}/resume", (string id, ClaimsPrincipal user, TriggerViews views, CancellationToken ct) =>
            ChangeAsync(id, views, () => views.Registry.Resume(id, By(user)), ct));
        api.MapDelete("/{id}", async (string id, ClaimsPrincipal user, TriggerViews views) =>
            await views.Registry.Delete(id, By(user)) ? Results.NoContent() : NotFound());
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, ClaimsPrincipal user, TriggerViews views, CancellationToken ct)
    {
        TriggerSpec? spec;
        try
        {
            spec = await JsonSerializer.DeserializeAsync<TriggerSpec>(request.Body, CloudEventJson.Options, ct);
        }
        catch (JsonException ex)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { [ex.Path is { Length: > 2 } path ? path[2..] : "$"] = [ex.Message] },
                title: "The trigger is not valid JSON.");
        }
        if (spec is null) return Results.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["give the trigger as a JSON object"] });
        spec = spec with { Filter = spec.Filter ?? new(), Destination = spec.Destination ?? new(), Topics = spec.Topics ?? [] };
        if (spec.Validate() is { Count: > 0 } errors) return Results.ValidationProblem(errors, title: "The trigger is not valid.");
        var created = await views.Registry.Create(spec, By(user));
        var view = await views.ViewAsync(created, new Dictionary<string, TriggerStats>(), ct);
        return Results.Created($"/api/triggers/{created.Id}", JsonSerializer.SerializeToElement(view, CloudEventJson.Options));
    }

    private static async Task<IResult> ChangeAsync(string id, TriggerViews views, Func<Task<bool>> change, CancellationToken ct) =>
        await change() && await views.GetAsync(id, ct) is { } view ? Json(view) : NotFound();

    private static string By(ClaimsPrincipal user) => user.Actor();

    private static IResult NotFound() => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such trigger.");

    private static IResult Json(object value) => Results.Json(value, CloudEventJson.Options);
}

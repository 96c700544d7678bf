using System.Text.RegularExpressions;
using Grains.Pipeline;

namespace Grains.Triggers;

/// <summary>Where a trigger starts reading when it is created: the end of each partition then ("now"), or the beginning.</summary>
public enum TriggerStart { Latest, Earliest }

public enum TriggerDestinationKind { Http, Topic }

/// <summary>Which events a trigger delivers: every condition given must hold (an empty filter takes everything).</summary>
[GenerateSerializer, Immutable]
public sealed record TriggerFilterSpec
{
    /// <summary>CloudEvent types (<c>ce_type</c>); empty = any type.</summary>
    [Id(0)] public IReadOnlyList<string> Types { get; init; } = [];
    /// <summary>The <c>tenantid</c> extension; null = any tenant.</summary>
    [Id(1)] public string? TenantId { get; init; }
    /// <summary>The <c>tier</c> extension; null = any tier.</summary>
    [Id(2)] public string? Tier { get; init; }
    /// <summary>A <see cref="TriggerFilter"/> expression over the event, e.g. <c>data.tier != "free"</c>; null = none.</summary>
    [Id(3)] public string? Expression { get; init; }
}

/// <summary>An HTTP endpoint (CloudEvents HTTP binding, binary mode) or a Kafka topic (the platform's Kafka binding).</summary>
[GenerateSerializer, Immutable]
public sealed record TriggerDestination
{
    [Id(0)] public TriggerDestinationKind Kind { get; init; }
    /// <summary>http(s) URL for <see cref="TriggerDestinationKind.Http"/>.</summary>
    [Id(1)] public string? Url { get; init; }
    /// <summary>Topic name before the deployment's prefix, for <see cref="TriggerDestinationKind.Topic"/>.</summary>
    [Id(2)] public string? Topic { get; init; }

    public override string ToString() => Kind == TriggerDestinationKind.Http ? Url ?? "" : "topic " + Topic;
}

/// <summary>What an operator asks for: checked by <see cref="Validate"/> before anything is stored.</summary>
[GenerateSerializer, Immutable]
public sealed record TriggerSpec
{
    [Id(0)] public string Name { get; init; } = "";
    /// <summary>Platform topics (<see cref="Pipeline.Topics.All"/>), before the deployment's prefix.</summary>
    [Id(1)] public IReadOnlyList<string> Topics { get; init; } = [];
    [Id(2)] public TriggerFilterSpec Filter { get; init; } = new();
    [Id(3)] public TriggerDestination Destination { get; init; } = new();
    [Id(4)] public TriggerStart Start { get; init; } = TriggerStart.Latest;

    public const int MaxNameLength = 100;

    /// <summary>Every problem, by field (API's problem details, the page's messages); empty when it is valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > MaxNameLength)
            errors["name"] = [$"give a name of 1 to {MaxNameLength} characters"];
        if (Topics.Count == 0)
            errors["topics"] = ["give at least one source topic"];
        else if (Topics.Where(t => !Pipeline.Topics.All.Contains(t)).ToList() is { Count: > 0 } unknown)
            errors["topics"] = [$"not a platform topic: {string.Join(", ", unknown)} (topics: {string.Join(", ", Pipeline.Topics.All)})"];
        if (Filter.Expression is { Length: > 0 } expression && !TriggerFilter.TryParse(expression, out _, out var error))
            errors["filter.expression"] = [error!];
        if (Filter.Types.Any(string.IsNullOrWhiteSpace)) errors["filter.types"] = ["an event type may not be empty"];
        switch (Destination.Kind)
        {
            case TriggerDestinationKind.Http:
                if (!Uri.TryCreate(Destination.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                    errors["destination.url"] = ["give an absolute http:// or https:// URL"];
                break;
            case TriggerDestinationKind.Topic:
                if (string.IsNullOrWhiteSpace(Destination.Topic) || !TopicName().IsMatch(Destination.Topic))
                    errors["destination.topic"] = ["give a topic name of 1 to 200 letters, digits, '.', '_' or '-'"];
                else if (Pipeline.Topics.All.Contains(Destination.Topic))
                    errors["destination.topic"] = ["a trigger may not write a platform topic (it would bypass the guardrails); choose a topic of your own"];
                break;
            default:
                errors["destination.kind"] = ["http or topic"];
                break;
        }
        if (!Enum.IsDefined(Start)) errors["start"] = ["latest or earliest"];
        return errors;
    }

    private static Regex TopicName() => new("^[A-Za-z0-9._-]{1,200}$", RegexOptions.CultureInvariant);
}

/// <summary>A stored trigger: the spec, its id (never reused: it names the consumer group), who made it, and whether it is paused.</summary>
[GenerateSerializer, Immutable]
public sealed record TriggerDefinition
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required TriggerSpec Spec { get; init; }
    [Id(2)] public bool Paused { get; init; }
    [Id(3)] public string CreatedBy { get; init; } = "";
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }
    [Id(5)] public string? ChangedBy { get; init; }
    [Id(6)] public DateTimeOffset? ChangedAt { get; init; }

    /// <summary>Its Kafka consumer group: <c>PREFIX</c> + <c>trigger-</c> + id, the same on every silo (Kafka splits the partitions).</summary>
    public string GroupId(string topicPrefix) => topicPrefix + "trigger-" + Id;
}

/// <summary>All definitions at one version: the runners compare versions to see a change.</summary>
[GenerateSerializer, Immutable]
public sealed record TriggerSet([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<TriggerDefinition> Triggers);

/// <summary>What a trigger did, summed over the silos that run it.</summary>
[GenerateSerializer, Immutable]
public sealed record TriggerStats
{
    [Id(0)] public long Delivered { get; init; }
    [Id(1)] public long DeadLettered { get; init; }
    /// <summary>Delivery attempts that failed (each retry counts).</summary>
    [Id(2)] public long FailedAttempts { get; init; }
    /// <summary>Events read that the filter did not take.</summary>
    [Id(3)] public long Skipped { get; init; }
    [Id(4)] public string? LastError { get; init; }
    [Id(5)] public DateTimeOffset? LastErrorAt { get; init; }
    [Id(6)] public DateTimeOffset? LastDeliveredAt { get; init; }

    public static readonly TriggerStats None = new();
}

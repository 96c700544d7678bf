using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tiers;
using Streaming.Kafka;
using Streaming.Kafka.Events;

namespace Grains.Analytics;

/// <summary>
/// Recomputes the stored figures from the log, for when they were lost (memory storage, a wiped store) or are in
/// doubt: each tier's SLA figures from the outcome events the delivery stage consumes (the first outcome of each
/// turn, timed from its submission to the event's time), and the intervention figures from <c>approvals.events</c>.
/// The topics are read with <see cref="KafkaTopicScan"/> (nothing committed); the grains are replaced batch by
/// batch. Run by <c>dotnet run --project Silo -- rebuild-figures</c> against a running cluster.
/// </summary>
public static class FiguresRebuild
{
    private const int Batch = 2_000;

    public sealed record Result(int Turns, int Interventions, int Unreadable);

    public static async Task<Result> RunAsync(IGrainFactory grains, PlatformKafkaOptions kafka, CancellationToken cancellationToken = default)
    {
        var unreadable = 0;
        IEnumerable<CloudEvent> Events(string topic)
        {
            foreach (var record in KafkaTopicScan.ReadAll(kafka.BootstrapServers, kafka.ClientSettings, kafka.TopicPrefix + topic, cancellationToken: cancellationToken))
                if (CloudEventKafkaMapping.TryParse(record.Message.Headers, record.Message.Value, CloudEventKafkaMapping.WrittenAt(record.Message.Timestamp), out var e, out _)) yield return e!;
                else unreadable++;
        }

        // The first outcome of each turn counts, as in the conversation (later ones are redeliveries).
        var turns = new Dictionary<string, (Tier Tier, TurnFigures Figures)>(StringComparer.Ordinal);
        foreach (var topic in Stage.Delivery.Topics.Distinct())
            foreach (var e in Events(topic))
            {
                if (TurnOutcomes.Of(e.Type) is not { } outcome) continue;
                var turn = e.DataAs<ChatTurn>();
                // Only turns the platform received (stamped by the input guardrail) and that pass the stages' checks: a
                // forged outcome the conversation dead-lettered must not count here either.
                if (turn is null || turn.ReceivedAt is not { } received || TurnChecks.Shape(turn, turn.SessionId, answered: true) is not null) { unreadable++; continue; }
                var figures = new TurnFigures(outcome, turn.TenantId, Math.Max(0, (e.Time - received).TotalMilliseconds), turn.ModelMilliseconds ?? 0,
                    turn.QueueMilliseconds ?? 0, turn.Degraded, turn.BusyNotified, e.Time);
                if (!turns.TryGetValue(turn.TurnId, out var seen) || seen.Figures.At > e.Time) turns[turn.TurnId] = (turn.Tier, figures);
            }
        foreach (var tier in Enum.GetValues<Tier>())
        {
            var ordered = turns.Values.Where(t => t.Tier == tier).Select(t => t.Figures).OrderBy(f => f.At).ToList();
            var grain = grains.GetGrain<ITierGrain>(tier.ToString());
            for (var i = 0; i == 0 || i < ordered.Count; i += Batch) await grain.Rebuild(ordered.Skip(i).Take(Batch).ToList(), first: i == 0);
        }

        var steps = new Dictionary<string, InterventionRecord>(StringComparer.Ordinal); // by event id: a redelivered step once
        foreach (var e in Events(Topics.ApprovalEvents))
            if (InterventionRecord.Of(e) is { } record) steps.TryAdd(e.Id, record);
            else unreadable++;
        var records = steps.Values.OrderBy(r => r.At).ToList();
        var stats = grains.GetGrain<IInterventionStatsGrain>(0);
        for (var i = 0; i == 0 || i < records.Count; i += Batch) await stats.Rebuild(records.Skip(i).Take(Batch).ToList(), first: i == 0);
        return new Result(turns.Count, records.Count, unreadable);
    }
}

using System.Net;
using System.Text;
using Confluent.Kafka;
using Grains.Approvals;
using Grains.Marketing;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Streaming.Kafka.Events;

namespace Grains.Tests.Marketing;

/// <summary>The pipeline with step 6 asking a loopback availability API: quick retries and a breaker that opens after two failed calls.</summary>
public abstract class AvailabilityOutageCluster(bool waitWhenUnavailable, TimeSpan breakFor) : PipelineCluster
{
    public LoopbackAvailabilityApi Api { get; } = new();

    protected override void Configure(ISiloBuilder silo) => silo.Services.Configure<AvailabilityOptions>(o =>
    {
        o.Url = Api.Url;
        o.Timeout = TimeSpan.FromSeconds(2);
        o.Retries = 1;
        o.RetryDelay = TimeSpan.FromMilliseconds(10);
        o.BreakerMinimumCalls = 2;
        o.BreakFor = breakFor;
        o.WaitWhenUnavailable = waitWhenUnavailable;
    });

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Api.Dispose();
    }

    public async Task<string> SubmitAsync(string interest)
    {
        var leadId = "lead-" + Guid.NewGuid().ToString("N");
        var result = await Client.GetGrain<ILeadGrain>(leadId).Submit(new LeadForm("stuttgart-motors", "Erika Mustermann", "erika@example.com", "Acme GmbH", interest));
        Assert.True(result.Accepted);
        return leadId;
    }

    /// <summary>The lead's events on <paramref name="topic"/> so far (waits until there is one when <paramref name="wait"/>).</summary>
    public List<Lead> On(string topic, string leadId, bool wait = true, TimeSpan? deadline = null) =>
        TestKafka.ReadTopic(Topic(topic), 4, seen => wait && seen.Any(m => Key(m) == leadId), wait ? deadline : TimeSpan.FromMilliseconds(500))
            .Where(m => Key(m) == leadId).Select(m => LeadEvents.Lead(Parse(m))).ToList();

    private static string Key(ConsumeResult<byte[], byte[]> m) => m.Message.Key is { } k ? Encoding.UTF8.GetString(k) : "";

    private static CloudEvent Parse(ConsumeResult<byte[], byte[]> m) =>
        CloudEventKafkaMapping.TryParse(m.Message.Headers, m.Message.Value, out var e, out var error) ? e! : throw new InvalidDataException(error);
}

public sealed class GoOnWithoutAvailabilityCluster() : AvailabilityOutageCluster(waitWhenUnavailable: false, breakFor: TimeSpan.FromMinutes(5));

public sealed class WaitForAvailabilityCluster() : AvailabilityOutageCluster(waitWhenUnavailable: true, breakFor: TimeSpan.FromSeconds(2));

/// <summary>Availability API down, configured to go on: the breaker opens, leads go on without availability and a person checks them.</summary>
public sealed class AvailabilityOutageGoOnTests(GoOnWithoutAvailabilityCluster pipeline) : IClassFixture<GoOnWithoutAvailabilityCluster>
{
    [Fact]
    public async Task With_the_API_down_the_circuit_opens_and_each_lead_goes_on_without_availability_to_a_person_and_is_sent_once_approved()
    {
        pipeline.Api.Status = HttpStatusCode.ServiceUnavailable;
        var first = await pipeline.SubmitAsync("We need an electric car for our sales team, something like the EQS.");
        var firstChecked = Assert.Single(pipeline.On(LeadTopics.AvailabilityChecked, first));
        Assert.Empty(firstChecked.Availability);
        Assert.Contains("failed", firstChecked.AvailabilityMissing);
        Assert.True(pipeline.Api.Calls >= 2, "the call and its retry reached the API");

        // The breaker is open: the next lead does not reach the API at all and says why it has no availability.
        var calls = pipeline.Api.Calls;
        var second = await pipeline.SubmitAsync("Which family SUV with a large boot do you have?");
        var secondChecked = Assert.Single(pipeline.On(LeadTopics.AvailabilityChecked, second));
        Assert.Contains("circuit", secondChecked.AvailabilityMissing);
        Assert.Equal(calls, pipeline.Api.Calls);

        // Availability unknown is a risk: both wait for a person, who sends them on; each goes out once.
        var queue = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Marketing);
        foreach (var leadId in new[] { first, second })
        {
            var held = await Eventually.Value(async () => (await queue.Pending()).FirstOrDefault(i => i.Turn.TurnId == leadId), $"lead {leadId} in the marketing queue");
            Assert.Contains(Risks(pipeline, leadId), r => r.StartsWith("availability unknown", StringComparison.Ordinal));
            Assert.True((await queue.Approve(leadId, "mod@example.com")).Applied);
            Assert.Single(pipeline.On(LeadTopics.EmailSend, leadId));
        }
    }

    private static IReadOnlyList<string> Risks(AvailabilityOutageCluster pipeline, string leadId) =>
        pipeline.On(LeadTopics.MessagePendingApproval, leadId).Single().Risks;
}

/// <summary>Availability API down, configured to wait: the lead stays in Kafka at step 6, the board says why, and it goes on once the API is back.</summary>
public sealed class AvailabilityOutageWaitTests(WaitForAvailabilityCluster pipeline) : IClassFixture<WaitForAvailabilityCluster>
{
    [Fact]
    public async Task With_the_API_down_the_lead_waits_at_the_availability_step_and_goes_on_once_when_the_API_is_back()
    {
        pipeline.Api.Status = HttpStatusCode.ServiceUnavailable;
        var leadId = await pipeline.SubmitAsync("We need an electric car for our sales team, something like the EQS.");
        var lead = pipeline.Client.GetGrain<ILeadGrain>(leadId);

        // Tried, refused, tried again by Kafka's redelivery; the lead board's note says where it waits and why.
        var wait = await Eventually.Value(async () => await lead.GetWait() is { Attempts: >= 2 } w ? w : null, "the availability step tried the lead twice", TimeSpan.FromMinutes(1));
        Assert.Equal(LeadStages.Availability.Name, wait.Stage);
        Assert.Contains("availability API", wait.Reason);
        Assert.Empty(pipeline.On(LeadTopics.AvailabilityChecked, leadId, wait: false));
        // The board reads the audit index, which follows the topics on its own consumer group: on a loaded machine it was
        // seen more than 30 s behind, so it gets two minutes, and a failure says what the index held.
        var audit = pipeline.Client.GetGrain<Grains.Audit.IAuditSessionGrain>(leadId);
        LeadStatus board;
        try
        {
            board = await Eventually.Value(async () =>
                LeadProgress.Of(leadId, await audit.Entries(), [], await lead.GetWait()) is { State: "waiting" } b ? b : null,
                "the lead board says the lead waits", TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException ex)
        {
            var entries = await audit.Entries();
            throw new TimeoutException($"{ex.Message}; the index held [{string.Join(", ", entries.Select(e => $"{e.Type}@{e.Time:HH:mm:ss.fff}"))}], "
                + $"the board said {LeadProgress.Of(leadId, entries, [], await lead.GetWait())}", ex);
        }
        Assert.Contains("availability API", board.Waiting);

        // The API comes back: after the breaker's pause the next redelivery (Orleans backs off up to 30 s) gets
        // through, and the lead goes on, once.
        pipeline.Api.Status = HttpStatusCode.OK;
        var checkedLead = pipeline.On(LeadTopics.AvailabilityChecked, leadId, deadline: TimeSpan.FromSeconds(90));
        await Eventually.True(async () => await lead.GetWait() is null, "the wait note cleared");
        Assert.NotEmpty(Assert.Single(checkedLead).Availability);
        Assert.Null(checkedLead[0].AvailabilityMissing);
        Assert.Single(pipeline.On(LeadTopics.EmailSend, leadId));
        Assert.Single(pipeline.On(LeadTopics.AvailabilityChecked, leadId));
    }
}

using System.Text;
using Confluent.Kafka;
using Grains.Control;
using Grains.Marketing;
using Grains.Pipeline;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Streaming.Kafka.Events;

namespace Grains.Tests.Marketing;

/// <summary>The marketing assistant's steps 1–8 on the embedded Kafka: every step a stage between topics.</summary>
public sealed class MarketingPipelineTests(PipelineCluster pipeline) : IClassFixture<PipelineCluster>
{
    private const string Dealer = "stuttgart-motors";

    private async Task<string> SubmitAsync(string interest, string? company = "Acme GmbH", string tenant = Dealer)
    {
        var leadId = "lead-" + Guid.NewGuid().ToString("N");
        var result = await pipeline.Client.GetGrain<ILeadGrain>(leadId).Submit(new LeadForm(tenant, "Erika Mustermann", "erika@example.com", company, interest));
        Assert.True(result.Accepted, string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}")));
        return leadId;
    }

    /// <summary>The lead as the step that wrote <paramref name="topic"/> left it (waits for it).</summary>
    private Lead On(string topic, string leadId) =>
        LeadEvents.Lead(Parse(TestKafka.ReadTopic(pipeline.Topic(topic), 4, seen => seen.Any(m => Key(m) == leadId)).First(m => Key(m) == leadId)));

    private bool Absent(string topic, string leadId) =>
        !TestKafka.ReadTopic(pipeline.Topic(topic), 4, _ => false, TimeSpan.FromMilliseconds(500)).Any(m => Key(m) == leadId);

    private static string Key(ConsumeResult<byte[], byte[]> m) => m.Message.Key is { } k ? Encoding.UTF8.GetString(k) : "";

    private static CloudEvent Parse(ConsumeResult<byte[], byte[]> m) =>
        CloudEventKafkaMapping.TryParse(m.Message.Headers, m.Message.Value, out var e, out var error) ? e! : throw new InvalidDataException(error);

    [Fact]
    public async Task A_lead_goes_through_every_step_to_an_approved_message_grounded_in_the_catalog()
    {
        var leadId = await SubmitAsync("We need an electric car for our sales team, something like the EQS.");

        var cleaned = On(LeadTopics.Cleaned, leadId);
        Assert.Equal(LeadStages.Validator.Name, cleaned.Verdict!.Stage);
        var generated = On(LeadTopics.PitchGenerated, leadId);
        Assert.StartsWith("Dear Erika Mustermann,", generated.Pitch);
        Assert.Contains("EQS", generated.Pitch);
        var compliant = On(LeadTopics.PitchCompliant, leadId);
        Assert.Equal(LeadStages.BrandFilter.Name, compliant.Verdict!.Stage);
        var analyzed = On(LeadTopics.PitchAnalyzed, leadId);
        Assert.Contains(analyzed.Products, p => p.Contains("EQS", StringComparison.Ordinal));
        Assert.InRange(analyzed.Kpis!.LeadScore, 1, 100);
        Assert.True(analyzed.Kpis.Words > 10);
        var checkedLead = On(LeadTopics.AvailabilityChecked, leadId);
        Assert.All(checkedLead.Availability, a => Assert.True(a.Available));
        Assert.Null(checkedLead.AvailabilityMissing);
        var ready = On(LeadTopics.MessageReady, leadId);
        Assert.Contains("Availability today:", ready.Message);
        var approved = On(LeadTopics.MessageApproved, leadId);
        Assert.Empty(approved.Risks);
        Assert.Equal(ready.Message, approved.Message);
        Assert.True(Absent(LeadTopics.MessagePendingApproval, leadId));

        // Every step's event carries the lead's trace and tenant, like the chat's.
        var raw = TestKafka.ReadTopic(pipeline.Topic(LeadTopics.MessageApproved), 4, s => s.Any(m => Key(m) == leadId)).First(m => Key(m) == leadId);
        Assert.Equal(Dealer, Encoding.UTF8.GetString(raw.Message.Headers.GetLastBytes("ce_tenantid")));
        Assert.Contains(approved.TraceId!, Encoding.UTF8.GetString(raw.Message.Headers.GetLastBytes("traceparent")));
    }

    [Fact]
    public async Task A_pitch_that_promises_a_discount_over_the_limit_or_names_a_competitor_waits_for_approval_with_its_risks()
    {
        var deal = await SubmitAsync("What is your best deal on a GLC for our company fleet?");
        var held = On(LeadTopics.MessagePendingApproval, deal);
        Assert.Contains(held.Risks, r => r.StartsWith("discount: the pitch promises 25%", StringComparison.Ordinal));

        var rival = await SubmitAsync("Is the C-Class better than a BMW 3 series?");
        var objection = On(LeadTopics.MessagePendingApproval, rival);
        Assert.Contains(objection.Risks, r => r.StartsWith("guardrail: brand-filter", StringComparison.Ordinal));
        Assert.True(Absent(LeadTopics.MessageApproved, rival));
    }

    [Fact]
    public async Task With_the_hard_stop_on_for_the_tenant_every_message_waits_for_approval()
    {
        var control = pipeline.Client.GetGrain<IControlGrain>(0);
        await control.SetHold(HoldScope.Tenant("velo-corner"), on: true, "ops@example.com", "campaign review");
        try
        {
            var leadId = await SubmitAsync("Which e-bike would suit my commute?", tenant: "velo-corner");
            var held = On(LeadTopics.MessagePendingApproval, leadId);
            Assert.Contains(held.Risks, r => r.StartsWith("hard stop", StringComparison.Ordinal));
        }
        finally
        {
            await control.SetHold(HoldScope.Tenant("velo-corner"), on: false, "ops@example.com", null);
        }
    }

    [Fact]
    public async Task A_paused_step_holds_the_lead_in_kafka_the_board_says_who_paused_it_and_resume_takes_it_on_once()
    {
        var control = pipeline.Client.GetGrain<IControlGrain>(0);
        await control.PauseStage(LeadStages.KpiAnalyzer.Name, "ops@example.com", "scoring model update");
        string leadId;
        try
        {
            leadId = await SubmitAsync("Which family SUV with a large boot do you have?");
            On(LeadTopics.PitchCompliant, leadId); // step 4 done …
            var audit = pipeline.Client.GetGrain<Grains.Audit.IAuditSessionGrain>(leadId);
            await Eventually.True(async () => (await audit.Entries()).Any(e => e.Type == LeadEventTypes.PitchCompliant), "step 4 in the lead's audit index");
            Assert.True(Absent(LeadTopics.PitchAnalyzed, leadId)); // … and step 5 does not take it while paused

            var board = LeadProgress.Of(leadId, await audit.Entries(), await control.GetStages());
            Assert.Equal((4, "waiting"), (board.Step, board.State));
            Assert.Contains("paused by ops@example.com", board.Waiting);
            Assert.Contains("scoring model update", board.Waiting);
        }
        finally
        {
            await control.ResumeStage(LeadStages.KpiAnalyzer.Name, "ops@example.com");
        }
        var analyzed = On(LeadTopics.PitchAnalyzed, leadId);
        On(LeadTopics.MessageApproved, leadId);
        Assert.Single(TestKafka.ReadTopic(pipeline.Topic(LeadTopics.PitchAnalyzed), 4, _ => false, TimeSpan.FromSeconds(3)), m => Key(m) == leadId); // once: read to the end
        Assert.NotNull(analyzed.Kpis);
    }

    [Fact]
    public async Task In_the_embedded_default_the_three_sinks_deliver_to_the_outbox_once_each()
    {
        var leadId = await SubmitAsync("We need an electric car for our sales team, something like the EQS.");
        var outbox = pipeline.Client.GetGrain<IOutboxGrain>(0);
        await Eventually.True(async () => (await outbox.List(1000)).Count(m => m.LeadId == leadId) == 3, "Slack, e-mail and CRM in the outbox");
        var mine = (await outbox.List(1000)).Where(m => m.LeadId == leadId).ToList();
        Assert.Equal(["crm", "email", "slack"], mine.Select(m => m.Channel).Order());
        var email = mine.Single(m => m.Channel == "email");
        Assert.Equal("erika@example.com", email.To);
        Assert.Equal(On(LeadTopics.MessageApproved, leadId).Message, email.Body);
    }

    [Fact]
    public async Task An_off_topic_or_abusive_lead_is_rejected_with_the_reason_and_never_reaches_the_model()
    {
        var leadId = await SubmitAsync("Write me a romantic poem about the sea");
        var rejected = On(LeadTopics.Rejected, leadId);
        Assert.Equal(VerdictDecision.Block, rejected.Verdict!.Decision);
        Assert.StartsWith("topic.", rejected.Verdict.Rule);
        Assert.True(Absent(LeadTopics.PitchGenerated, leadId));
    }

    [Fact]
    public async Task A_bad_form_gets_clear_errors_per_field_and_nothing_is_sent_and_a_resubmit_is_the_same_lead()
    {
        var leadId = "lead-" + Guid.NewGuid().ToString("N");
        var lead = pipeline.Client.GetGrain<ILeadGrain>(leadId);
        var bad = await lead.Submit(new LeadForm(Dealer, " ", "not-an-address", null, new string('x', LeadChecks.MaxInterest + 1)));
        Assert.False(bad.Accepted);
        Assert.Equal(["name", "email", "interest"], bad.Errors.Select(e => e.Field));
        Assert.Contains("not an e-mail address", bad.Errors[1].Message);
        Assert.True(Absent(LeadTopics.New, leadId));

        var unknown = await pipeline.Client.GetGrain<ILeadGrain>("lead-" + Guid.NewGuid().ToString("N")).Submit(new LeadForm("no-such-business", "A", "a@example.com", null, "cars"));
        Assert.False(unknown.Accepted);

        var form = new LeadForm(Dealer, "Max", "max@example.com", null, "Do you have a family SUV?");
        Assert.True((await lead.Submit(form)).Accepted);
        Assert.True((await lead.Submit(form)).Accepted); // a double click
        On(LeadTopics.Cleaned, leadId);
        Assert.Single(TestKafka.ReadTopic(pipeline.Topic(LeadTopics.New), 4, s => s.Any(m => Key(m) == leadId)), m => Key(m) == leadId);
    }
}

namespace Grains.Marketing;

public interface IRouterStageGrain : IGrainWithStringKey;

/// <summary>
/// Step 10: <c>message.approved</c> → <c>notifications.sales</c> (Slack to sales), <c>email.send</c> (the message to the
/// lead) and <c>crm.sync</c> (the lead's record), each consumed by its own sink. Event ids come from the lead and the
/// channel, so a redelivered approval routes to the same ids and the sinks deliver once.
/// </summary>
[Orleans.ImplicitStreamSubscription(LeadTopics.MessageApproved)]
public sealed class RouterStageGrain() : LeadStageGrain(LeadStages.Router), IRouterStageGrain
{
    protected override string? Precondition(Lead lead) => string.IsNullOrWhiteSpace(lead.Message) ? "it carries no message to send" : null;

    protected override async Task HandleAsync(Lead lead)
    {
        await PublishAsync(LeadTopics.NotificationsSales, lead, LeadEventTypes.SalesNotification, "sales");
        await PublishAsync(LeadTopics.EmailSend, lead, LeadEventTypes.EmailRequested, "email");
        await PublishAsync(LeadTopics.CrmSync, lead, LeadEventTypes.CrmUpsert, "crm");
    }
}

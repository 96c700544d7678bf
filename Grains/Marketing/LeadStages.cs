using Grains.Pipeline;

namespace Grains.Marketing;

/// <summary>
/// The marketing assistant's steps, each a stage between topics like the chat's: its own stream provider and consumer
/// group, shown, paused and resumed in the control room one by one, its events waiting in Kafka meanwhile.
/// </summary>
public static class LeadStages
{
    public static readonly Stage Validator = new("lead-validator", "Lead validator", [LeadTopics.New]);
    public static readonly Stage PitchWriter = new("pitch-writer", "Pitch writer (model)", [LeadTopics.Cleaned]);
    public static readonly Stage BrandFilter = new("brand-filter", "Brand filter", [LeadTopics.PitchGenerated]);
    public static readonly Stage KpiAnalyzer = new("kpi-analyzer", "KPI analyzer", [LeadTopics.PitchCompliant]);
    public static readonly Stage Availability = new("availability", "Availability check", [LeadTopics.PitchAnalyzed]);
    public static readonly Stage Combiner = new("combiner", "Response combiner", [LeadTopics.AvailabilityChecked]);
    public static readonly Stage EmergencyStop = new("emergency-stop", "Emergency stop", [LeadTopics.MessageReady]);
    public static readonly Stage Approvals = new("marketing-approvals", "Marketing approvals", [LeadTopics.MessagePendingApproval]);
    public static readonly Stage Router = new("router", "Router (Slack, e-mail, CRM)", [LeadTopics.MessageApproved]);
    public static readonly Stage SalesNotifier = new("sales-notifier", "Slack to sales", [LeadTopics.NotificationsSales]);
    public static readonly Stage Mailer = new("mailer", "E-mail to the lead", [LeadTopics.EmailSend]);
    public static readonly Stage CrmSync = new("crm-sync", "CRM update", [LeadTopics.CrmSync]);

    public static readonly Stage[] All = [Validator, PitchWriter, BrandFilter, KpiAnalyzer, Availability, Combiner, EmergencyStop, Approvals, Router, SalesNotifier, Mailer, CrmSync];
}

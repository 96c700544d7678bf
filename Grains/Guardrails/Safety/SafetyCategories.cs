namespace Grains.Guardrails.Safety;

/// <summary>
/// The categories the safety heads score, with the words used for them in verdicts, the policy page
/// and the customer's message. Ids are stable: they key the weights file and tenants' policies.
/// </summary>
public static class SafetyCategories
{
    public const string Violence = "violence";
    public const string SelfHarm = "self-harm";
    public const string Sexual = "sexual";
    public const string SexualMinors = "sexual-minors";
    public const string Hate = "hate";
    public const string Harassment = "harassment";
    public const string Illegal = "illegal";
    public const string Privacy = "privacy";
    public const string Injection = "injection";

    public static readonly IReadOnlyList<string> All = [Violence, SelfHarm, Sexual, SexualMinors, Hate, Harassment, Illegal, Privacy, Injection];

    public static string Describe(string category) => category switch
    {
        Violence => "violence and weapons",
        SelfHarm => "self-harm",
        Sexual => "sexual content",
        SexualMinors => "sexual content involving minors",
        Hate => "hate",
        Harassment => "harassment",
        Illegal => "illegal activity (hacking, fraud, theft, drugs)",
        Privacy => "someone else's private data",
        Injection => "prompt injection or jailbreak",
        _ => category,
    };

    /// <summary>What the customer is told when a message of this category is refused or held.</summary>
    public static string CustomerMessage(string category, SafetyAction action, string business) => (category, action) switch
    {
        (SelfHarm, _) => "It sounds like you're going through a lot. If you are in immediate danger, please call your local emergency number. A member of our team will reach out to you.",
        (Injection, _) => $"Sorry, I can't do that. I'm happy to help with questions about {business}.",
        (Hate or Harassment, SafetyAction.Block) => "I'm sorry, I can't continue with messages like that. If you need help, I'm here when you're ready.",
        (_, SafetyAction.Hold) => "Thanks for your message — a member of our team will get back to you.",
        _ => "Sorry, I can't help with that request.",
    };
}

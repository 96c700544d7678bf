using Grains.Guardrails;

namespace Portal.Services;

/// <summary>
/// A guardrail policy as a form edits it: mutable, topics as "one example per line" text.
/// Converts to and from the immutable <see cref="GuardrailPolicy"/> the grains store.
/// </summary>
public sealed class PolicyDraft
{
    public sealed class TopicDraft
    {
        public string Name { get; set; } = "";
        public string Examples { get; set; } = "";
    }

    /// <summary>One safety category's rule as the form edits it.</summary>
    public sealed class SafetyDraft
    {
        public string Category { get; set; } = "";
        public SafetyAction Action { get; set; }
        public double Threshold { get; set; }
    }

    public int Version { get; set; }
    public double OnTopicThreshold { get; set; }
    public int TopicNeighbours { get; set; }
    public double InjectionBlockAbove { get; set; }
    public SafetyAction WhenClassifiersUnavailable { get; set; }
    public List<SafetyDraft> Safety { get; } = [];
    public PiiAction CustomerPii { get; set; }
    public double MaxDiscountPercent { get; set; }
    public decimal MaxDiscountAmount { get; set; }
    public bool HoldFinanceAndLegalAdvice { get; set; }
    public bool UseModelJudge { get; set; }
    public bool FlagAndReplace { get; set; }
    public string BrandTerms { get; set; } = "";
    public string Competitors { get; set; } = "";
    public List<TopicDraft> Allowed { get; } = [];
    public List<TopicDraft> Blocked { get; } = [];

    public static PolicyDraft From(GuardrailPolicy p)
    {
        var draft = new PolicyDraft
        {
            Version = p.Version, OnTopicThreshold = p.OnTopicThreshold, TopicNeighbours = p.TopicNeighbours,
            InjectionBlockAbove = p.InjectionBlockAbove, WhenClassifiersUnavailable = p.WhenClassifiersUnavailable,
            CustomerPii = p.CustomerPii, MaxDiscountPercent = p.MaxDiscountPercent, MaxDiscountAmount = p.MaxDiscountAmount,
            HoldFinanceAndLegalAdvice = p.HoldFinanceAndLegalAdvice, BrandTerms = string.Join(Environment.NewLine, p.BrandTerms),
            Competitors = string.Join(Environment.NewLine, p.Competitors), UseModelJudge = p.UseModelJudge, FlagAndReplace = p.FlagAndReplace,
        };
        foreach (var category in Grains.Guardrails.Safety.SafetyCategories.All)
        {
            var rule = p.SafetyRuleFor(category);
            draft.Safety.Add(new SafetyDraft { Category = category, Action = rule.Action, Threshold = rule.Threshold });
        }
        draft.Allowed.AddRange(p.AllowedTopics.Select(kv => new TopicDraft { Name = kv.Key, Examples = string.Join(Environment.NewLine, kv.Value) }));
        draft.Blocked.AddRange(p.BlockedTopics.Select(kv => new TopicDraft { Name = kv.Key, Examples = string.Join(Environment.NewLine, kv.Value) }));
        return draft;
    }

    public GuardrailPolicy ToPolicy() => new()
    {
        Version = Version, OnTopicThreshold = OnTopicThreshold, TopicNeighbours = TopicNeighbours,
        InjectionBlockAbove = InjectionBlockAbove, WhenClassifiersUnavailable = WhenClassifiersUnavailable,
        Safety = Safety.ToDictionary(s => s.Category, s => new SafetyRule(s.Action, s.Threshold)),
        CustomerPii = CustomerPii, MaxDiscountPercent = MaxDiscountPercent, MaxDiscountAmount = MaxDiscountAmount,
        HoldFinanceAndLegalAdvice = HoldFinanceAndLegalAdvice, BrandTerms = Lines(BrandTerms), Competitors = Lines(Competitors), UseModelJudge = UseModelJudge, FlagAndReplace = FlagAndReplace,
        AllowedTopics = Topics(Allowed), BlockedTopics = Topics(Blocked),
    };

    private static Dictionary<string, IReadOnlyList<string>> Topics(IEnumerable<TopicDraft> topics)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var t in topics) result[t.Name.Trim()] = Lines(t.Examples);
        return result;
    }

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}

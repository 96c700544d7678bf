using System.Diagnostics;
using Grains.Guardrails.Embeddings;
using Grains.Pipeline;
using Grains.Tenants;

namespace Grains.Guardrails;

/// <summary>
/// A fast rule on a customer message (input) or a model answer (output): patterns, checksums,
/// thresholds. Null means "no objection". Rules run before the message is embedded, so a refusal
/// by rule costs no model time.
/// </summary>
public interface IGuardrail
{
    string Name { get; }

    Verdict? Check(TenantProfile tenant, string text);
}

/// <summary>A detector that judges the message by its sentence embedding (topic, safety heads).</summary>
public interface IVectorGuardrail
{
    string Name { get; }

    ValueTask<Verdict?> CheckAsync(GuardrailContext context);
}

/// <summary>
/// What the vector detectors of one chain run share: the message, its one embedding (computed once
/// per chain), and what each detector measured, for the try-it box and for tests.
/// </summary>
public sealed class GuardrailContext(TenantProfile tenant, string text, float[] embedding, CancellationToken cancellationToken)
{
    public TenantProfile Tenant => tenant;

    /// <summary>The text as the rules passed it on (e.g. with personal data redacted).</summary>
    public string Text => text;

    /// <summary>Unit vector of the message as received.</summary>
    public float[] Embedding => embedding;

    public CancellationToken CancellationToken => cancellationToken;

    public Topics.TopicScore? Topic { get; set; }

    /// <summary>Calibrated score per safety category, when the safety heads ran.</summary>
    public IReadOnlyDictionary<string, double>? Safety { get; set; }
}

/// <summary>What a chain decided, every verdict that led there, the text to pass on (after rewrites), and how long it took.</summary>
public sealed record GuardrailOutcome(Verdict Decision, IReadOnlyList<Verdict> Verdicts, string Text, double Microseconds)
{
    /// <summary>The verdicts that did more than allow: what a moderator sees beside a held item.</summary>
    public IReadOnlyList<Verdict> Concerns => Verdicts.Where(v => v.Decision != VerdictDecision.Allow).ToList();

    /// <summary>How near the message was to the tenant's topics (null when the topic detector did not run).</summary>
    public Topics.TopicScore? Topic { get; init; }

    /// <summary>The safety heads' scores (null when they did not run: a rule refused first, or the embedding failed).</summary>
    public IReadOnlyDictionary<string, double>? Safety { get; init; }
}

/// <summary>
/// Runs a stage's detectors under the tenant's policy: first the rules, then — unless a rule has
/// already refused — the vector detectors over one embedding of the message. Every objection is
/// kept (for audit); a rewrite passes its text on; the most severe decision decides
/// (block › hold › flag › rewrite › allow). When the embedding model cannot be reached the chain
/// fails closed: the policy's <see cref="GuardrailPolicy.WhenClassifiersUnavailable"/> decides,
/// never "allow". Plain class: tested without a cluster.
/// </summary>
public sealed class GuardrailChain(string stage, IReadOnlyList<IGuardrail> rules, IReadOnlyList<IVectorGuardrail> classifiers, TextEmbedder embedder)
{
    public string Stage => stage;

    public async Task<GuardrailOutcome> RunAsync(TenantProfile tenant, string text, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var verdicts = new List<Verdict>();
        var current = text;
        var refused = false;
        foreach (var rule in rules)
        {
            if (rule.Check(tenant, current) is not { } verdict) continue;
            Add(verdict, rule.Name);
            if (verdict is { Decision: VerdictDecision.Rewrite, Rewritten: { } rewritten }) current = rewritten;
            if (verdict.Decision == VerdictDecision.Block) { refused = true; break; } // nothing after a refusal changes the outcome
        }

        GuardrailContext? context = null;
        if (!refused && classifiers.Count > 0)
        {
            try
            {
                context = new GuardrailContext(tenant, current, await embedder.EmbedAsync(text, cancellationToken), cancellationToken);
                // All of them run (one vector, microseconds each): the audit sees every concern.
                foreach (var classifier in classifiers)
                    if (await classifier.CheckAsync(context) is { } verdict) Add(verdict, classifier.Name);
            }
            catch (EmbeddingUnavailableException ex)
            {
                Add(Unavailable(tenant, ex.Message), "embeddings");
            }
        }

        var deciding = Deciding(verdicts) ?? new Verdict(stage, VerdictDecision.Allow, "none", "no guardrail objected", "", 0, "", tenant.Policy.Version);
        return new GuardrailOutcome(deciding, verdicts, current, Stopwatch.GetElapsedTime(started).TotalMicroseconds)
        {
            Topic = context?.Topic,
            Safety = context?.Safety,
        };

        void Add(Verdict verdict, string detector) => verdicts.Add(verdict with
        {
            Stage = stage,
            PolicyVersion = tenant.Policy.Version,
            Detector = verdict.Detector.Length == 0 ? detector : verdict.Detector,
        });
    }

    /// <summary>
    /// The most severe verdict, with two exceptions between the business's scope and safety: when
    /// both refuse, the topic's words explain it to the customer (a dealership's customer asking for
    /// a poem hears that the assistant is about cars); and a hold outranks a scope refusal, because
    /// what is held (someone who may be in danger) needs a person whatever the topic.
    /// </summary>
    private static Verdict? Deciding(List<Verdict> verdicts)
    {
        var deciding = verdicts.OrderByDescending(v => Severity(v.Decision)).FirstOrDefault();
        var scope = verdicts.FirstOrDefault(v => v.Decision == VerdictDecision.Block && v.Detector == "topic");
        if (deciding is null || scope is null) return deciding;
        if (deciding.Detector == "topic" && verdicts.FirstOrDefault(v => v.Decision == VerdictDecision.Hold) is { } hold) return hold;
        return deciding.Detector == "safety" ? scope : deciding;
    }

    public async Task<Verdict> EvaluateAsync(TenantProfile tenant, string text) => (await RunAsync(tenant, text)).Decision;

    /// <summary>Fail closed: without a vector neither the topic nor the safety detectors can judge.</summary>
    private Verdict Unavailable(TenantProfile tenant, string why) =>
        tenant.Policy.WhenClassifiersUnavailable == SafetyAction.Block
            ? new Verdict(stage, VerdictDecision.Block, "guardrail.classifiers-unavailable", $"refused unjudged: {why}",
                "Sorry, I can't answer right now. Please try again in a few minutes.", 1.0, "embeddings", Model: embedder.ModelName)
            : new Verdict(stage, VerdictDecision.Hold, "guardrail.classifiers-unavailable", $"held unjudged for a person: {why}",
                "Thanks for your message — a member of our team will get back to you.", 1.0, "embeddings", Model: embedder.ModelName);

    private static int Severity(VerdictDecision decision) => decision switch
    {
        VerdictDecision.Block => 4,
        VerdictDecision.Hold => 3,
        VerdictDecision.Flag => 2,
        VerdictDecision.Rewrite => 1,
        _ => 0,
    };
}

/// <summary>The platform's two chains, built once per process over its embedding model and safety heads.</summary>
public sealed class GuardrailChains(TextEmbedder embedder, Safety.SafetyModel safety, Topics.TopicIndexCache topics)
{
    /// <summary>Customer messages: injection patterns and personal data by rule, then the tenant's topics and the safety heads.</summary>
    public GuardrailChain Input { get; } = new("input-guardrail",
        [new PromptInjectionDetector(), new PiiDetector()],
        [new Topics.TopicDetector(topics, embedder.ModelName), new Safety.SafetyClassifier(safety, "input-guardrail")], embedder);

    /// <summary>Model answers: brand, discount and advice rules, then the safety heads (an answer may be unsafe too).</summary>
    public GuardrailChain Output { get; } = new("output-guardrail",
        [new BrandDetector(), new DiscountDetector(), new DomainAdviceDetector()],
        [new Safety.SafetyClassifier(safety, "output-guardrail")], embedder);

    public TextEmbedder Embedder => embedder;

    /// <summary>The chains outside a host (bench, tests): the configured embeddings, the given or shipped weights file.</summary>
    public static GuardrailChains Create(EmbeddingOptions? embeddings = null, string? weightsFile = null)
    {
        var textEmbedder = TextEmbedder.Create(embeddings ?? new EmbeddingOptions());
        return new GuardrailChains(textEmbedder, Safety.SafetyModel.Load(weightsFile ?? new Safety.SafetyOptions().ResolvedPath), new Topics.TopicIndexCache(textEmbedder));
    }

    public Safety.SafetyModel SafetyModel => safety;

    public Topics.TopicIndexCache Topics => topics;
}

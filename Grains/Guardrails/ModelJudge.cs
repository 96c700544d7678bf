using System.Collections.Concurrent;
using Grains.Pipeline;
using Grains.Tenants;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Guardrails;

/// <summary>Where the optional model judge runs (section <c>Guardrails:Judge</c>); unset = no judge.</summary>
public sealed class ModelJudgeOptions
{
    /// <summary><c>ollama</c> or <c>openai</c> (any OpenAI-compatible endpoint serving e.g. Llama Guard).</summary>
    public string? Provider { get; set; }
    public string? Endpoint { get; set; }
    public string? Model { get; set; }
    public string? ApiKey { get; set; }
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Provider) && !string.IsNullOrWhiteSpace(Endpoint);
}

/// <summary>
/// An LLM safety judge (e.g. Llama Guard served by Ollama) asked after the in-process detectors,
/// for tenants whose policy enables it. It answers "safe", or "unsafe" and the violated categories
/// on the next line. Without a configured endpoint it is skipped, with one log line per tenant.
/// A judge that fails or times out does not block the conversation: the in-process verdicts stand.
/// </summary>
public sealed class ModelJudge
{
    private readonly IChatClient? _client;
    private readonly ModelJudgeOptions _options;
    private readonly ILogger<ModelJudge> _logger;
    private readonly ConcurrentDictionary<string, bool> _warned = new();

    public ModelJudge(IOptions<ModelJudgeOptions> options, ILogger<ModelJudge> logger)
    {
        _options = options.Value;
        _logger = logger;
        _client = _options.IsConfigured
            ? new Models.ModelOptions { Provider = _options.Provider!, Endpoint = _options.Endpoint, Model = _options.Model, ApiKey = _options.ApiKey }.CreateClient()
            : null;
    }

    public async Task<Verdict?> JudgeAsync(TenantProfile tenant, string stage, string role, string text)
    {
        if (!tenant.Policy.UseModelJudge) return null;
        if (_client is null)
        {
            if (_warned.TryAdd(tenant.TenantId, true))
                _logger.LogWarning("Tenant {Tenant}'s policy enables the model judge, but Guardrails:Judge has no endpoint configured: the judge is skipped; in-process detectors still apply.", tenant.TenantId);
            return null;
        }
        try
        {
            using var timeout = new CancellationTokenSource(_options.Timeout);
            var prompt =
                $"Task: Check if there is unsafe content in '{role}' messages in the conversation below according to the safety policy.\n" +
                $"<BEGIN CONVERSATION>\n{role}: {text}\n<END CONVERSATION>\n" +
                $"Provide your safety assessment for {role} in the above conversation:\n- First line must read 'safe' or 'unsafe'.\n- If unsafe, a second line must include a comma-separated list of violated categories.";
            var response = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], cancellationToken: timeout.Token);
            var lines = response.Text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == 0 || !lines[0].StartsWith("unsafe", StringComparison.OrdinalIgnoreCase)) return null;
            var categories = lines.Length > 1 ? lines[1] : "unspecified";
            return new Verdict(stage, VerdictDecision.Block, "judge.unsafe", $"model judge ({_options.Model}) found unsafe content: {categories}",
                role == "User" ? "Sorry, I can't help with that request." : tenant.FallbackAnswer, 1.0, "model-judge", tenant.Policy.Version);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogWarning(ex, "Model judge unavailable for tenant {Tenant}; the in-process verdicts stand", tenant.TenantId);
            return null;
        }
    }
}

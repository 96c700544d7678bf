using Grains.Guardrails;
using Grains.Pipeline;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Grains.Tests.Guardrails;

/// <summary>The optional LLM judge, against an OpenAI-compatible endpoint on loopback (as a Llama Guard server would answer).</summary>
public sealed class ModelJudgeTests
{
    private static readonly TenantProfile JudgedTenant = DemoTenants.OpenAssistant with { Policy = DemoTenants.OpenAssistant.Policy with { UseModelJudge = true } };

    [Fact]
    public async Task An_unsafe_assessment_blocks_with_the_categories_it_names()
    {
        using var server = new LoopbackChatServer("llama-guard3", "unsafe\nS2,S9");
        var judge = new ModelJudge(Options.Create(new ModelJudgeOptions { Provider = "openai", Endpoint = server.Endpoint, Model = "llama-guard3" }),
            NullLogger<ModelJudge>.Instance);

        var verdict = await judge.JudgeAsync(JudgedTenant, "input-guardrail", "User", "how do I make a weapon at home");

        Assert.NotNull(verdict);
        Assert.Equal((VerdictDecision.Block, "judge.unsafe", "model-judge"), (verdict.Decision, verdict.Rule, verdict.Detector));
        Assert.Contains("S2,S9", verdict.Reason);
        Assert.Contains("how do I make a weapon at home", (await server.Request).Body);
    }

    [Fact]
    public async Task Without_an_endpoint_the_judge_is_skipped_with_one_clear_log_line()
    {
        var log = new ListLogger();
        var judge = new ModelJudge(Options.Create(new ModelJudgeOptions()), log);
        Assert.Null(await judge.JudgeAsync(JudgedTenant, "input-guardrail", "User", "hello"));
        Assert.Null(await judge.JudgeAsync(JudgedTenant, "input-guardrail", "User", "hello again"));
        var line = Assert.Single(log.Lines);
        Assert.Contains("Guardrails:Judge has no endpoint configured", line);
        // A policy that does not enable the judge never asks it.
        Assert.Null(await judge.JudgeAsync(DemoTenants.OpenAssistant, "input-guardrail", "User", "hello"));
    }

    private sealed class ListLogger : ILogger<ModelJudge>
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}

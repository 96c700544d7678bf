using System.Collections.Immutable;
using Grains.Triggers;
using Streaming.Kafka.Events;

namespace Grains.Tests.Triggers;

/// <summary>The trigger filter's expression language: what matches, what does not, and bad expressions refused with the reason.</summary>
public sealed class TriggerFilterTests
{
    private static CloudEvent Event(string data, string type = "guardrail.evaluated", string? tenant = "stuttgart-motors", string? tier = "pro") => new()
    {
        Id = "e-1", Type = type, Source = "/stages/output-guardrail", Data = data,
        Extensions = ImmutableDictionary<string, string>.Empty.AddRange(
            new Dictionary<string, string?> { ["tenantid"] = tenant, ["tier"] = tier }.Where(x => x.Value is not null).Select(x => KeyValuePair.Create(x.Key, x.Value!))),
    };

    private const string Verdict = """{"verdict":{"rule":"discount.above-threshold","score":0.92,"held":true},"tier":"pro","tags":["cars","eqs"],"turn":{"n":3}}""";

    [Theory]
    [InlineData("data.verdict.rule == \"discount.above-threshold\"")]
    [InlineData("data.tier != \"free\"")]
    [InlineData("data.verdict.rule contains \"discount\"")]
    [InlineData("data.tags contains \"eqs\"")]
    [InlineData("data.verdict.score == 0.92 and data.verdict.held == true")]
    [InlineData("data.turn.n == 3")]
    [InlineData("data.missing == null")]
    [InlineData("data.missing != \"x\"")]
    [InlineData("data.tags[1] == \"eqs\"")]
    [InlineData("data[\"verdict\"].rule == \"discount.above-threshold\"")]
    [InlineData("tenantid == \"stuttgart-motors\" and tier == \"pro\" and type == \"guardrail.evaluated\"")]
    [InlineData("  data.tier   ==\"pro\"   and   source contains \"output\"  ")]
    public void Matches(string expression) => Assert.True(TriggerFilter.Parse(expression).Matches(Event(Verdict)), expression);

    [Theory]
    [InlineData("data.verdict.rule == \"domain.legal\"")]
    [InlineData("data.tier != \"pro\"")]
    [InlineData("data.verdict.rule contains \"legal\"")]
    [InlineData("data.tags contains \"bikes\"")]
    [InlineData("data.verdict.score == 0.9")]
    [InlineData("data.verdict.score == \"0.92\"")] // a number is not a string
    [InlineData("data.missing == \"x\"")]
    [InlineData("data.tags[5] == \"eqs\"")]
    [InlineData("data.tier == \"pro\" and tenantid == \"velo-corner\"")]
    [InlineData("sessionid == \"s-1\"")]
    public void Does_not_match(string expression) => Assert.False(TriggerFilter.Parse(expression).Matches(Event(Verdict)), expression);

    [Fact]
    public void Type_tenant_and_tier_conditions_combine_with_the_expression()
    {
        var filter = TriggerFilter.For(new TriggerFilterSpec { Types = ["guardrail.evaluated"], TenantId = "stuttgart-motors", Tier = "pro", Expression = "data.verdict.held == true" });
        Assert.True(filter.Matches(Event(Verdict)));
        Assert.False(filter.Matches(Event(Verdict, type: "agent.response.final")));
        Assert.False(filter.Matches(Event(Verdict, tenant: "velo-corner")));
        Assert.False(filter.Matches(Event(Verdict, tier: "free")));
        Assert.False(filter.Matches(Event("""{"verdict":{"held":false}}""")));
        Assert.True(TriggerFilter.For(new TriggerFilterSpec()).Matches(Event("null"))); // an empty filter takes everything
    }

    [Theory]
    [InlineData("data.verdict.rule = \"x\"", "at 19: expected an operator: ==, != or contains")]
    [InlineData("data.tier == free", "'free' is not a value: quote strings (\"free\")")]
    [InlineData("data.tier == \"pro\" or data.tier == \"free\"", "found 'or' (only 'and' combines clauses)")]
    [InlineData("data.tier == \"pro", "the string is not closed")]
    [InlineData("data.tier ==", "expected a value")]
    [InlineData("== \"x\"", "expected a path")]
    [InlineData("verdict.rule == \"x\"", "data paths start with 'data.'")]
    [InlineData("data. == \"x\"", "expected a field name after '.'")]
    [InlineData("data.tags[x] == \"x\"", "expected an index")]
    [InlineData("data.tags contains null", "'contains' needs a string, number or boolean")]
    [InlineData("data.a == \"x\" and", "expected a path")]
    [InlineData("", "expected a path")]
    public void Bad_expressions_are_refused_with_where_and_why(string expression, string expected)
    {
        Assert.False(TriggerFilter.TryParse(expression, out _, out var error));
        Assert.Contains(expected, error);
        Assert.Throws<FormatException>(() => TriggerFilter.Parse(expression.Length == 0 ? " " : expression));
    }

    [Fact]
    public void Expressions_are_bounded()
    {
        var many = string.Join(" and ", Enumerable.Range(0, 17).Select(i => $"data.f{i} == {i}"));
        Assert.False(TriggerFilter.TryParse(many, out _, out var error));
        Assert.Contains("at most 16 clauses", error);
        Assert.False(TriggerFilter.TryParse("data.a == \"" + new string('x', 1000) + "\"", out _, out error));
        Assert.Contains("longer than 1000", error);
        Assert.False(TriggerFilter.TryParse("data" + string.Concat(Enumerable.Repeat(".a", 17)) + " == 1", out _, out error));
        Assert.Contains("at most 16 steps", error);
    }

    [Fact]
    public void A_spec_with_a_bad_expression_topic_or_destination_lists_each_problem()
    {
        var errors = new TriggerSpec
        {
            Name = "", Topics = ["no.such.topic"],
            Filter = new TriggerFilterSpec { Expression = "data.tier === \"x\"" },
            Destination = new TriggerDestination { Kind = TriggerDestinationKind.Http, Url = "ftp://example.com" },
        }.Validate();
        Assert.Equal(["destination.url", "filter.expression", "name", "topics"], errors.Keys.Order());
        Assert.Contains("no.such.topic", errors["topics"][0]);
        var platformTopic = new TriggerSpec
        {
            Name = "copy", Topics = ["agent.responses.final"],
            Destination = new TriggerDestination { Kind = TriggerDestinationKind.Topic, Topic = "user.messages.cleaned" },
        }.Validate();
        Assert.Contains("bypass the guardrails", platformTopic["destination.topic"][0]);
    }
}

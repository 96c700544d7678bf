using Grains.Approvals;
using Grains.Control;
using Grains.Conversations;
using Microsoft.Playwright;

namespace Portal.Tests.EndToEnd;

/// <summary>Rule precision on /analytics, from moderators' real decisions: held answers approved unchanged, edited, rejected.</summary>
public sealed class RulePrecisionInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Three_held_answers_approved_edited_and_rejected_show_the_rule_at_67_percent()
    {
        // Hard stop for one tenant: each answer is held under the rule hardstop.hold in the review queue.
        var control = server.Grains.GetGrain<IControlGrain>(0);
        await control.SetHold(HoldScope.Tenant("velo-corner"), true, "ops@example.com", "precision test");
        var review = server.Grains.GetGrain<IApprovalQueueGrain>(Teams.Review);
        var turns = new List<string>();
        try
        {
            foreach (var question in new[] { "How much is the e-bike?", "Do you sell helmets?", "How far can the e-bike go on one charge?" })
            {
                var chat = server.Grains.GetGrain<IConversationGrain>("precision-" + Guid.NewGuid().ToString("N"));
                await chat.Open("velo-corner");
                var sent = await chat.Send(question);
                Assert.True(sent.Accepted, sent.Error);
                var turn = sent.TurnId!;
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (!(await review.Pending()).Any(i => i.Turn.TurnId == turn))
                {
                    Assert.True(DateTime.UtcNow < deadline, $"{turn} was held within 30 s: " + string.Join(" | ", (await chat.View())!.Lines.Select(l => $"{l.Role} {l.Status} {l.Text}")));
                    await Task.Delay(100);
                }
                turns.Add(turn);
            }
        }
        finally
        {
            await control.SetHold(HoldScope.Tenant("velo-corner"), false, "ops@example.com", null);
        }
        Assert.True((await review.Approve(turns[0], "moderator")).Applied);
        Assert.True((await review.Approve(turns[1], "moderator", "Yes, helmets from 39 €: ask in the shop for your size.")).Applied);
        Assert.True((await review.Reject(turns[2], "moderator", "repairs are booked by phone", "Please call us to book a repair.")).Applied);

        var page = await server.SignedInPageAsync("operator", "/analytics");
        var row = page.GetByTestId("rule-precision").Locator("tr[data-key='hardstop.hold']");
        await Assertions.Expect(row.GetByTestId("precision")).ToHaveTextAsync("67%", new() { Timeout = 30_000 }); // 2 of 3 edited or rejected
        await Assertions.Expect(row).ToContainTextAsync("3");
        await PortalServer.ScreenshotAsync(page, "analytics-rule-precision");
    }
}

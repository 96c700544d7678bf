using Portal.Security;

namespace Portal.Tests.Security;

/// <summary>Built-in staff accounts: hashes that verify, and settings mistakes refused at start-up with a reason.</summary>
public sealed class StaffAccountsTests
{
    [Fact]
    public void A_hash_verifies_its_password_only_and_two_hashes_of_one_password_differ()
    {
        var hash = PasswordHash.Create("correct horse battery staple", iterations: 10_000);
        Assert.True(PasswordHash.Verify("correct horse battery staple", hash));
        Assert.False(PasswordHash.Verify("correct horse battery stapler", hash));
        Assert.NotEqual(hash, PasswordHash.Create("correct horse battery staple", iterations: 10_000));
        Assert.StartsWith("pbkdf2-sha512$10000$", hash);
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain-text-password")]
    [InlineData("pbkdf2-sha512$100$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")] // too few iterations
    [InlineData("pbkdf2-sha512$210000$not base64$aGFzaGhhc2hoYXNoaGFzaA==")]
    public void A_malformed_hash_never_matches(string encoded)
    {
        Assert.False(PasswordHash.IsWellFormed(encoded));
        Assert.False(PasswordHash.Verify("anything", encoded));
    }

    [Fact]
    public void Settings_mistakes_are_refused_with_the_account_and_the_reason()
    {
        var options = new AuthOptions
        {
            Accounts =
            [
                new StaffAccount { User = "ops", PasswordHash = "hunter2", Roles = ["operator"] },
                new StaffAccount { User = "mod", PasswordHash = PasswordHash.Create("x", 10_000), Roles = ["moderator"] },
                new StaffAccount { User = "boss", PasswordHash = PasswordHash.Create("x", 10_000), Roles = ["superuser"] },
                new StaffAccount { User = "ta", PasswordHash = PasswordHash.Create("x", 10_000), Roles = ["tenant-admin"] },
                new StaffAccount { User = "Mod", PasswordHash = PasswordHash.Create("x", 10_000), Roles = ["moderator"], Teams = ["astrology"] },
            ],
            Oidc = new OidcOptions { Authority = "https://login.example.com" },
        };
        var failures = string.Join("\n", new AuthOptionsValidator().Validate(null, options).Failures!);
        Assert.Contains("Auth:Accounts:0 (ops): PasswordHash must look like pbkdf2-sha512", failures);
        Assert.Contains("Auth:Accounts:1 (mod): a moderator needs at least one team", failures);
        Assert.Contains("Auth:Accounts:2 (boss): unknown role 'superuser'", failures);
        Assert.Contains("Auth:Accounts:3 (ta): a tenant admin needs at least one tenant", failures);
        Assert.Contains("Auth:Accounts:4 (Mod): unknown team 'astrology'", failures);
        Assert.Contains("user 'mod' is listed twice", failures);
        Assert.Contains("Auth:Oidc: ClientId is required", failures);
    }

    [Fact]
    public void Signing_in_gives_the_accounts_roles_teams_and_tenants_and_refuses_a_wrong_password_or_unknown_user()
    {
        var account = new StaffAccount { User = "mia", DisplayName = "Mia", PasswordHash = PasswordHash.Create("s3cret", 10_000), Roles = ["moderator"], Teams = ["review", "legal"] };
        var accounts = new StaffAccounts(new StaticOptions(new AuthOptions { Accounts = [account] }));
        var mia = accounts.SignIn("MIA", "s3cret", "test");
        Assert.NotNull(mia);
        Assert.Equal("mia", mia.Actor());
        Assert.True(mia.IsInRole(StaffRoles.Moderator));
        Assert.Equal(["review", "legal"], mia.Teams());
        Assert.False(mia.MaySeeTenant("stuttgart-motors"));
        Assert.Null(accounts.SignIn("mia", "wrong", "test"));
        Assert.Null(accounts.SignIn("nobody", "s3cret", "test"));
        // The same account under padding: the actor recorded is the account's own name.
        Assert.Equal("mia", accounts.SignIn("\t Mia\u200B ", "s3cret", "test")!.Actor());
    }

    private sealed class StaticOptions(AuthOptions value) : Microsoft.Extensions.Options.IOptionsMonitor<AuthOptions>
    {
        public AuthOptions CurrentValue => value;
        public AuthOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<AuthOptions, string?> listener) => null;
    }
}

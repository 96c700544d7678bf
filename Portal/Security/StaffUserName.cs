using System.Globalization;
using System.Text;

namespace Portal.Security;

/// <summary>
/// The one form of a staff user name that sign-in, the account lookup and the sign-in throttle compare: Unicode
/// NFKC, without white space, control or invisible formatting characters, lower case. So " moderator", "\tmoderator",
/// "MODERATOR" and "moder\u200Bator" are one account and one throttle counter.
/// </summary>
public static class StaffUserName
{
    public static string Normalize(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "";
        var text = new StringBuilder(name.Length);
        foreach (var c in name.Normalize(NormalizationForm.FormKC))
        {
            var category = char.GetUnicodeCategory(c);
            if (char.IsWhiteSpace(c) || category is UnicodeCategory.Control or UnicodeCategory.Format) continue;
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Streaming.Kafka.Events;

namespace Grains.Triggers;

/// <summary>
/// A trigger's filter. The expression language is deliberately small, and linear in the size of the event:
/// <code>
/// expression := clause ( "and" clause )*
/// clause     := path ( "==" | "!=" | "contains" ) literal
/// path       := "data" ( "." name | "[" index "]" | "[" "string" "]" )*    a place in the JSON data
///             | "type" | "source" | "subject" | "id" | an extension name (tenantid, tier, sessionid, …)
/// literal    := "string" (JSON escapes) | number | true | false | null
/// </code>
/// <c>==</c> holds when the path exists and its value equals the literal (numbers compare as numbers; <c>null</c>
/// matches JSON null or a missing path). <c>!=</c> is its negation, so a missing field is <c>!= "free"</c>.
/// <c>contains</c> holds for a string that contains the literal string (ordinal) or an array with an element equal
/// to the literal. No regular expressions, functions, arithmetic or "or": at most 16 clauses, 1,000 characters.
/// </summary>
public sealed class TriggerFilter
{
    public const int MaxLength = 1000;
    public const int MaxClauses = 16;
    public const int MaxPathDepth = 16;

    private readonly TriggerFilterSpec _spec;
    private readonly IReadOnlyList<Clause> _clauses;

    private TriggerFilter(TriggerFilterSpec spec, IReadOnlyList<Clause> clauses) => (_spec, _clauses) = (spec, clauses);

    /// <summary>The filter of a stored spec (already validated; throws <see cref="FormatException"/> if not).</summary>
    public static TriggerFilter For(TriggerFilterSpec spec)
    {
        IReadOnlyList<Clause> clauses = [];
        if (spec.Expression is { Length: > 0 } text && !TryParse(text, out clauses, out var error)) throw new FormatException(error);
        return new TriggerFilter(spec, clauses);
    }

    /// <summary>An expression alone (tests, the page's check as you type).</summary>
    public static TriggerFilter Parse(string expression) => For(new TriggerFilterSpec { Expression = expression });

    public bool Matches(CloudEvent e)
    {
        if (_spec.Types.Count > 0 && !_spec.Types.Contains(e.Type, StringComparer.Ordinal)) return false;
        if (_spec.TenantId is { Length: > 0 } tenant && e.Extension("tenantid") != tenant) return false;
        if (_spec.Tier is { Length: > 0 } tier && !string.Equals(e.Extension("tier"), tier, StringComparison.OrdinalIgnoreCase)) return false;
        if (_clauses.Count == 0) return true;
        JsonDocument? data = null;
        try
        {
            foreach (var clause in _clauses)
                if (!clause.Holds(e, ref data)) return false;
            return true;
        }
        finally
        {
            data?.Dispose();
        }
    }

    public static bool TryParse(string expression, out IReadOnlyList<Clause> clauses, out string? error)
    {
        clauses = [];
        error = null;
        if (expression.Length > MaxLength) { error = $"the expression is longer than {MaxLength} characters"; return false; }
        try
        {
            clauses = new Parser(expression).Parse();
            return true;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    public enum Op { Equal, NotEqual, Contains }

    /// <summary>One comparison: a path (attribute or data path), an operator, a literal (as JSON).</summary>
    public sealed record Clause(string? Attribute, IReadOnlyList<object> DataPath, Op Op, JsonElement Literal)
    {
        internal bool Holds(CloudEvent e, ref JsonDocument? data)
        {
            JsonElement? value;
            if (Attribute is not null)
            {
                var text = Attribute switch
                {
                    "type" => e.Type,
                    "source" => e.Source,
                    "subject" => e.Subject,
                    "id" => e.Id,
                    _ => e.Extension(Attribute),
                };
                value = text is null ? null : JsonSerializer.SerializeToElement(text);
            }
            else
            {
                try { data ??= JsonDocument.Parse(e.Data); }
                catch (JsonException) { return Op == Op.NotEqual; }
                value = Find(data.RootElement, DataPath);
            }
            return Op switch
            {
                Op.Equal => EqualTo(value),
                Op.NotEqual => !EqualTo(value),
                _ => value is { } v && (v.ValueKind == JsonValueKind.String && Literal.ValueKind == JsonValueKind.String
                        ? v.GetString()!.Contains(Literal.GetString()!, StringComparison.Ordinal)
                        : v.ValueKind == JsonValueKind.Array && v.EnumerateArray().Any(item => Same(item, Literal))),
            };
        }

        private bool EqualTo(JsonElement? value) =>
            value is { } v ? Same(v, Literal) : Literal.ValueKind == JsonValueKind.Null;

        private static JsonElement? Find(JsonElement at, IReadOnlyList<object> path)
        {
            foreach (var step in path)
            {
                if (step is string name && at.ValueKind == JsonValueKind.Object && at.TryGetProperty(name, out var next)) at = next;
                else if (step is int index && at.ValueKind == JsonValueKind.Array && index < at.GetArrayLength()) at = at[index];
                else return null;
            }
            return at;
        }

        private static bool Same(JsonElement a, JsonElement b) => (a.ValueKind, b.ValueKind) switch
        {
            (JsonValueKind.String, JsonValueKind.String) => a.GetString() == b.GetString(),
            (JsonValueKind.Number, JsonValueKind.Number) => a.GetDecimal() == b.GetDecimal(),
            (JsonValueKind.True, JsonValueKind.True) or (JsonValueKind.False, JsonValueKind.False) or (JsonValueKind.Null, JsonValueKind.Null) => true,
            _ => false,
        };
    }

    /// <summary>Recursive descent over the grammar above; every error names the position and what was expected.</summary>
    private sealed class Parser(string text)
    {
        private int _at;

        public List<Clause> Parse()
        {
            var clauses = new List<Clause> { ParseClause() };
            while (true)
            {
                SkipSpace();
                if (_at >= text.Length) break;
                var word = Word();
                if (word != "and") throw Fail(word.Length == 0 ? "expected 'and' or the end" : $"expected 'and' or the end, found '{word}' (only 'and' combines clauses)");
                if (clauses.Count == MaxClauses) throw Fail($"at most {MaxClauses} clauses");
                clauses.Add(ParseClause());
            }
            return clauses;
        }

        private Clause ParseClause()
        {
            SkipSpace();
            var start = _at;
            var head = Word();
            if (head.Length == 0) throw Fail("expected a path (data.…, type, source, subject, id, tenantid, tier or another extension)");
            string? attribute = null;
            var path = new List<object>();
            if (head == "data")
            {
                while (_at < text.Length && (text[_at] == '.' || text[_at] == '['))
                {
                    if (path.Count == MaxPathDepth) throw Fail($"a path may have at most {MaxPathDepth} steps");
                    if (text[_at] == '.')
                    {
                        _at++;
                        var name = Word();
                        if (name.Length == 0) throw Fail("expected a field name after '.'");
                        path.Add(name);
                    }
                    else
                    {
                        _at++;
                        SkipSpace();
                        if (_at < text.Length && text[_at] == '"') path.Add(ReadString());
                        else
                        {
                            var digits = Word();
                            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) throw Fail("expected an index (0, 1, …) or a \"quoted\" field name in [ ]");
                            path.Add(index);
                        }
                        SkipSpace();
                        Expect(']');
                    }
                }
            }
            else if (head.Contains('-') || (_at < text.Length && text[_at] is '.' or '[')) throw new FormatException($"at {start + 1}: '{head}' is not a path: data paths start with 'data.' and attributes are single names (type, tenantid, …)");
            else if (head is "and" or "contains") throw new FormatException($"at {start + 1}: expected a path, found '{head}'");
            else attribute = head;

            SkipSpace();
            Op op;
            if (Next("==")) op = Op.Equal;
            else if (Next("!=")) op = Op.NotEqual;
            else if (Word() == "contains") op = Op.Contains;
            else throw Fail("expected an operator: ==, != or contains");
            SkipSpace();
            var literal = ReadLiteral();
            if (op == Op.Contains && literal.ValueKind is JsonValueKind.Null) throw Fail("'contains' needs a string, number or boolean");
            return new Clause(attribute, path, op, literal);
        }

        private JsonElement ReadLiteral()
        {
            if (_at >= text.Length) throw Fail("expected a value: \"string\", number, true, false or null");
            if (text[_at] == '"') return JsonSerializer.SerializeToElement(ReadString());
            var word = Word();
            if (word is "true" or "false" or "null") return JsonDocument.Parse(word).RootElement.Clone();
            if (word.Length > 0 && decimal.TryParse(word, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _))
                return JsonDocument.Parse(word).RootElement.Clone();
            throw Fail(word.Length == 0 ? "expected a value: \"string\", number, true, false or null" : $"'{word}' is not a value: quote strings (\"{word}\")");
        }

        private string ReadString()
        {
            var start = _at;
            _at++; // opening quote
            var escaped = false;
            while (_at < text.Length)
            {
                var c = text[_at++];
                if (escaped) { escaped = false; continue; }
                if (c == '\\') escaped = true;
                else if (c == '"')
                {
                    try { return JsonSerializer.Deserialize<string>(text.AsSpan(start, _at - start))!; }
                    catch (JsonException) { throw new FormatException($"at {start + 1}: the string is not valid (JSON escapes only)"); }
                }
            }
            throw new FormatException($"at {start + 1}: the string is not closed with \"");
        }

        /// <summary>A run of letters, digits, '_', '-' (and '.', '+' inside numbers and attribute-like words).</summary>
        private string Word()
        {
            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '_' or '-' || (text[_at] is '.' or '+' && start < _at && (char.IsAsciiDigit(text[start]) || text[start] == '-'))))
                _at++;
            return text[start.._at];
        }

        private bool Next(string token)
        {
            if (string.CompareOrdinal(text, _at, token, 0, token.Length) != 0) return false;
            _at += token.Length;
            return true;
        }

        private void Expect(char c)
        {
            if (_at >= text.Length || text[_at] != c) throw Fail($"expected '{c}'");
            _at++;
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        private FormatException Fail(string what) =>
            new($"at {_at + 1}: {what}" + (_at < text.Length ? $" (found '{Excerpt()}')" : " (found the end)"));

        private string Excerpt()
        {
            var b = new StringBuilder();
            for (var i = _at; i < text.Length && b.Length < 12; i++) b.Append(text[i]);
            return b.ToString();
        }
    }
}

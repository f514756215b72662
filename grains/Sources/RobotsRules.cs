using System.Text.RegularExpressions;

namespace OrleansRag.Sources;

/// <summary>
/// A site's robots.txt as RFC 9309 reads it: the group for this crawler's product token (else the "*" group) and its
/// allow and disallow rules, '*' and '$' patterns included; the longest matching rule decides, allow winning a tie.
/// An empty or missing file allows everything.
/// </summary>
public sealed class RobotsRules
{
    public static readonly RobotsRules AllowAll = new([]);

    private readonly List<(bool Allow, string Pattern, Regex Match)> _rules;

    private RobotsRules(IEnumerable<(bool Allow, string Pattern)> rules) =>
        _rules = [.. rules.Select(r => (r.Allow, r.Pattern, ToRegex(r.Pattern)))];

    /// <summary>The sitemaps the file names (Sitemap: lines), whatever the group.</summary>
    public IReadOnlyList<string> Sitemaps { get; private init; } = [];

    /// <summary>The rules of <paramref name="text"/> that apply to <paramref name="userAgent"/>.</summary>
    public static RobotsRules Parse(string text, string userAgent)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(userAgent);
        var token = userAgent.Split('/', ' ')[0].ToLowerInvariant();
        var groups = new List<(List<string> Agents, List<(bool, string)> Rules)>();
        var sitemaps = new List<string>();
        (List<string> Agents, List<(bool, string)> Rules)? current = null;
        var lastWasAgent = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#', 2)[0].Trim();
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var field = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            switch (field)
            {
                case "user-agent":
                    if (current is null || !lastWasAgent)
                    {
                        current = ([], []);
                        groups.Add(current.Value);
                    }

                    current.Value.Agents.Add(value.ToLowerInvariant());
                    lastWasAgent = true;
                    continue;
                case "allow" or "disallow" when current is not null && value.Length > 0:
                    current.Value.Rules.Add((field == "allow", value));
                    break;
                case "sitemap":
                    sitemaps.Add(value);
                    break;
            }

            lastWasAgent = false;
        }

        var mine = groups.Where(g => g.Agents.Contains(token)).ToList();
        if (mine.Count == 0)
        {
            mine = [.. groups.Where(g => g.Agents.Contains("*"))];
        }

        return new RobotsRules(mine.SelectMany(g => g.Rules)) { Sitemaps = sitemaps };
    }

    /// <summary>Whether a URL's path (and query) may be fetched.</summary>
    public bool IsAllowed(string pathAndQuery)
    {
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        var best = -1;
        var allowed = true;
        foreach (var (allow, pattern, match) in _rules)
        {
            if (match.IsMatch(pathAndQuery) && (pattern.Length > best || (pattern.Length == best && allow)))
            {
                best = pattern.Length;
                allowed = allow;
            }
        }

        return allowed;
    }

    private static Regex ToRegex(string pattern)
    {
        var anchored = pattern.EndsWith('$');
        var body = Regex.Escape(anchored ? pattern[..^1] : pattern).Replace(@"\*", ".*", StringComparison.Ordinal);
        return new Regex("^" + body + (anchored ? "$" : ""), RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
    }
}

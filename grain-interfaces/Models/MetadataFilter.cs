using System.Text.Json;

namespace OrleansRag;

public enum FilterOperator
{
    And,
    Or,
    Not,
    Eq,
    In,
    Range,
}

/// <summary>
/// A metadata filter: field equality (a list field matches when it contains the value), in, numeric or date
/// ranges, and AND/OR/NOT groups. Shards apply it before top-k, so a selective filter still returns k results
/// when k exist. JSON form: {"field":"team","eq":"core"}, {"field":"year","gte":2020,"lt":2024},
/// {"field":"tags","in":["a","b"]}, {"and":[…]}, {"or":[…]}, {"not":{…}}.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.MetadataFilter")]
public sealed record class MetadataFilter(
    FilterOperator Operator,
    string? Field = null,
    MetadataValue[]? Values = null,
    MetadataValue? Gt = null,
    MetadataValue? Gte = null,
    MetadataValue? Lt = null,
    MetadataValue? Lte = null,
    MetadataFilter[]? Children = null)
{
    public const int MaxDepth = 8;
    public const int MaxNodes = 128;

    public static MetadataFilter Eq(string field, MetadataValue value) => new(FilterOperator.Eq, field, [value]);

    public static MetadataFilter In(string field, params MetadataValue[] values) => new(FilterOperator.In, field, values);

    public static MetadataFilter Range(string field, MetadataValue? gt = null, MetadataValue? gte = null, MetadataValue? lt = null, MetadataValue? lte = null) =>
        new(FilterOperator.Range, field, Gt: gt, Gte: gte, Lt: lt, Lte: lte);

    public static MetadataFilter And(params MetadataFilter[] children) => new(FilterOperator.And, Children: children);

    public static MetadataFilter Or(params MetadataFilter[] children) => new(FilterOperator.Or, Children: children);

    public static MetadataFilter Not(MetadataFilter child) => new(FilterOperator.Not, Children: [child]);

    /// <summary>True when a document with <paramref name="metadata"/> passes the filter.</summary>
    public bool Matches(IReadOnlyDictionary<string, MetadataValue>? metadata)
    {
        switch (Operator)
        {
            case FilterOperator.And:
                return Children!.All(c => c.Matches(metadata));
            case FilterOperator.Or:
                return Children!.Any(c => c.Matches(metadata));
            case FilterOperator.Not:
                return !Children![0].Matches(metadata);
        }

        if (metadata is null || !metadata.TryGetValue(Field!, out var actual))
        {
            return false;
        }

        return Operator switch
        {
            FilterOperator.Eq or FilterOperator.In => Values!.Any(v => ValueEquals(actual, v)),
            FilterOperator.Range => InRange(actual),
            _ => false,
        };
    }

    /// <summary>A stable text form (for answer-cache keys).</summary>
    public string Canonical() => Operator switch
    {
        FilterOperator.And or FilterOperator.Or or FilterOperator.Not => $"{Operator}({string.Join(",", Children!.Select(c => c.Canonical()))})",
        FilterOperator.Range => $"{Field}[{Gt?.Canonical()}|{Gte?.Canonical()}|{Lt?.Canonical()}|{Lte?.Canonical()}]",
        _ => $"{Field}{Operator}({string.Join(",", Values!.Select(v => v.Canonical()))})",
    };

    private static bool ValueEquals(MetadataValue actual, MetadataValue wanted)
    {
        if (actual.List is { } list)
        {
            return wanted.Text is { } text && list.Contains(text, StringComparer.Ordinal);
        }

        if (actual.Number is { } number)
        {
            return wanted.Number is { } n && n.Equals(number);
        }

        if (actual.Boolean is { } boolean)
        {
            return wanted.Boolean == boolean;
        }

        return wanted.Text is not null && string.Equals(actual.Text, wanted.Text, StringComparison.Ordinal);
    }

    private bool InRange(MetadataValue actual)
    {
        foreach (var (bound, accept) in new (MetadataValue? Bound, Func<int, bool> Accept)[]
        {
            (Gt, c => c > 0), (Gte, c => c >= 0), (Lt, c => c < 0), (Lte, c => c <= 0),
        })
        {
            if (bound is null)
            {
                continue;
            }

            int? comparison = bound.Number is { } n ? actual.Number?.CompareTo(n)
                : bound.AsDate is { } d ? actual.AsDate?.CompareTo(d)
                : null;
            if (comparison is not { } c || !accept(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses the JSON form; returns a sentence naming the problem (with its path) when it is not valid.</summary>
    public static (MetadataFilter? Filter, string? Problem) Parse(JsonElement json)
    {
        var nodes = 0;
        try
        {
            return (ParseNode(json, "filter", 1, ref nodes), null);
        }
        catch (FormatException exception)
        {
            return (null, exception.Message);
        }
    }

    private static MetadataFilter ParseNode(JsonElement json, string path, int depth, ref int nodes)
    {
        if (++nodes > MaxNodes)
        {
            throw new FormatException($"filter has more than {MaxNodes} conditions.");
        }

        if (depth > MaxDepth)
        {
            throw new FormatException($"{path}: filters nest at most {MaxDepth} levels deep.");
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{path} must be an object such as {{\"field\":\"team\",\"eq\":\"core\"}}.");
        }

        var properties = json.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        foreach (var group in new[] { "and", "or" })
        {
            if (properties.TryGetValue(group, out var items))
            {
                if (properties.Count != 1)
                {
                    throw new FormatException($"{path}: \"{group}\" must be the only key of its object.");
                }

                if (items.ValueKind != JsonValueKind.Array || items.GetArrayLength() == 0)
                {
                    throw new FormatException($"{path}.{group} must be a non-empty array of filters.");
                }

                var children = new List<MetadataFilter>();
                var i = 0;
                foreach (var item in items.EnumerateArray())
                {
                    children.Add(ParseNode(item, $"{path}.{group}[{i++}]", depth + 1, ref nodes));
                }

                return new MetadataFilter(group == "and" ? FilterOperator.And : FilterOperator.Or, Children: [.. children]);
            }
        }

        if (properties.TryGetValue("not", out var negated))
        {
            if (properties.Count != 1)
            {
                throw new FormatException($"{path}: \"not\" must be the only key of its object.");
            }

            return Not(ParseNode(negated, path + ".not", depth + 1, ref nodes));
        }

        if (!properties.TryGetValue("field", out var fieldJson) || fieldJson.ValueKind != JsonValueKind.String || fieldJson.GetString() is not { Length: > 0 } field)
        {
            throw new FormatException($"{path} needs \"field\" (a metadata key) or one of \"and\", \"or\", \"not\".");
        }

        var operators = properties.Keys.Where(k => k != "field").ToList();
        var unknown = operators.FirstOrDefault(k => k is not ("eq" or "in" or "gt" or "gte" or "lt" or "lte"));
        if (unknown is not null)
        {
            throw new FormatException($"{path}: unknown operator \"{unknown}\"; use eq, in, gt, gte, lt, lte, and, or, not.");
        }

        if (operators.Count == 0)
        {
            throw new FormatException($"{path}: field \"{field}\" has no operator (eq, in, gt, gte, lt, lte).");
        }

        if (properties.TryGetValue("eq", out var eq))
        {
            if (operators.Count != 1)
            {
                throw new FormatException($"{path}: \"eq\" cannot be combined with other operators.");
            }

            return Eq(field, Scalar(eq, $"{path}.eq"));
        }

        if (properties.TryGetValue("in", out var @in))
        {
            if (operators.Count != 1)
            {
                throw new FormatException($"{path}: \"in\" cannot be combined with other operators.");
            }

            if (@in.ValueKind != JsonValueKind.Array || @in.GetArrayLength() == 0)
            {
                throw new FormatException($"{path}.in must be a non-empty array.");
            }

            return In(field, [.. @in.EnumerateArray().Select((v, i) => Scalar(v, $"{path}.in[{i}]"))]);
        }

        MetadataValue? Bound(string name) => properties.TryGetValue(name, out var value) ? RangeBound(value, $"{path}.{name}") : null;
        var range = Range(field, Bound("gt"), Bound("gte"), Bound("lt"), Bound("lte"));
        var kinds = new[] { range.Gt, range.Gte, range.Lt, range.Lte }.Where(b => b is not null).Select(b => b!.Number is null ? "date" : "number").Distinct().ToList();
        if (kinds.Count > 1)
        {
            throw new FormatException($"{path}: range bounds of field \"{field}\" mix numbers and dates.");
        }

        return range;
    }

    private static MetadataValue Scalar(JsonElement json, string path) => json.ValueKind switch
    {
        JsonValueKind.String => new MetadataValue(Text: json.GetString()),
        JsonValueKind.Number => new MetadataValue(Number: json.GetDouble()),
        JsonValueKind.True or JsonValueKind.False => new MetadataValue(Boolean: json.GetBoolean()),
        _ => throw new FormatException($"{path} must be a string, number or boolean."),
    };

    private static MetadataValue RangeBound(JsonElement json, string path)
    {
        if (json.ValueKind == JsonValueKind.Number)
        {
            return new MetadataValue(Number: json.GetDouble());
        }

        var value = json.ValueKind == JsonValueKind.String ? new MetadataValue(Text: json.GetString()) : null;
        return value?.AsDate is not null
            ? value
            : throw new FormatException($"{path} must be a number or an ISO-8601 date (\"2024-05-01\"); it was {json.GetRawText()}.");
    }
}

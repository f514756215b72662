using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansRag;

/// <summary>
/// A metadata value: a string (ISO-8601 strings also compare as dates), a number, a boolean or a list of
/// strings. In JSON it is written as the plain value.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.MetadataValue")]
[JsonConverter(typeof(MetadataValueJsonConverter))]
public sealed record class MetadataValue(string? Text = null, double? Number = null, bool? Boolean = null, string[]? List = null)
{
    public static implicit operator MetadataValue(string text) => new(Text: text);

    public static implicit operator MetadataValue(double number) => new(Number: number);

    public static implicit operator MetadataValue(bool boolean) => new(Boolean: boolean);

    public static implicit operator MetadataValue(string[] list) => new(List: list);

    public static MetadataValue FromString(string text) => new(Text: text);

    public static MetadataValue FromDouble(double number) => new(Number: number);

    public static MetadataValue FromBoolean(bool boolean) => new(Boolean: boolean);

    public static MetadataValue FromStringArray(string[] list) => new(List: list);

    /// <summary>The value as a date, when it is an ISO-8601 date or date-time string.</summary>
    public DateTimeOffset? AsDate =>
        Text is not null && DateTimeOffset.TryParse(Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) && Text.Length >= 10 && char.IsDigit(Text[0])
            ? date
            : null;

    /// <summary>A stable text form (for content hashes and cache keys).</summary>
    public string Canonical() =>
        Number is { } n ? "n:" + n.ToString("R", CultureInfo.InvariantCulture)
        : Boolean is { } b ? (b ? "b:true" : "b:false")
        : List is { } l ? "l:[" + string.Join("\u001e", l) + "]"
        : "s:" + Text;

    public bool Equals(MetadataValue? other) => other is not null && Canonical() == other.Canonical();

    public override int GetHashCode() => Canonical().GetHashCode(StringComparison.Ordinal);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(Canonical());
        return true;
    }
}

/// <summary>Reads and writes <see cref="MetadataValue"/> as a plain JSON string, number, boolean or string array.</summary>
public sealed class MetadataValueJsonConverter : JsonConverter<MetadataValue>
{
    public override MetadataValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return new MetadataValue(Text: reader.GetString());
            case JsonTokenType.Number:
                return new MetadataValue(Number: reader.GetDouble());
            case JsonTokenType.True or JsonTokenType.False:
                return new MetadataValue(Boolean: reader.GetBoolean());
            case JsonTokenType.StartArray:
                var items = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new JsonException("metadata lists must hold strings only.");
                    }

                    items.Add(reader.GetString()!);
                }

                return new MetadataValue(List: [.. items]);
            default:
                throw new JsonException("metadata values must be a string, number, boolean or array of strings.");
        }
    }

    public override void Write(Utf8JsonWriter writer, MetadataValue value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Number is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else if (value.Boolean is { } boolean)
        {
            writer.WriteBooleanValue(boolean);
        }
        else if (value.List is { } list)
        {
            writer.WriteStartArray();
            foreach (var item in list)
            {
                writer.WriteStringValue(item);
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteStringValue(value.Text);
        }
    }
}

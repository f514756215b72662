using System.Text.Json;

namespace OrleansRag.Tests.Infrastructure;

/// <summary>Reads a Server-Sent Events response body into its events: (event name, data).</summary>
public static class ServerSentEvents
{
    /// <summary>Events in order; "message" where a block names none. Data that is not JSON (OpenAI's [DONE]) is kept as a JSON string.</summary>
    public static List<(string Event, JsonElement Data)> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var events = new List<(string, JsonElement)>();
        foreach (var block in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            var name = lines.FirstOrDefault(l => l.StartsWith("event:", StringComparison.Ordinal))?[6..].Trim() ?? "message";
            var data = string.Join("\n", lines.Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].TrimStart()));
            if (data.Length == 0)
            {
                continue;
            }

            events.Add((name, data.StartsWith('{') || (data.StartsWith('[') && data != "[DONE]")
                ? JsonDocument.Parse(data).RootElement.Clone()
                : JsonSerializer.SerializeToElement(data)));
        }

        return events;
    }

    public static async Task<List<(string Event, JsonElement Data)>> ReadAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return Parse(await response.Content.ReadAsStringAsync());
    }
}

using System.Diagnostics;
using OrleansRag.Tests.Http;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Conversations;

/// <summary>
/// `orag chat` as a person uses it: in a real terminal (tmux, keys typed, the screen read back) and from a pipe.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ChatCliTests(RagHostFixture host) : TwoProductsHostTests(host)
{
    private static string Orag => Path.Combine(AppContext.BaseDirectory, "orag.dll");

    [Fact]
    public async Task A_piped_session_answers_a_follow_up_in_context_and_quits_at_the_end_of_input()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { Orag, "chat", "--collection", Collection })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ORAG_URL"] = Host.BaseAddress.ToString();
        start.Environment["COLUMNS"] = "200";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync(TwoProducts.FirstQuestion);
        await process.StandardInput.WriteLineAsync(TwoProducts.FollowUp);
        await process.StandardInput.WriteLineAsync("/history");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;

        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("Conversation ", output, StringComparison.Ordinal);
        Assert.Contains("zephyr-placement", output, StringComparison.Ordinal);
        Assert.Contains("(answered as: And how does it detect failures? (zephyr))", output, StringComparison.Ordinal);
        Assert.Contains("zephyr-membership", output, StringComparison.Ordinal);
        Assert.Contains($"2> {TwoProducts.FollowUp}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_interactive_session_in_a_terminal_streams_answers_with_sources()
    {
        Assert.True(ExternalProcess.IsInstalled("tmux"), "tmux is not installed (apt-get install tmux; tests/tools.sh does it).");
        var socket = "orag-chat-" + Guid.NewGuid().ToString("N")[..8];
        async Task<string> TmuxAsync(params string[] args)
        {
            var result = await ExternalProcess.RunAsync("tmux", ["-L", socket, .. args]);
            return result.Output;
        }

        Task<string> ScreenAsync() => TmuxAsync("capture-pane", "-p", "-J", "-S", "-200", "-t", "chat");
        await TmuxAsync("new-session", "-d", "-s", "chat", "-x", "200", "-y", "60",
            $"ORAG_URL={Host.BaseAddress} dotnet {Orag} chat --collection {Collection}; echo chat-ended-$?; sleep 30");
        try
        {
            await Eventually.WaitUntilAsync(async () => (await ScreenAsync()).Contains("/exit quits", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the chat's greeting");
            await TmuxAsync("send-keys", "-t", "chat", TwoProducts.FirstQuestion, "Enter");
            await Eventually.WaitUntilAsync(async () => (await ScreenAsync()).Contains("zephyr-placement", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the first answer's sources");
            await TmuxAsync("send-keys", "-t", "chat", TwoProducts.FollowUp, "Enter");
            await Eventually.WaitUntilAsync(async () => (await ScreenAsync()).Contains("zephyr-membership", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the follow-up's sources");
            var screen = await ScreenAsync();
            Assert.Contains("(answered as: And how does it detect failures? (zephyr))", screen, StringComparison.Ordinal);
            Assert.Contains("probes three other silos", screen, StringComparison.Ordinal);

            await TmuxAsync("send-keys", "-t", "chat", "/exit", "Enter");
            await Eventually.WaitUntilAsync(async () => (await ScreenAsync()).Contains("chat-ended-0", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the chat to quit with exit code 0");
        }
        finally
        {
            await TmuxAsync("kill-server");
        }
    }
}

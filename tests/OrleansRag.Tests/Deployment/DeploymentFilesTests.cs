using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using OrleansRag.Security;
using OrleansRag.Silo.Hosting;
using OrleansRag.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace OrleansRag.Tests.Deployment;

/// <summary>
/// What CI can check of deploy/ without a Docker engine or a Kubernetes cluster: the YAML lints clean, the
/// Kubernetes objects validate against the official schemas and fit together, the Dockerfile lints clean, and
/// every setting the Dockerfile, compose file and Kubernetes manifests set is one the silo reads, with values it
/// accepts. test.sh installs yamllint and the node tools (tests/tools).
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static string Deploy(params string[] parts) => TestPaths.Repository(["deploy", .. parts]);

    [Fact]
    public async Task Yaml_files_in_deploy_pass_yamllint()
    {
        Assert.True(ExternalProcess.IsInstalled("yamllint"), "yamllint is not installed (Debian: apt-get install yamllint; test.sh does it).");
        var result = await ExternalProcess.RunAsync("yamllint", ["--strict", "deploy"]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Kubernetes_manifests_validate_against_the_kubernetes_schemas_and_fit_together()
    {
        var result = await ExternalProcess.RunAsync("node", ["validate-kubernetes.mjs", Deploy("kubernetes")], TestPaths.Repository("tests", "tools"));
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var kind in new[] { "Deployment", "Service", "ConfigMap", "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceAccount", "Role", "RoleBinding" })
        {
            Assert.Contains($": {kind}/", result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Kubernetes_validator_rejects_a_broken_manifest()
    {
        // The validator itself must be able to fail: a string port, a wrong probe path and missing RBAC verbs.
        var broken = Directory.CreateTempSubdirectory("orleansrag-k8s-");
        try
        {
            foreach (var file in Directory.GetFiles(Deploy("kubernetes")))
            {
                var text = await File.ReadAllTextAsync(file);
                text = text.Replace("containerPort: 8080", "containerPort: \"eighty\"").Replace("path: /ready", "path: /readyz")
                    .Replace("\"watch\", \"patch\"]", "\"watch\"]");
                await File.WriteAllTextAsync(Path.Combine(broken.FullName, Path.GetFileName(file)), text);
            }

            var result = await ExternalProcess.RunAsync("node", ["validate-kubernetes.mjs", broken.FullName], TestPaths.Repository("tests", "tools"));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("containerPort must be integer", result.Error, StringComparison.Ordinal);
            Assert.Contains("readinessProbe must GET /ready", result.Error, StringComparison.Ordinal);
            Assert.Contains("Role must allow patch on pods", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            broken.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Dockerfile_passes_dockerfilelint_and_builds_a_non_root_image_with_a_health_check()
    {
        var result = await ExternalProcess.RunAsync("npx", ["--no-install", "dockerfilelint", Deploy("Dockerfile")], TestPaths.Repository("tests", "tools"));
        Assert.True(result.ExitCode == 0, result.ToString());

        var dockerfile = await File.ReadAllTextAsync(Deploy("Dockerfile"));
        Assert.Equal(2, Regex.Count(dockerfile, "^FROM ", RegexOptions.Multiline)); // multi-stage
        Assert.Matches(new Regex("^USER app$", RegexOptions.Multiline), dockerfile);
        Assert.Matches(new Regex("^HEALTHCHECK .*\\n.*healthcheck.*/ready", RegexOptions.Multiline), dockerfile);
        Assert.Contains("extract-models", dockerfile, StringComparison.Ordinal); // the model is inside the image
    }

    [Fact]
    public void Every_setting_in_the_dockerfile_compose_and_kubernetes_files_is_one_the_silo_reads()
    {
        var sources = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["Dockerfile ENV"] = DockerfileEnvironment(),
            ["Kubernetes ConfigMap + Secret + Deployment env"] = KubernetesEnvironment(),
        };
        foreach (var (service, environment) in ComposeSiloEnvironments())
        {
            sources[$"compose service {service}"] = environment;
        }

        Assert.Equal(5, sources.Count); // the Dockerfile, Kubernetes and 3 compose silos
        foreach (var (source, environment) in sources)
        {
            Assert.NotEmpty(environment);
            var unknown = ConfigurationSchema.UnknownKeys(environment.Keys).ToArray();
            Assert.True(unknown.Length == 0, $"{source} sets settings nothing reads: {string.Join(", ", unknown)}");
        }

        // And their values pass the silo's own validation of the Cluster section (the Dockerfile's defaults apply
        // beneath compose and Kubernetes, as they do in the container).
        foreach (var source in sources.Keys.Where(s => !s.StartsWith("Dockerfile", StringComparison.Ordinal)))
        {
            var settings = DockerfileEnvironment().Concat(sources[source])
                .GroupBy(pair => pair.Key).Select(group => group.Last())
                .Select(pair => KeyValuePair.Create(pair.Key.Replace("__", ":", StringComparison.Ordinal), (string?)pair.Value));
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var options = configuration.GetSection(OrleansHostingOptions.SectionName).Get<OrleansHostingOptions>()!;
            var results = new List<ValidationResult>();
            Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true),
                $"{source}: {string.Join("; ", results.Select(r => r.ErrorMessage))}");
            Assert.Equal(ClusteringMode.AdoNet, options.Clustering);
            Assert.Equal(StorageMode.Redis, options.Storage);

            // Beyond loopback the silo needs API keys: they are there, well-formed, with a cluster secret. The Kubernetes
            // secret ships a placeholder that the silo refuses until an operator replaces it; nothing else is wrong.
            var security = configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>()!;
            Assert.NotEmpty(security.ApiKeys);
            var problems = security.Validate(new ValidationContext(security)).Select(r => r.ErrorMessage).ToArray();
            if (source.StartsWith("Kubernetes", StringComparison.Ordinal))
            {
                Assert.Contains("placeholder", Assert.Single(problems), StringComparison.Ordinal);
                security.ClusterSecret = Security.SecuredHostFixture.ClusterSecret;
                problems = [.. security.Validate(new ValidationContext(security)).Select(r => r.ErrorMessage)];
            }

            Assert.True(problems.Length == 0, $"{source}: {string.Join("; ", problems)}");
        }
    }

    [Fact]
    public void Misspelt_settings_are_reported_and_framework_settings_are_not()
    {
        Assert.Equal(
            ["Cluster__Clusterng", "Embeding__Model", "Cluster:Membership:ProbeTimeoutt", "Dashboard__Port__Extra"],
            ConfigurationSchema.UnknownKeys(
            [
                "Cluster__Clusterng", "Embeding__Model", "Cluster:Membership:ProbeTimeoutt", "Dashboard__Port__Extra",
                "Cluster__Membership__ProbeTimeout", "Cluster__ClusterId", "Generation__ApiKey", "Logging__Console__FormatterName",
                "ASPNETCORE_ENVIRONMENT", "OTEL_EXPORTER_OTLP_ENDPOINT", "POD_IP", "Urls",
            ]));

        // At start the silo checks its own sections only (the environment holds PATH, HOME and the like).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Storge"] = "Redis",
            ["Cluster:Storage"] = "Memory",
            ["PATH"] = "/usr/bin",
        }).Build();
        Assert.Equal(["Cluster:Storge"], ConfigurationSchema.UnknownKeys(configuration));
    }

    private static Dictionary<string, string> DockerfileEnvironment()
    {
        // ENV KEY=VALUE pairs, over continuation lines.
        var text = File.ReadAllText(Deploy("Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        var environment = new Dictionary<string, string>();
        foreach (Match line in EnvInstruction().Matches(text))
        {
            foreach (Match pair in EnvPair().Matches(line.Groups[1].Value))
            {
                environment[pair.Groups[1].Value] = pair.Groups[2].Value.Trim('"');
            }
        }

        return environment;
    }

    private static Dictionary<string, string> KubernetesEnvironment()
    {
        var environment = new Dictionary<string, string>();
        foreach (var file in Directory.GetFiles(Deploy("kubernetes"), "*.yaml"))
        {
            foreach (var document in LoadYaml(file))
            {
                var root = (YamlMappingNode)document.RootNode;
                var kind = Scalar(root, "kind");
                if (kind is "ConfigMap" or "Secret")
                {
                    foreach (var (key, value) in Mapping(root, kind == "ConfigMap" ? "data" : "stringData"))
                    {
                        environment[key] = value;
                    }
                }
                else if (kind == "Deployment")
                {
                    var spec = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["spec"])["template"])["spec"];
                    foreach (YamlMappingNode container in (YamlSequenceNode)spec["containers"])
                    {
                        foreach (YamlMappingNode variable in (YamlSequenceNode)container["env"])
                        {
                            environment[Scalar(variable, "name")!] = Scalar(variable, "value") ?? "(from the downward API)";
                        }
                    }
                }
            }
        }

        return environment;
    }

    private static IEnumerable<(string Service, Dictionary<string, string> Environment)> ComposeSiloEnvironments()
    {
        var root = (YamlMappingNode)LoadYaml(Deploy("compose.yaml")).Single().RootNode;
        foreach (var (name, node) in ((YamlMappingNode)root["services"]).Children)
        {
            var service = (YamlMappingNode)node;
            if (Scalar(service, "image") != "orleans-rag:latest")
            {
                continue; // postgres, redis
            }

            // Compose substitutes ${VAR:-default} (the default is what a plain `docker compose up` uses) and stops on
            // ${VAR:?message} when VAR is unset (the user must set it: stand in a value of the right shape).
            yield return (((YamlScalarNode)name).Value!, Mapping(service, "environment")
                .ToDictionary(pair => pair.Key, pair => Interpolation().Replace(pair.Value, match => match.Groups[1].Value == "-"
                    ? match.Groups[2].Value
                    : pair.Key.EndsWith("Hash", StringComparison.Ordinal) ? OrleansRag.Security.ApiKeys.Create().Hash
                    : pair.Key.EndsWith("ClusterSecret", StringComparison.Ordinal) ? Security.SecuredHostFixture.ClusterSecret
                    : OrleansRag.Security.ApiKeys.Create().Id)));
        }
    }

    private static List<YamlDocument> LoadYaml(string file)
    {
        using var reader = new StreamReader(file);
        var stream = new YamlStream();
        stream.Load(reader);
        return [.. stream.Documents];
    }

    private static string? Scalar(YamlMappingNode node, string key)
    {
        if (node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return (value as YamlScalarNode)?.Value;
        }

        // A key merged in from an anchor ("<<: *silo").
        return node.Children.TryGetValue(new YamlScalarNode("<<"), out var merged) && merged is YamlMappingNode anchor ? Scalar(anchor, key) : null;
    }

    private static Dictionary<string, string> Mapping(YamlMappingNode node, string key)
    {
        var result = new Dictionary<string, string>();
        if (node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlMappingNode mapping)
        {
            Merge(mapping, result);
        }

        return result;
    }

    private static void Merge(YamlMappingNode mapping, Dictionary<string, string> into)
    {
        // Compose's "<<: *anchor" merge keys first, then the mapping's own keys override them.
        foreach (var (key, value) in mapping.Children.Where(pair => ((YamlScalarNode)pair.Key).Value == "<<"))
        {
            Merge((YamlMappingNode)value, into);
        }

        foreach (var (key, value) in mapping.Children.Where(pair => ((YamlScalarNode)pair.Key).Value != "<<"))
        {
            into[((YamlScalarNode)key).Value!] = ((YamlScalarNode)value).Value ?? "";
        }
    }

    [GeneratedRegex(@"^ENV\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex EnvInstruction();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(""[^""]*""|\S+)")]
    private static partial Regex EnvPair();

    [GeneratedRegex(@"\$\{[A-Za-z_][A-Za-z0-9_]*:([-?])([^}]*)\}")]
    private static partial Regex Interpolation();
}

using System.Text;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using k8s.Models;
using Xunit;

namespace AiPlatform.Deployment.Tests.Kubernetes;

/// <summary>
/// deploy/kubernetes/credentials.sh, run as the README says (kubectl formats the objects; no cluster is needed): what it
/// prints completes what an overlay references, and the broker accounts it makes carry the roles' permission files.
/// </summary>
public sealed class CredentialsScriptTests
{
    private static readonly string[] Roles = ["gateway", "ingest", "train", "serve", "scaler"];

    /// <summary>The Secrets the prod operators make themselves (RabbitMQ Cluster Operator, CloudNativePG).</summary>
    private static readonly string[] MadeByOperators = ["aiplatform-rabbitmq-default-user", "aiplatform-postgres-app"];

    [Theory]
    [InlineData("overlays/dev", "dev")]
    [InlineData("overlays/prod", "prod")]
    [InlineData("overlays/tenant-acme", "prod")]
    public void It_makes_every_secret_the_overlay_references_that_no_operator_makes(string overlay, string kind)
    {
        var rendered = RenderedKustomization.Get(overlay);
        var ns = Assert.Single(rendered.OfType<V1Namespace>()).Metadata.Name;
        var made = Run(kind, ns).OfType<V1Secret>().ToList();
        Assert.All(made, s => Assert.Equal(ns, s.Metadata.NamespaceProperty));

        var pods = rendered.PodTemplates().Select(t => t.Pod).ToList();
        var referenced = pods.SelectMany(p => p.Containers.Concat(p.InitContainers ?? []))
            .SelectMany(c => c.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef?.Name)
            .Concat(pods.SelectMany(p => p.Volumes ?? []).Select(v => v.Secret?.SecretName))
            .Concat(rendered.OfType<TriggerAuthentication>().SelectMany(a => a.Spec.SecretTargetRef).Select(t => t.Name))
            .OfType<string>().Distinct();
        var available = made.Select(s => s.Metadata.Name).Concat(kind == "prod" ? MadeByOperators : []).ToHashSet();
        Assert.All(referenced, name => Assert.Contains(name, available));
    }

    [Fact]
    public void Dev_broker_loads_the_same_passwords_the_processes_read()
    {
        var secrets = Run("dev", "aiplatform-dev").OfType<V1Secret>().ToDictionary(s => s.Metadata.Name);
        var definitions = JsonNode.Parse(Value(secrets["aiplatform-rabbitmq-definitions"], "definitions.json"))!;
        var users = definitions["users"]!.AsArray().ToDictionary(u => u!["name"]!.GetValue<string>(), u => u!);

        var admin = secrets["aiplatform-rabbitmq-default-user"];
        Assert.Equal(Value(admin, "password"), users[Value(admin, "username")]["password"]!.GetValue<string>());
        Assert.Equal("administrator", users[Value(admin, "username")]["tags"]!.GetValue<string>());
        foreach (var role in Roles)
        {
            var account = secrets[$"aiplatform-rabbitmq-{role}"];
            Assert.Equal($"aip-{role}", Value(account, "username"));
            Assert.Equal(Value(account, "password"), users[$"aip-{role}"]["password"]!.GetValue<string>());
            Assert.True(Value(account, "password").Length >= 24, "a short password");
        }
        Assert.Equal(Roles.Length + 1, users.Count);
    }

    [Fact]
    public void Prod_accounts_are_topology_operator_users_with_the_roles_permission_files()
    {
        var objects = Run("prod", "aiplatform");
        var users = objects.OfType<RabbitmqUser>().ToDictionary(u => u.Metadata.Name);
        var permissions = objects.OfType<RabbitmqPermission>().ToDictionary(p => p.Metadata.Name);
        foreach (var role in Roles)
        {
            var user = users[$"aiplatform-{role}"];
            Assert.Equal("aiplatform-rabbitmq", user.Spec.RabbitmqClusterReference.Name);
            Assert.Equal($"aiplatform-rabbitmq-{role}", user.Spec.ImportCredentialsSecret.Name);
            Assert.Equal(role is "gateway" or "scaler" ? ["management"] : [], user.Spec.Tags);

            var permission = permissions[$"aiplatform-{role}"];
            Assert.Equal(user.Metadata.Name, permission.Spec.UserReference.Name);
            Assert.Equal("/", permission.Spec.Vhost);
            var file = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "rabbitmq", "permissions", $"{role}.json")))!;
            Assert.Equal(file["configure"]!.GetValue<string>(), permission.Spec.Permissions.Configure);
            Assert.Equal(file["write"]!.GetValue<string>(), permission.Spec.Permissions.Write);
            Assert.Equal(file["read"]!.GetValue<string>(), permission.Spec.Permissions.Read);
        }
    }

    [Fact]
    public void Prod_refuses_to_run_without_the_lakes_keys()
    {
        var (exitCode, output) = CommandLine.Run("bash", RepoPaths.Root, ["deploy/kubernetes/credentials.sh", "prod", "aiplatform"],
            new Dictionary<string, string?> { ["AIP_S3_ACCESS_KEY"] = null, ["AIP_S3_SECRET_KEY"] = null });
        Assert.NotEqual(0, exitCode);
        Assert.Contains("AIP_S3_ACCESS_KEY", output);
    }

    private static List<object> Run(string kind, string ns)
    {
        var (exitCode, output) = CommandLine.Run("bash", RepoPaths.Root, ["deploy/kubernetes/credentials.sh", kind, ns],
            new Dictionary<string, string?> { ["AIP_S3_ACCESS_KEY"] = "lake-key", ["AIP_S3_SECRET_KEY"] = "lake-secret" });
        Assert.True(exitCode == 0, output);
        return RenderedKustomization.LoadStrict(output);
    }

    private static string Value(V1Secret secret, string key) => Encoding.UTF8.GetString(secret.Data[key]);
}

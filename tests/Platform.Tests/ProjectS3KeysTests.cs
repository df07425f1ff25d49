using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// On an S3 lake, a project with S3 keys of its own (a store user whose bucket policy allows the project's prefix only)
/// has its runners sign with those: a script that builds its own requests to another project's data is refused by the
/// store itself, not only by the lake API.
/// </summary>
public sealed class ProjectS3KeysTests : IAsyncLifetime
{
    private readonly string _project = $"s3p-{Guid.NewGuid():N}"[..12];
    private readonly string _lakePrefix = $"projkeys-{Guid.NewGuid():N}"[..17];
    private readonly string _bucket = ServicesEnvironment.Get("S3__Bucket");
    private readonly string _accessKey = "AIPPROJ" + Convert.ToHexString(RandomNumberGenerator.GetBytes(7));
    private readonly string _secretKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(20));
    private LocalFleet _fleet = null!;

    private string User => $"aip-{_project}";

    public async Task InitializeAsync()
    {
        await RadosgwAdminAsync("user", "create", $"--uid={User}", $"--display-name={User}", $"--access-key={_accessKey}", $"--secret-key={_secretKey}");
        using (var owner = OwnerClient())
            await owner.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = _bucket, Policy = ProjectPolicy() });
        _fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            Workers = ["Workers.Ingest"],
            Settings = new Dictionary<string, string>
            {
                ["Lake__Root"] = $"s3://{_bucket}/{_lakePrefix}",
                [$"S3__Projects__{_project}__AccessKey"] = _accessKey,
                [$"S3__Projects__{_project}__SecretKey"] = _secretKey,
            },
        });
    }

    public async Task DisposeAsync()
    {
        if (_fleet is not null) await _fleet.DisposeAsync();
        using (var owner = OwnerClient()) await owner.DeleteBucketPolicyAsync(_bucket);
        await RadosgwAdminAsync("user", "rm", $"--uid={User}");
    }

    [Fact]
    public async Task A_projects_runner_writes_its_own_lake_but_the_store_refuses_it_another_projects_data()
    {
        var secret = $"secret-{Guid.NewGuid():N}"[..15];
        var write = await _fleet.Http.SubmitTaskAsync(new { type = "ingestion", name = secret, script = "registry/write_dataset.csx", output = secret, @params = new { rows = 5 } });
        await CompletedAsync(_fleet.Http, write);
        var probe = new { other_root = $"s3://{_bucket}/{_lakePrefix}", dataset = secret, rows = 10 };

        using var project = _fleet.Client(await _fleet.CreateKeyAsync($"key-{_project}", "operator", _project));
        var mine = $"mine-{Guid.NewGuid():N}"[..13];
        var task = await CompletedAsync(project, await project.SubmitTaskAsync(new { type = "ingestion", name = mine, script = "s3_project_probe.csx", output = mine, @params = probe }));
        var refused = task["result"]!["other"]!.GetValue<string>();
        Assert.False(refused.StartsWith("opened", StringComparison.Ordinal), refused);
        Assert.StartsWith("AmazonS3Exception Forbidden", refused);
        Assert.Equal(10, (await project.GetJsonAsync($"/api/v1/datasets/{mine}"))["num_rows"]!.GetValue<long>());

        // The same attempt with the worker's own keys (the default project has none of its own here) opens it: it is
        // the project's keys that the store refuses.
        var control = await CompletedAsync(_fleet.Http,
            await _fleet.Http.SubmitTaskAsync(new { type = "ingestion", name = $"control-{Guid.NewGuid():N}"[..16], script = "s3_project_probe.csx", output = $"control-{mine}", @params = probe }));
        Assert.Equal("opened 5 rows", control["result"]!["other"]!.GetValue<string>());
    }

    /// <summary>
    /// The project's user may list, read, write and delete below its project's prefix of the lake, and nothing else; it
    /// gives the bucket's owner (the platform's keys) each object it writes (<c>s3:PutObjectAcl</c>).
    /// </summary>
    private string ProjectPolicy()
    {
        var prefix = $"{_lakePrefix}/projects/{_project}";
        var principal = new { AWS = new[] { $"arn:aws:iam:::user/{User}" } };
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            Version = "2012-10-17",
            Statement = new object[]
            {
                new
                {
                    Effect = "Allow", Principal = principal,
                    Action = new[] { "s3:GetObject", "s3:PutObject", "s3:PutObjectAcl", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts" },
                    Resource = new[] { $"arn:aws:s3:::{_bucket}/{prefix}/*" },
                },
                new
                {
                    Effect = "Allow", Principal = principal, Action = new[] { "s3:ListBucket" }, Resource = new[] { $"arn:aws:s3:::{_bucket}" },
                    Condition = new { StringLike = new Dictionary<string, string[]> { ["s3:prefix"] = [$"{prefix}/*"] } },
                },
            },
        });
    }

    private static AmazonS3Client OwnerClient() => new(
        new BasicAWSCredentials(ServicesEnvironment.Get("S3__AccessKey"), ServicesEnvironment.Get("S3__SecretKey")),
        new AmazonS3Config { ServiceURL = ServicesEnvironment.Get("S3__ServiceUrl"), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    private static async Task RadosgwAdminAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("radosgw-admin") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Path.Combine(RepoPaths.Root, ".state", "ceph", "ceph.conf"));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"radosgw-admin {string.Join(' ', arguments)}: {await error}");
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> CompletedAsync(HttpClient client, Guid id)
    {
        var task = await client.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(90), "completed", "failed");
        Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());
        return task;
    }
}

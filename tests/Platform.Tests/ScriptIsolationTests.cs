using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.ScriptRunner;
using Microsoft.Extensions.Options;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>What a script can reach through the platform: each way out is refused.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ScriptIsolationTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_script_sees_no_broker_or_database_credentials_in_its_environment()
    {
        var id = await platform.SubmitAsync(new { type = "training", name = $"env-{Guid.NewGuid():N}"[..20], script = "environment.csx" });
        var task = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.Equal("completed", task["status"]!.GetValue<string>());
        var names = task["result"]!["names"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var values = task["result"]!["values"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("RabbitMq", StringComparison.OrdinalIgnoreCase) || n.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(ServicesEnvironment.Get("RabbitMq__Password"), values);
        Assert.DoesNotContain(values, v => v.Contains(ServicesEnvironment.Get("RabbitMq__Password"), StringComparison.Ordinal));
        // What the lake needs is there.
        Assert.Contains("Lake__Root", names);
    }

    /// <summary>
    /// The sandbox (bubblewrap, installed by eng/install-deps.sh): without it, a script read the worker's environment
    /// from /proc, reached the broker and read the services' settings file; as root without a user of its own, it read
    /// every file root owns that the sandbox does not hide.
    /// </summary>
    [Fact]
    public async Task A_sandboxed_script_cannot_see_the_worker_reach_the_broker_read_secrets_or_write_outside_its_scratch()
    {
        var settings = Path.Combine(RepoPaths.Root, ".state", "services.env");
        // A file only its owner may read, where scripts may read input: a root worker's runner is not its owner.
        Directory.CreateDirectory(PlatformFixture.TestInputRoot);
        var rootOnly = Path.Combine(PlatformFixture.TestInputRoot, $"owner-only-{Guid.NewGuid():N}");
        File.WriteAllText(rootOnly, "the worker's user's");
        File.SetUnixFileMode(rootOnly, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var id = await platform.SubmitAsync(new
        {
            type = "training", name = $"sandbox-{Guid.NewGuid():N}"[..20], script = "sandbox_probe.csx",
            @params = new { broker_port = int.Parse(ServicesEnvironment.Get("RabbitMq__Port")), services_settings = settings, root_only_file = rootOnly },
        });
        var task = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());
        var result = task["result"]!;
        Assert.Equal(0, result["environments_with_broker_password"]!.GetValue<int>());
        Assert.Equal("SocketException", result["broker"]!.GetValue<string>());
        // Its folder is emptied in the sandbox, or gone when a folder above it is closed to the runner's user.
        Assert.Contains(result["services_settings"]!.GetValue<string>(), new[] { "FileNotFoundException", "DirectoryNotFoundException" });
        Assert.Equal("UnauthorizedAccessException", result["system_passwords"]!.GetValue<string>());
        Assert.Equal("IOException", result["program_folder"]!.GetValue<string>());
        Assert.Equal("mine", result["scratch"]!.GetValue<string>());
        File.Delete(rootOnly);
        if (Environment.IsPrivilegedProcess)
        {
            // The fleet's workers run as root, as this test does: their runners run as the unprivileged runner user.
            Assert.Equal("aiplatform-runner", result["user"]!.GetValue<string>());
            Assert.Equal("UnauthorizedAccessException", result["root_only_file"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("../../../../../../../../etc")]
    [InlineData("/usr/share/datasets/../../../etc")]
    public async Task Ingestion_cannot_read_outside_the_source_roots(string input)
    {
        var task = await RunIngestionAsync(input);
        Assert.Equal("failed", task["status"]!.GetValue<string>());
        Assert.Contains("outside the locations scripts may read from", task["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_link_inside_a_source_root_cannot_lead_out_of_it()
    {
        Directory.CreateDirectory(PlatformFixture.TestInputRoot);
        var link = Path.Combine(PlatformFixture.TestInputRoot, "link-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateSymbolicLink(link, "/etc");
        try
        {
            foreach (var input in new[] { link, Path.Combine(link, "ssl"), Path.Combine(link, "..", "..", "etc") })
            {
                var task = await RunIngestionAsync(input);
                Assert.Equal("failed", task["status"]!.GetValue<string>());
                Assert.Contains("outside the locations", task["error"]!.GetValue<string>());
            }
        }
        finally
        {
            Directory.Delete(link);
        }
    }

    [Fact]
    public async Task The_shipped_ingestion_script_refuses_a_batch_size_below_one()
    {
        var task = await RunIngestionAsync("/usr/share/datasets/fashion-mnist", new { batch_size = 0 });
        Assert.Equal("failed", task["status"]!.GetValue<string>());
        Assert.Contains("batch_size must be 1 or more", task["error"]!.GetValue<string>());
    }

    private async Task<JsonNode> RunIngestionAsync(string input, object? parameters = null)
    {
        var id = await platform.SubmitAsync(new
        {
            type = "ingestion", name = $"confine-{Guid.NewGuid():N}"[..20], script = "mnist/ingest.csx", input, output = "never-written",
            @params = parameters ?? new { },
        });
        return await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
    }
}

/// <summary>The snapshot and compile rules for script sources, and the private script cache, without a fleet.</summary>
public sealed class ScriptSourceRulesTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "aiplatform-tests", "scripts-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _root;
    private readonly string _outside;

    public ScriptSourceRulesTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_folder, "root")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_folder, "outside")).FullName;
        File.WriteAllText(Path.Combine(_root, "shared.csx"), "static int Shared() => 42;\n");
        File.WriteAllText(Path.Combine(_outside, "secret.csx"), "static string Secret() => \"outside\";\n");
    }

    private ScriptCatalog Catalog() => new(Options.Create(new ScriptOptions { Roots = [_root] }));

    [Theory]
    [InlineData("#load \"shared.csx\"")]
    [InlineData("#load\t\"shared.csx\"")]
    [InlineData("  #load    \"shared.csx\"  ")]
    [InlineData("#  load \"shared.csx\"")]
    public void Load_directives_inside_the_root_are_inlined_however_they_are_spaced(string directive)
    {
        File.WriteAllText(Path.Combine(_root, "main.csx"), directive + "\nobject Run(string i, string o, ScriptParams p) => Shared();\n");
        var (script, error) = Catalog().Resolve("main.csx");
        Assert.Null(error);
        Assert.Contains("static int Shared()", script!.Source);
        Assert.DoesNotContain("#load", script.Source);
    }

    [Theory]
    [InlineData("#load\t\"../outside/secret.csx\"", "#load")]
    [InlineData("#load  \"../outside/secret.csx\"", "#load")]
    [InlineData(" # load \"/etc/hostname\"", "#load")]
    [InlineData("#r \"System.Net.Sockets\"", "#r")]
    [InlineData("#r\t\"/usr/lib/x.dll\"", "#r")]
    public void Directives_that_reach_outside_the_snapshot_are_refused(string directive, string named)
    {
        File.WriteAllText(Path.Combine(_root, "main.csx"), directive + "\nobject Run(string i, string o, ScriptParams p) => 1;\n");
        var (script, error) = Catalog().Resolve("main.csx");
        Assert.Null(script);
        Assert.Contains(named, error);
    }

    [Fact]
    public void A_folder_link_inside_the_root_cannot_lead_out_of_it()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "linked"), _outside);
        var (script, error) = Catalog().Resolve("linked/secret.csx");
        Assert.Null(script);
        Assert.Contains("outside the scripts folder", error);

        File.WriteAllText(Path.Combine(_root, "main.csx"), "#load \"linked/secret.csx\"\nobject Run(string i, string o, ScriptParams p) => 1;\n");
        (script, error) = Catalog().Resolve("main.csx");
        Assert.Null(script);
        Assert.Contains("#load", error);
    }

    [Fact]
    public void The_compiler_resolves_no_file_a_directive_names()
    {
        // Both would compile with Roslyn's default resolvers: a valid script outside the snapshot, a real assembly.
        var compiler = new ScriptCompiler(Path.Combine(_folder, "cache"));
        foreach (var directive in new[] { $"#load \"{Path.Combine(_outside, "secret.csx")}\"", $"#r \"{typeof(System.Net.Sockets.Socket).Assembly.Location}\"" })
        {
            var error = Assert.Throws<ScriptCompilationException>(() =>
                compiler.Load("main.csx", directive + "\nobject Run(string i, string o, ScriptParams p) => 1;\n"));
            Assert.Contains("main.csx", error.Message);
        }
    }

    [Fact]
    public void Scripts_using_the_framework_still_compile()
    {
        var compiler = new ScriptCompiler(Path.Combine(_folder, "cache"));
        var entry = compiler.Load("main.csx", "object Run(string i, string o, ScriptParams p) => new List<int> { 1, 2 }.Sum();\n");
        Assert.NotNull(entry);
    }

    [Fact]
    public void Scripts_hand_batches_to_apache_arrow_and_take_them_back()
    {
        var compiler = new ScriptCompiler(Path.Combine(_folder, "cache"));
        var entry = compiler.Load("main.csx", """
            object Run(string i, string o, ScriptParams p)
            {
                var batch = new RecordBatch(new Schema(new Field("n", LanceType.Int64)), [new Int64Column([1, 2, 3])]);
                Apache.Arrow.RecordBatch arrow = batch.ToArrow();
                return ArrowBatches.FromArrow(arrow).Length;
            }
            """);
        Assert.NotNull(entry);
    }

    [Fact]
    public void A_shared_script_cache_is_made_private_and_emptied_of_planted_assemblies()
    {
        var cache = Directory.CreateDirectory(Path.Combine(_folder, "cache")).FullName;
        File.SetUnixFileMode(cache, (UnixFileMode)0b111_111_111);
        var planted = Path.Combine(cache, new string('a', 64) + ".dll");
        File.WriteAllBytes(planted, [0x4d, 0x5a]);

        _ = new ScriptCompiler(cache);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cache));
        Assert.False(File.Exists(planted));
    }

    [Fact]
    public void The_default_script_cache_is_not_a_shared_temp_folder()
    {
        Assert.False(PrivateDirectory.DefaultFor("script-cache").StartsWith(Path.GetTempPath(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("ROOT/../outside")]
    [InlineData("ROOT/link-out")]
    [InlineData("ROOT/link-out/../outside")]
    [InlineData("s3://other-bucket/data")]
    [InlineData("s3://lake/allowed/../secret")]
    [InlineData("file:///etc/passwd")]
    public void Sources_outside_the_roots_are_refused(string location)
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "link-out"), _outside);
        var roots = new SourceRoots([_root, "s3://lake/allowed"]);
        Assert.Throws<UnauthorizedAccessException>(() => roots.Check(location.Replace("ROOT", _root)));
    }

    [Fact]
    public void Sources_inside_the_roots_open_at_their_resolved_path()
    {
        Directory.CreateDirectory(Path.Combine(_root, "data"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "link-in"), Path.Combine(_root, "data"));
        var roots = new SourceRoots([_root, "s3://lake/allowed/"]);
        Assert.Equal(Path.Combine(_root, "data"), roots.Check(Path.Combine(_root, "link-in")));
        Assert.Equal("s3://lake/allowed/x", roots.Check("s3://lake/allowed/x/"));
        Assert.Equal(RealPath.Of(_root), roots.Check(_root + "/"));
    }

    [Fact]
    public void Error_messages_name_lake_entries_and_hide_the_lake_root()
    {
        const string root = "/srv/aiplatform/.state/lake";
        Assert.Equal("DatasetNotFoundException: dataset 'fashion' does not exist",
            ClientMessages.Redact($"DatasetNotFoundException: no dataset at {root}/datasets/fashion.lance", [root]));
        Assert.Equal("dataset 'x' already exists (version 3)",
            ClientMessages.Redact("dataset s3://bucket/lake/datasets/x.lance already exists (version 3)", ["s3://bucket/lake"]));
        Assert.DoesNotContain(root, ClientMessages.Redact($"data file {root}/models/cnn.lance/data/0.lance is missing", [root]));
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
